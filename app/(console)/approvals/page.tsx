import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Approvals" };

export default function ApprovalsPage() {
  return (
    <>
      <PageHeader title="Approvals" description="Rollbacks waiting for an approver." />
      <EmptyState title="Nothing is waiting for approval">
        Rollback proposals come from the monitoring cycle, which is not part of this version yet.
      </EmptyState>
    </>
  );
}
