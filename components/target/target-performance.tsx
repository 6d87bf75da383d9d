"use client";
// A chart per SLO of the catalogue for the chosen window (an SLO that only some traffic carries, like time to
// first token, only when the window has it), with the policy's thresholds, the verdicts' violation periods and
// the target's rollbacks; the provider/model breakdown below them; and what to do when there is no traffic.
import { useMemo } from "react";
import { isActive, type RollbackTrigger } from "@/server/domain/rollback";
import { sloLimit, type SloDefinition } from "@/server/domain/slo";
import { MetricChart, shownSlos, type ChartMarker, type ChartThreshold } from "../charts/metric-chart";
import { DataTable, type Column } from "../data-table";
import { formatDateTime } from "../format";
import { rollbackStatusLabel } from "../status";
import { Button, Card, EmptyState, Skeleton } from "../ui";
import type { PerformanceRollback, PolicyView, RollbackView } from "../use-performance-rollback";
import { chartWindows, type ChartWindow } from "./windows";
import { WindowSelector } from "./window-selector";

const triggerLabels: Record<RollbackTrigger, string> = { EMERGENCY: "Emergency", SLO: "SLO", MANUAL: "Manual" };

/** The policy's limit and emergency line for an SLO; none when the policy does not judge it. */
function thresholdsOf(slo: SloDefinition, policy: PolicyView["policy"] | undefined): ChartThreshold[] {
  const limit = policy ? sloLimit(policy, slo.id) : null;
  if (!policy || limit === null) return [];
  return [
    { value: limit, label: "Limit" },
    { value: limit * policy.emergencyMultiplier, label: "Emergency", tone: "emergency" },
  ];
}

function markerRank(rollback: RollbackView): number {
  if (isActive(rollback.status)) return 0;
  return rollback.status === "COMPLETED" || rollback.status === "FAILED" || rollback.aborted ? 1 : 2;
}

/** "10 s", "30 s", "10 min 10 s", "1 h". */
function stepText(stepMs: number): string {
  const seconds = Math.round(stepMs / 1000);
  const parts = [
    [Math.floor(seconds / 3600), "h"],
    [Math.floor((seconds % 3600) / 60), "min"],
    [seconds % 60, "s"],
  ] as const;
  return parts
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(" ");
}

export function TargetPerformance({
  perf,
  onWindowChange,
}: {
  perf: PerformanceRollback;
  onWindowChange: (next: ChartWindow) => void;
}) {
  const { series, range } = perf;
  const hasTraffic = series?.points.some((point) => point.requestCount > 0) ?? false;
  const rollbacks = perf.rollbacks;
  // Labels go first to the active rollback, then to those that moved traffic, newest first (the list's order).
  const markers = useMemo<ChartMarker[]>(
    () =>
      [...(rollbacks ?? [])]
        .sort((a, b) => markerRank(a) - markerRank(b))
        .map((rollback) => ({
          at: rollback.requestedAt,
          label: `${triggerLabels[rollback.trigger]} · ${rollbackStatusLabel(rollback.status)}`,
          href: `/rollbacks/${rollback.id}`,
        })),
    [rollbacks],
  );
  const policy = perf.policy?.policy;
  const points = series?.points;
  const charts = useMemo(
    () => shownSlos(points ?? []).map((slo) => ({ slo, thresholds: thresholdsOf(slo, policy) })),
    [points, policy],
  );
  const windowLabel = chartWindows[perf.window].label;

  return (
    <section aria-labelledby="performance-heading" className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id="performance-heading" className="text-lg font-medium">
            Performance
          </h2>
          <p className="text-xs text-slate-600">
            Live, updated every 5 s{series ? ` · each point covers ${stepText(series.stepMs)}` : ""}
            {perf.verdictsSince
              ? ` · no verdicts kept before ${formatDateTime(perf.verdictsSince)}, so nothing earlier is shaded`
              : ""}
          </p>
        </div>
        <WindowSelector value={perf.window} onChange={onWindowChange} />
      </div>
      {!series ? (
        <div className="grid gap-4 lg:grid-cols-3">
          {[0, 1, 2].map((index) => (
            <Skeleton key={index} className="h-64 w-full" label={index === 0 ? "Loading charts" : undefined} />
          ))}
        </div>
      ) : !hasTraffic ? (
        <EmptyState title={`No metrics in the last ${windowLabel}`}>
          <p>
            Rewind charts what the orchestrator sends: <code className="font-mono">POST /api/v1/ingest</code> with an
            API key of scope <code className="font-mono">ingest</code>, one event per request (time, latency, success,
            cost, provider and model) or pre-aggregated windows. docs/API.md has the request, its signature and
            examples.
          </p>
          <p className="mt-2">
            To see the page at work without an orchestrator, run <code className="font-mono">npm run simulate</code>{" "}
            next to Rewind: it plays traffic and a bad deploy on three demo targets.
          </p>
          {perf.window !== "7d" ? (
            <Button tone="secondary" className="mt-3" onClick={() => onWindowChange("7d")}>
              Show the last 7 days
            </Button>
          ) : null}
        </EmptyState>
      ) : (
        <div
          className={`grid gap-4 ${charts.length % 2 === 0 ? "lg:grid-cols-2" : "lg:grid-cols-3"}`}
          aria-busy={perf.seriesIsStale || undefined}
        >
          {charts.map(({ slo, thresholds }) => (
            <Card key={slo.id} className="min-w-0">
              <MetricChart
                slo={slo.id}
                points={series.points}
                range={range}
                thresholds={thresholds}
                periods={perf.periods}
                markers={markers}
              />
            </Card>
          ))}
        </div>
      )}
      <Breakdown perf={perf} />
    </section>
  );
}

type BreakdownRow = NonNullable<PerformanceRollback["summary"]>["breakdown"][number];

function Breakdown({ perf }: { perf: PerformanceRollback }) {
  const rows = [...(perf.summary?.breakdown ?? [])].sort((a, b) => b.requestCount - a.requestCount);
  if (rows.length === 0) return null;
  const columns: Column<BreakdownRow>[] = [
    { id: "provider", header: "Provider", rowHeader: true, cell: (row) => row.provider ?? "—" },
    { id: "model", header: "Model", cell: (row) => row.model ?? "—" },
    { id: "requests", header: "Requests", numeric: true, cell: (row) => row.requestCount.toLocaleString("en-US") },
    ...shownSlos(rows).map((slo): Column<BreakdownRow> => ({
      id: slo.id,
      header: slo.title,
      numeric: true,
      unit: slo.unit,
      value: (row) => row[slo.reading],
    })),
    { id: "cost", header: "Cost", numeric: true, unit: "usd", value: (row) => row.costMicros / 1_000_000 },
  ];
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <DataTable
        caption={`By provider and model, last ${chartWindows[perf.window].label}`}
        captionVisible
        rows={rows}
        rowKey={(row) => `${row.provider ?? ""}/${row.model ?? ""}`}
        columns={columns}
        head="plain"
      />
    </div>
  );
}
