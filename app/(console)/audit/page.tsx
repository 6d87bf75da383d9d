import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Audit" };

export default function AuditPage() {
  return (
    <>
      <PageHeader title="Audit" description="The tamper-evident history of every change." />
      <EmptyState title="No audit events yet">
        The hash-chained audit history arrives with the rollback lifecycle; this version does not record one yet.
      </EmptyState>
    </>
  );
}
