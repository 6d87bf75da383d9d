"use client";
// A chart per SLO of the catalogue for the chosen window (an SLO that only some traffic carries, like time to
// first token, only when the window has it), with the policy's thresholds, the verdicts' violation periods and
// the target's rollbacks (every step of each on a chart of a few hours); the provider/model breakdown below them;
// and what to do when there is no traffic. A recent rollback's incident is one of the ranges to pick, and the page
// opens on it (app/(console)/targets/[slug]/page.tsx).
import Link from "next/link";
import { useMemo } from "react";
import { isActive, type RollbackTrigger } from "@/server/domain/rollback";
import { sloLimit, type SloDefinition } from "@/server/domain/slo";
import { MetricChart, shownSlos, type ChartMarker, type ChartThreshold } from "../charts/metric-chart";
import { rollbackMarkers, timelineSentence } from "../charts/rollback-markers";
import { DataTable, type Column } from "../data-table";
import { formatDateTime } from "../format";
import { rollbackStatusLabel } from "../status";
import { Button, Card, EmptyState, Skeleton } from "../ui";
import type { IncidentView, PerformanceRollback, PolicyView, RollbackTimelineView } from "../use-performance-rollback";
import { chartWindows, sameRange, type ChartRange, type ChartWindow } from "./windows";
import { WindowSelector, type ExtraChoice } from "./window-selector";

const triggerLabels: Record<RollbackTrigger, string> = { EMERGENCY: "Emergency", SLO: "SLO", MANUAL: "Manual" };
const triggerAdjectives: Record<RollbackTrigger, string> = { EMERGENCY: "emergency", SLO: "SLO", MANUAL: "manual" };
/** Charts up to this long mark every step of a rollback; longer ones one marker per rollback. */
const DETAILED_MS = 6 * 3_600_000;

const clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });
const dayClock = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
});

/** "03:02" today, "3 Dec, 03:02" another day. */
function shortTime(date: Date): string {
  return date.toDateString() === new Date().toDateString() ? clock.format(date) : dayClock.format(date);
}

/** "03:00–03:40", "03:00–now". */
export function rangeLabel(range: ChartRange): string {
  return `${shortTime(range.from)}–${range.to ? shortTime(range.to) : "now"}`;
}

/** The policy's limit and emergency line for an SLO; none when the policy does not judge it. */
function thresholdsOf(slo: SloDefinition, policy: PolicyView["policy"] | undefined): ChartThreshold[] {
  const limit = policy ? sloLimit(policy, slo.id) : null;
  if (!policy || limit === null) return [];
  return [
    { value: limit, label: "Limit" },
    { value: limit * policy.emergencyMultiplier, label: "Emergency limit", tone: "emergency" },
  ];
}

function markerRank(rollback: RollbackTimelineView): number {
  if (isActive(rollback.status)) return 0;
  // Those that moved traffic before those that never did (rejected, expired, cancelled while pending).
  return rollback.events.some((event) => event.kind === "STEP") ? 1 : 2;
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
  incident = null,
  onWindowChange,
  onRangeChange,
}: {
  perf: PerformanceRollback;
  /** The target's active or recent rollback and the range that zooms on it, from the server. */
  incident?: IncidentView | null;
  onWindowChange: (next: ChartWindow) => void;
  onRangeChange: (next: ChartRange) => void;
}) {
  const { series, range } = perf;
  const hasTraffic = series?.points.some((point) => point.requestCount > 0) ?? false;
  const timelines = perf.timelines;
  const detailed = range.to.getTime() - range.from.getTime() <= DETAILED_MS;
  const focus = incident?.rollback.id ?? null;
  // Labels go first to the incident's rollback, then the active one, then those that moved traffic, newest first.
  const markers = useMemo<ChartMarker[]>(
    () =>
      rollbackMarkers(
        [...timelines].sort((a, b) => markerRank(a) - markerRank(b)),
        {
          detailed,
          focus,
          summaryLabel: (rollback) => `${triggerLabels[rollback.trigger]} · ${rollbackStatusLabel(rollback.status)}`,
        },
      ),
    [timelines, detailed, focus],
  );
  const incidentRange = useMemo<ChartRange | null>(
    () => (incident ? { from: incident.from, to: incident.to } : null),
    [incident],
  );
  const onIncident = sameRange(perf.customRange, incidentRange);
  const extras: ExtraChoice[] = [
    ...(incident
      ? [
          {
            key: "incident" as const,
            label: "Incident",
            title: `Incident: the ${triggerAdjectives[incident.rollback.trigger]} rollback requested ${shortTime(incident.rollback.requestedAt)}`,
          },
        ]
      : []),
    ...(perf.customRange && !onIncident
      ? [{ key: "range" as const, label: rangeLabel(perf.customRange), title: `From ${rangeLabel(perf.customRange)}` }]
      : []),
  ];
  const selected = perf.window ?? (onIncident ? "incident" : "range");
  function choose(next: ChartWindow | ExtraChoice["key"]) {
    if (next === "incident") {
      if (incidentRange) onRangeChange(incidentRange);
    } else if (next !== "range") onWindowChange(next);
  }
  const policy = perf.policy?.policy;
  const pulledFrom = perf.verdict?.details.observed.pulledFrom;
  const points = series?.points;
  const charts = useMemo(
    () => shownSlos(points ?? []).map((slo) => ({ slo, thresholds: thresholdsOf(slo, policy) })),
    [points, policy],
  );
  const spanText = perf.window ? `the last ${chartWindows[perf.window].label}` : rangeLabel(perf.customRange!);

  return (
    <section aria-labelledby="performance-heading" className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id="performance-heading" className="text-lg font-medium">
            Performance
          </h2>
          <p className="text-xs text-slate-600">
            Live, updated every 5 s{series ? ` · each point covers ${stepText(series.stepMs)}` : ""}
            {" · shading covers the traffic each violating verdict judged"}
            {perf.verdictsSince
              ? ` · no verdicts kept before ${formatDateTime(perf.verdictsSince)}, so nothing earlier is shaded`
              : ""}
          </p>
        </div>
        <WindowSelector value={selected} onChange={choose} extras={extras} />
      </div>
      {pulledFrom ? (
        <p className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          This target is judged on readings pulled from {pulledFrom} (Settings → Integrations), not on these charts:
          they show the traffic sent to Rewind, which may be partial or none.
        </p>
      ) : null}
      {incident && onIncident ? <IncidentNote incident={incident} /> : null}
      {!series ? (
        <div className="grid gap-4 lg:grid-cols-3">
          {[0, 1, 2].map((index) => (
            <Skeleton key={index} className="h-64 w-full" label={index === 0 ? "Loading charts" : undefined} />
          ))}
        </div>
      ) : !hasTraffic ? (
        <EmptyState title={`No metrics in ${spanText}`}>
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
          {perf.window !== "30d" ? (
            <Button tone="secondary" className="mt-3" onClick={() => onWindowChange("30d")}>
              Show the last 30 days
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

/** What the zoomed charts show, in words: the rollback and its timeline, with a link to it. */
function IncidentNote({ incident }: { incident: IncidentView }) {
  const { rollback } = incident;
  return (
    <p className="rounded-md border border-indigo-200 bg-indigo-50 px-3 py-2 text-sm text-indigo-950" role="note">
      <span className="font-medium">
        Zoomed on the {triggerAdjectives[rollback.trigger]} rollback (
        {rollbackStatusLabel(rollback.status).toLowerCase()}), {rangeLabel(incident)}:
      </span>{" "}
      {timelineSentence(rollback, shortTime)}.{" "}
      <Link href={`/rollbacks/${rollback.id}`} className="text-indigo-700 underline hover:text-indigo-900">
        Rollback page
      </Link>
    </p>
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
        caption={`By provider and model, ${perf.window ? `last ${chartWindows[perf.window].label}` : rangeLabel(perf.customRange!)}`}
        captionVisible
        rows={rows}
        rowKey={(row) => `${row.provider ?? ""}/${row.model ?? ""}`}
        columns={columns}
        head="plain"
      />
    </div>
  );
}
