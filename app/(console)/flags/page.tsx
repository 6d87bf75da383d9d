import type { Metadata } from "next";
import { Suspense } from "react";
import { FlagReenablements } from "@/components/flags/flag-reenablements";
import { FlagsConsole } from "@/components/flags/flags-console";
import { ListSkeleton, PageHeader } from "@/components/ui";
import { requirePageUser } from "@/server/auth/session";
import { hasRole } from "@/server/domain/roles";

export const metadata: Metadata = { title: "Flags" };

export default async function FlagsPage() {
  const user = await requirePageUser("VIEWER");
  return (
    <>
      <PageHeader
        title="Feature flags"
        description="Switches the orchestrator reads with each target's configuration, and the kill switches the emergency stop turns off."
      />
      <FlagReenablements canStart={hasRole(user.role, "OPERATOR")} canCancel={hasRole(user.role, "APPROVER")} />
      <Suspense fallback={<ListSkeleton rows={4} label="Loading flags" />}>
        <FlagsConsole canEdit={hasRole(user.role, "OPERATOR")} />
      </Suspense>
    </>
  );
}
