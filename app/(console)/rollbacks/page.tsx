import type { Metadata } from "next";
import { Suspense } from "react";
import { RollbackHistory } from "@/components/rollbacks/rollback-history";
import { ListSkeleton, PageHeader } from "@/components/ui";
import { requirePageUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "Rollbacks" };

export default async function RollbacksPage() {
  await requirePageUser("VIEWER");
  return (
    <>
      <PageHeader
        title="Rollbacks"
        description="Every rollback, with who did what and why: filter it, share the filtered view by its link, download it."
      />
      <Suspense fallback={<ListSkeleton rows={5} label="Loading rollbacks" />}>
        <RollbackHistory />
      </Suspense>
    </>
  );
}
