import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Policies" };

export default function PoliciesPage() {
  return (
    <>
      <PageHeader title="Policies" description="SLO thresholds and rollback rules per target." />
      <EmptyState title="No policies yet">
        Policies belong to targets, which arrive with the evaluation engine. This version cannot create them yet.
      </EmptyState>
    </>
  );
}
