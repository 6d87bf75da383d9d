"use client";
// The overview page's live part: the system switches and a card per target, worst first, refreshed every 5 s.
// A card whose target has a proposal waiting carries the approvals queue's view of it, to decide on the spot.
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type { AttentionLevel } from "@/server/domain/overview";
import type { RoleName } from "@/server/domain/roles";
import type { RollbackView, Viewer } from "../rollbacks/rollback-format";
import { useTRPC } from "../trpc";
import { Alert, EmptyState, QueryError, Skeleton } from "../ui";
import { EmergencyStopButton, SystemBanners } from "./system-controls";
import { TargetCard, type OverviewData, type OverviewTarget } from "./target-card";

export const OVERVIEW_REFRESH_MS = 5_000;

const NO_PENDING = new Map<string, RollbackView>();
const awaitsApproval = (target: OverviewTarget) => target.activeRollback?.status === "PENDING_APPROVAL";

export function Overview({ viewer }: { viewer: Viewer }) {
  const { role } = viewer;
  const trpc = useTRPC();
  const overview = useQuery(trpc.dashboard.overview.queryOptions(undefined, { refetchInterval: OVERVIEW_REFRESH_MS }));
  // The queue is read only while some card has a proposal: the decision needs its approvals and deadline.
  const anyPending = overview.data?.targets.some(awaitsApproval) ?? false;
  const pending = useQuery(
    trpc.rollbacks.pending.queryOptions(undefined, { refetchInterval: OVERVIEW_REFRESH_MS, enabled: anyPending }),
  );
  const pendingByTarget = useMemo(
    () => (pending.data ? new Map(pending.data.map((rollback) => [rollback.target.id, rollback])) : NO_PENDING),
    [pending.data],
  );

  if (overview.isPending) return <OverviewSkeleton role={role} />;
  // A failed refresh keeps the last figures on screen, with the error above them.
  if (!overview.data) return <QueryError error={overview.error} what="the overview" />;
  const { system, targets, generatedAt } = overview.data;
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <Summary targets={targets} />
        <EmergencyStopButton role={role} active={system.emergencyStopActive} />
      </div>
      <SystemBanners system={system} role={role} now={generatedAt} />
      {overview.error ? (
        <Alert>
          Could not refresh: {overview.error.message}. Showing the figures from{" "}
          {generatedAt.toLocaleTimeString("en-GB")}.
        </Alert>
      ) : null}
      {targets.length === 0 ? (
        <NoTargets />
      ) : (
        <section aria-labelledby="targets-heading">
          <h2 id="targets-heading" className="sr-only">
            Targets, worst first
          </h2>
          <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
            {targets.map((target) => (
              <TargetCard
                key={target.id}
                target={target}
                now={generatedAt}
                viewer={viewer}
                pending={awaitsApproval(target) ? pendingByTarget.get(target.id) : undefined}
              />
            ))}
          </div>
        </section>
      )}
    </div>
  );
}

/** The summary's classes: the attention levels, with a proposal nobody approved yet apart from rollbacks under way. */
type SummaryClass = Exclude<AttentionLevel, "ROLLBACK"> | "AWAITING_APPROVAL" | "ROLLING_BACK";

const summaryParts: { of: SummaryClass; label: (count: number) => string }[] = [
  { of: "EMERGENCY", label: (n) => `${n} in emergency` },
  { of: "BREACH", label: (n) => `${n} breaching` },
  { of: "VIOLATION", label: (n) => `${n} violating` },
  { of: "AWAITING_APPROVAL", label: (n) => `${n} awaiting approval` },
  { of: "ROLLING_BACK", label: (n) => `${n} rolling back` },
  { of: "NO_DATA", label: (n) => `${n} without data` },
  { of: "HEALTHY", label: (n) => `${n} healthy` },
];

function summaryClass(target: OverviewTarget): SummaryClass {
  if (target.attention !== "ROLLBACK") return target.attention;
  return awaitsApproval(target) ? "AWAITING_APPROVAL" : "ROLLING_BACK";
}

function Summary({ targets }: { targets: OverviewData["targets"] }) {
  if (targets.length === 0) return <span />;
  const counts = new Map<SummaryClass, number>();
  for (const target of targets) counts.set(summaryClass(target), (counts.get(summaryClass(target)) ?? 0) + 1);
  const parts = summaryParts.flatMap(({ of, label }) => {
    const count = counts.get(of);
    return count ? [label(count)] : [];
  });
  return (
    <p className="text-sm text-slate-700">
      {targets.length} target{targets.length === 1 ? "" : "s"}: {parts.join(" · ")}
    </p>
  );
}

function NoTargets() {
  return (
    <EmptyState title="No targets yet">
      <p>
        A target is something whose configuration Rewind can roll back: an LLM route, a provider or a model deployment.
        Create one and send it traffic from your orchestrator with an API key (Settings → API keys, or{" "}
        <code className="font-mono">npm run apikey:create</code>):
      </p>
      <ol className="mx-auto mt-3 list-decimal space-y-1 pl-6 text-left">
        <li>
          Create the target: <code className="font-mono">PUT /api/v1/targets/&#123;slug&#125;</code> (scope{" "}
          <code className="font-mono">policies:write</code>).
        </li>
        <li>
          Send metrics: <code className="font-mono">POST /api/v1/ingest</code> (scope{" "}
          <code className="font-mono">ingest</code>), per request or pre-aggregated.
        </li>
        <li>
          Or try it with simulated traffic: <code className="font-mono">npm run simulate -- --scenario emergency</code>.
        </li>
      </ol>
      <p className="mt-3">
        Every endpoint, with curl examples and signatures, is in <code className="font-mono">docs/API.md</code>.
      </p>
    </EmptyState>
  );
}

function OverviewSkeleton({ role }: { role: RoleName }) {
  return (
    <div className="space-y-6" aria-busy="true">
      <div className="flex items-center justify-between gap-3">
        <Skeleton className="h-5 w-64" label="Loading the overview" />
        {role === "VIEWER" || role === "OPERATOR" ? null : <Skeleton className="h-9 w-36" />}
      </div>
      <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
        {Array.from({ length: 6 }, (_, index) => (
          <Skeleton key={index} className="h-72 w-full rounded-lg" />
        ))}
      </div>
    </div>
  );
}
