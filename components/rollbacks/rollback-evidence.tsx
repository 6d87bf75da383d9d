"use client";
// What made Rewind propose a rollback: the verdict, its readings against the policy's thresholds, and the
// target's traffic around the request. Shared by the approvals queue and the rollback page.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import type { Slo } from "@/server/domain/evaluation";
import { MetricChart, type ChartMarker, type ChartMetric } from "../charts/metric-chart";
import { formatMs, formatPercent, formatUsd } from "../format";
import { VerdictBadge } from "../status";
import { useTRPC } from "../trpc";
import { QueryError, Skeleton } from "../ui";
import { formatDuration, type RollbackView } from "./rollback-format";
import { ScrollArea } from "./scroll-area";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const readings: { metric: ChartMetric; slo: Slo; label: string; format: (value: number) => string }[] = [
  { metric: "errorRate", slo: "ERROR_RATE", label: "Error rate", format: (value) => formatPercent(value) },
  { metric: "p95Ms", slo: "P95_LATENCY", label: "P95 latency", format: formatMs },
  { metric: "costPerRequestUsd", slo: "COST_PER_REQUEST", label: "Cost per request", format: formatUsd },
];

const thresholdKey = {
  errorRate: "maxErrorRate",
  p95Ms: "maxP95LatencyMs",
  costPerRequestUsd: "maxCostPerRequestUsd",
} as const;

/** Re-renders every `intervalMs` with the current time; for ranges that end "now". */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export function RollbackEvidence({ rollback }: { rollback: RollbackView }) {
  const verdict = rollback.evidence?.verdict ?? null;
  const thresholds = rollback.policy.thresholds;
  const violations = verdict && "violations" in verdict ? verdict.violations : [];

  return (
    <section aria-label={`Evidence for the rollback of ${rollback.target.name}`} className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <h3 className="text-sm font-semibold">Evidence</h3>
        {verdict ? <VerdictBadge verdict={verdict} /> : null}
        {thresholds?.policyVersion != null ? (
          <span className="text-xs text-slate-600">judged by policy v{thresholds.policyVersion}</span>
        ) : null}
      </div>
      {verdict ? (
        <>
          {/* An SLO rollback's reason already starts with the verdict's explanation. */}
          {rollback.reason?.startsWith(verdict.explanation) ? null : (
            <p className="text-sm text-slate-700">{verdict.explanation}</p>
          )}
          <ScrollArea label={`Readings of ${rollback.target.name} against the thresholds`}>
            <table className="w-full min-w-[28rem] text-left text-sm">
              <caption className="sr-only">
                Readings over the {formatDuration(verdict.observed.windowSeconds * 1000)} evaluation window against the
                policy&apos;s thresholds
              </caption>
              <thead className="text-slate-600">
                <tr>
                  <th scope="col" className="py-1 pr-3 font-medium">
                    SLO
                  </th>
                  <th scope="col" className="py-1 pr-3 font-medium">
                    Observed
                  </th>
                  <th scope="col" className="py-1 pr-3 font-medium">
                    Threshold
                  </th>
                  <th scope="col" className="py-1 font-medium">
                    <span className="sr-only">Within or over</span>
                  </th>
                </tr>
              </thead>
              <tbody className="tabular-nums">
                {readings.map(({ metric, slo, label, format }) => {
                  // A violated SLO shows the reading and threshold that decided it (for a burn-rate alert, the
                  // short window's error rate against the burn limit); the others the window against the policy.
                  const violation = violations.find((candidate) => candidate.slo === slo);
                  const observed = violation ? violation.observed : verdict.observed[metric];
                  const threshold = violation
                    ? violation.threshold
                    : thresholds
                      ? thresholds[thresholdKey[metric]]
                      : null;
                  const over = violation !== undefined;
                  return (
                    <tr key={metric} className="border-t border-slate-100">
                      <th scope="row" className="py-1 pr-3 font-normal">
                        {label}
                      </th>
                      <td className={`py-1 pr-3 ${over ? "font-semibold text-red-800" : ""}`}>
                        {observed === null ? "—" : format(observed)}
                      </td>
                      <td className="py-1 pr-3">{threshold === null ? "—" : format(threshold)}</td>
                      <td className="py-1">
                        {over ? (
                          <span className="font-medium text-red-800">Over</span>
                        ) : observed === null ? (
                          <span className="text-slate-600">No reading</span>
                        ) : (
                          <span className="text-slate-600">Within</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </ScrollArea>
          <p className="text-xs text-slate-600">
            Evaluation window {formatDuration(verdict.observed.windowSeconds * 1000)},{" "}
            {verdict.observed.requestCount.toLocaleString("en-US")} requests
            {"consecutiveCount" in verdict ? `; violation ${verdict.consecutiveCount} in a row` : ""}.
            {verdict.status === "BREACH" && verdict.burnRate
              ? ` Error budget burning ${verdict.burnRate.shortBurn.toFixed(1)}× (short window) and ` +
                `${verdict.burnRate.longBurn.toFixed(1)}× (long window); the alert fires at ${verdict.burnRate.factor}×.`
              : ""}
          </p>
        </>
      ) : (
        <p className="text-sm text-slate-600">
          {rollback.trigger === "MANUAL"
            ? "No verdict had been recorded for this target when the rollback was requested: the requester's reason is the evidence."
            : "This rollback has no stored verdict."}
        </p>
      )}
      <EvidenceChart
        rollback={rollback}
        initialMetric={
          readings.find((reading) => violations.some((violation) => violation.slo === reading.slo))?.metric ??
          "errorRate"
        }
      />
    </section>
  );
}

/** The window around the request: an hour before it, to a while after it ended (or now), at most a day. */
function chartRange(rollback: RollbackView, now: number): { from: Date; to: Date } {
  const requested = rollback.requestedAt.getTime();
  const end = Math.max(requested + 15 * 60_000, (rollback.endedAt?.getTime() ?? now) + 15 * 60_000);
  const from = requested - HOUR;
  // Whole minutes, so the query key changes once a minute while the window follows now.
  const to = Math.min(from + DAY, Math.ceil(end / 60_000) * 60_000);
  return { from: new Date(from), to: new Date(to) };
}

/** Markers in priority order, each kept only when its label has room beside those already kept. */
function spacedMarkers(candidates: ChartMarker[], range: { from: Date; to: Date }): ChartMarker[] {
  const room = (range.to.getTime() - range.from.getTime()) * 0.15;
  return candidates.reduce<ChartMarker[]>(
    (kept, marker) =>
      kept.every((other) => Math.abs(other.at.getTime() - marker.at.getTime()) >= room) ? [...kept, marker] : kept,
    [],
  );
}

function EvidenceChart({ rollback, initialMetric }: { rollback: RollbackView; initialMetric: ChartMetric }) {
  const trpc = useTRPC();
  const [metric, setMetric] = useState<ChartMetric>(initialMetric);
  const now = useNow(30_000);
  const range = chartRange(rollback, now);
  const active = rollback.endedAt === null;
  const series = useQuery(
    trpc.metrics.series.queryOptions(
      { targetId: rollback.target.id, ...range, maxPoints: 240 },
      { refetchInterval: active ? 15_000 : false },
    ),
  );
  const selectId = useId();
  const threshold = rollback.policy.thresholds?.[thresholdKey[metric]];
  const markers = spacedMarkers(
    [
      { at: rollback.requestedAt, label: "Requested" },
      ...(rollback.endedAt ? [{ at: rollback.endedAt, label: "Ended" }] : []),
      ...(rollback.startedAt ? [{ at: rollback.startedAt, label: "Traffic moved" }] : []),
    ],
    range,
  );

  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <label htmlFor={selectId} className="text-slate-700">
          Chart
        </label>
        <select
          id={selectId}
          value={metric}
          onChange={(event) => setMetric(event.target.value as ChartMetric)}
          className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
        >
          {readings.map((reading) => (
            <option key={reading.metric} value={reading.metric}>
              {reading.label}
            </option>
          ))}
        </select>
      </div>
      {series.isPending ? (
        <Skeleton className="h-56 w-full" label="Loading the chart" />
      ) : series.isError ? (
        <QueryError error={series.error} what="the target's metrics" />
      ) : (
        <MetricChart
          metric={metric}
          points={series.data.points}
          range={range}
          thresholds={threshold == null ? [] : [{ value: threshold, label: "Limit" }]}
          markers={markers}
          height={180}
          title={`${readings.find((reading) => reading.metric === metric)?.label ?? ""} of ${rollback.target.slug} around the request`}
        />
      )}
    </div>
  );
}
