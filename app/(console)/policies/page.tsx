import type { Metadata } from "next";
import { PoliciesView } from "@/components/policies/policy-editor";
import { PageHeader } from "@/components/ui";
import { requirePageUser } from "@/server/auth/session";
import { hasRole } from "@/server/domain/roles";

export const metadata: Metadata = { title: "Policies" };

export default async function PoliciesPage({
  searchParams,
}: {
  searchParams: Promise<{ target?: string | string[] }>;
}) {
  const user = await requirePageUser();
  const { target } = await searchParams;
  return (
    <>
      <PageHeader
        title="Policies"
        description="SLO thresholds and rollback rules per target: every save is a new version, and a backtest shows what a draft would have done."
      />
      <PoliciesView slug={typeof target === "string" ? target : undefined} canEdit={hasRole(user.role, "OPERATOR")} />
    </>
  );
}
