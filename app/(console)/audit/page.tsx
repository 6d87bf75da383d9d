import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Audit" };

export default function AuditPage() {
  return (
    <>
      <PageHeader title="Audit" description="The tamper-evident history of every change." />
      <EmptyState title="The audit log page is not built yet">
        Every change is already recorded in the hash-chained audit history, readable and verifiable through tRPC
        (audit.list, audit.verify); this page does not show it yet.
      </EmptyState>
    </>
  );
}
