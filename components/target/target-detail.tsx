"use client";
// The target page: live performance against the policy, the active rollback, snapshots and the policy in words,
// and the actions a role allows. All data comes from usePerformanceRollback.
import type { RoleName } from "@/server/domain/roles";
import { hasRole } from "@/server/domain/roles";
import { QueryError, Skeleton } from "../ui";
import { usePerformanceRollback } from "../use-performance-rollback";
import { PolicyCard, SnapshotsCard } from "./target-cards";
import { TargetHeader } from "./target-header";
import { TargetPerformance } from "./target-performance";
import { ActiveRollbackCard, ManualRollbackCard, RecentRollbacks } from "./target-rollbacks";
import type { ChartWindow } from "./windows";

export function TargetDetail({
  slug,
  name,
  role,
  initialWindow,
}: {
  slug: string;
  /** From the server, shown until the live data arrives. */
  name: string;
  role: RoleName;
  initialWindow: ChartWindow;
}) {
  const perf = usePerformanceRollback(slug, { initialWindow });

  function chooseWindow(next: ChartWindow) {
    perf.setWindow(next);
    // Next keeps useSearchParams in step with history.replaceState, without a server round trip.
    const url = new URL(window.location.href);
    url.searchParams.set("window", next);
    window.history.replaceState(null, "", url);
  }

  return (
    <>
      <TargetHeader perf={perf} role={role} name={name} />
      <QueryError error={perf.error} what="this target's data" />
      {perf.target ? (
        <>
          <ActiveRollbackCard perf={perf} role={role} />
          <TargetPerformance perf={perf} onWindowChange={chooseWindow} />
          <div className="mt-6 grid items-start gap-4 lg:grid-cols-3">
            <SnapshotsCard perf={perf} slug={slug} />
            <PolicyCard perf={perf} slug={slug} canEdit={hasRole(role, "OPERATOR")} />
            <div className="space-y-4">
              <ManualRollbackCard perf={perf} role={role} />
              <RecentRollbacks rollbacks={perf.rollbacks} />
            </div>
          </div>
        </>
      ) : perf.error ? null : (
        <Skeleton className="h-64 w-full" label="Loading the target" />
      )}
    </>
  );
}
