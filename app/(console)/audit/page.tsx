import type { Metadata } from "next";
import { Suspense } from "react";
import { AuditLog } from "@/components/audit/audit-log";
import { ListSkeleton, PageHeader } from "@/components/ui";
import { requirePageUser } from "@/server/auth/session";
import { hasRole } from "@/server/domain/roles";

export const metadata: Metadata = { title: "Audit" };

export default async function AuditPage() {
  const user = await requirePageUser("VIEWER");
  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change, who made it and why, in a keyed hash chain with signed checkpoints that show any later edit or deletion."
      />
      <Suspense fallback={<ListSkeleton rows={6} label="Loading the audit log" />}>
        <AuditLog isAdmin={hasRole(user.role, "ADMIN")} />
      </Suspense>
    </>
  );
}
