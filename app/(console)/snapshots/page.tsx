import type { Metadata } from "next";
import { SnapshotsView } from "@/components/snapshots/snapshots-view";
import { PageHeader } from "@/components/ui";
import { requirePageUser } from "@/server/auth/session";
import { hasRole } from "@/server/domain/roles";

export const metadata: Metadata = { title: "Snapshots" };

export default async function SnapshotsPage({
  searchParams,
}: {
  searchParams: Promise<{ target?: string | string[] }>;
}) {
  const user = await requirePageUser();
  const { target } = await searchParams;
  return (
    <>
      <PageHeader
        title="Snapshots"
        description="Versioned configurations per target: which one runs, which are known-good, and what changed between any two."
      />
      <SnapshotsView slug={typeof target === "string" ? target : undefined} canEdit={hasRole(user.role, "OPERATOR")} />
    </>
  );
}
