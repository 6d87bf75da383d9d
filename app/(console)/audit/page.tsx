import type { Metadata } from "next";
import { Suspense } from "react";
import { AuditLog } from "@/components/audit/audit-log";
import { ListSkeleton, PageHeader } from "@/components/ui";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Audit" };

export default async function AuditPage() {
  await requirePageUser("VIEWER");
  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change, who made it and why, in a hash chain that shows any later edit."
      />
      <Suspense fallback={<ListSkeleton rows={6} label="Loading the audit log" />}>
        <AuditLog />
      </Suspense>
    </>
  );
}
