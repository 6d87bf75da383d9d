import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Rollbacks" };

export default function RollbacksPage() {
  return (
    <>
      <PageHeader title="Rollbacks" description="Every rollback, with who did what and why." />
      <EmptyState title="The rollback history is not built yet">
        Rollbacks are recorded and can be listed through tRPC (rollbacks.list); this page does not show them yet.
      </EmptyState>
    </>
  );
}
