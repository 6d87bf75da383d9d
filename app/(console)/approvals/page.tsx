import type { Metadata } from "next";
import { ApprovalsQueue } from "@/components/rollbacks/approvals-queue";
import { PageHeader } from "@/components/ui";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Approvals" };

export default async function ApprovalsPage() {
  const user = await requirePageUser("VIEWER");
  return (
    <>
      <PageHeader
        title="Approvals"
        description="Rollbacks waiting for an approver, with the evidence that triggered them."
      />
      <ApprovalsQueue viewer={{ id: user.id, role: user.role }} />
    </>
  );
}
