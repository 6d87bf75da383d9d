import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Approvals" };

export default function ApprovalsPage() {
  return (
    <>
      <PageHeader title="Approvals" description="Rollbacks waiting for an approver." />
      <EmptyState title="The approvals queue is not built yet">
        Rollback proposals are created by the monitoring cycle and can be approved through tRPC (rollbacks.approve);
        this page does not list them yet.
      </EmptyState>
    </>
  );
}
