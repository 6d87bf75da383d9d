import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Rollbacks" };

export default function RollbacksPage() {
  return (
    <>
      <PageHeader title="Rollbacks" description="Every rollback, with who did what and why." />
      <EmptyState title="No rollbacks yet">
        Rollbacks are recorded here once the rollback lifecycle is in place; this version does not perform any.
      </EmptyState>
    </>
  );
}
