"use client";
// The target page: live performance against the policy, the active rollback, snapshots and the policy in words,
// and the actions a role allows. All data comes from usePerformanceRollback.
import { hasRole } from "@/server/domain/roles";
import type { Viewer } from "../rollbacks/rollback-format";
import { QueryError, Skeleton } from "../ui";
import { usePerformanceRollback, type IncidentView } from "../use-performance-rollback";
import { PolicyCard, SnapshotsCard } from "./target-cards";
import { TargetHeader } from "./target-header";
import { TargetPerformance } from "./target-performance";
import { ActiveRollbackCard, ManualRollbackCard, RecentRollbacks } from "./target-rollbacks";
import { replaceChartQuery, type ChartRange, type ChartWindow } from "./windows";

export function TargetDetail({
  slug,
  name,
  viewer,
  initialWindow,
  initialRange = null,
  incident = null,
}: {
  slug: string;
  /** From the server, shown until the live data arrives. */
  name: string;
  /** Who is signed in: roles decide what is offered, the id the two-person rule of approvals. */
  viewer: Viewer;
  initialWindow: ChartWindow;
  /** `?from=&to=`: a fixed range (an incident's zoom) instead of the window. */
  initialRange?: ChartRange | null;
  /** The target's active or recent rollback, offered as a range of its own. */
  incident?: IncidentView | null;
}) {
  const { role } = viewer;
  const perf = usePerformanceRollback(slug, { initialWindow, initialRange });

  // The URL keeps the choice, so a shared link opens the same charts.
  function chooseWindow(next: ChartWindow) {
    perf.setWindow(next);
    replaceChartQuery(next);
  }

  function chooseRange(next: ChartRange) {
    perf.setRange(next);
    replaceChartQuery(next);
  }

  return (
    <>
      <TargetHeader perf={perf} role={role} name={name} />
      <QueryError error={perf.error} what="this target's data" />
      {perf.target ? (
        <>
          <ActiveRollbackCard perf={perf} viewer={viewer} />
          <TargetPerformance
            perf={perf}
            incident={incident}
            onWindowChange={chooseWindow}
            onRangeChange={chooseRange}
          />
          <div className="mt-6 grid items-start gap-4 lg:grid-cols-3">
            <SnapshotsCard perf={perf} slug={slug} />
            <PolicyCard perf={perf} slug={slug} canEdit={hasRole(role, "OPERATOR")} />
            <div className="space-y-4">
              <ManualRollbackCard perf={perf} role={role} />
              <RecentRollbacks rollbacks={perf.rollbacks} hasActive={perf.activeRollback !== null} />
            </div>
          </div>
        </>
      ) : perf.error ? null : (
        <Skeleton className="h-64 w-full" label="Loading the target" />
      )}
    </>
  );
}
