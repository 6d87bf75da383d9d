"use client";
// What made Rewind propose a rollback: the verdict, its readings against the policy's thresholds, and the
// target's traffic around the request. Shared by the approvals queue and the rollback page.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { formatSloValue, sloDefinition, sloLimit, type Slo } from "@/server/domain/slo";
import { MetricChart, shownSlos, type ChartMarker } from "../charts/metric-chart";
import { DataTable } from "../data-table";
import { VerdictBadge } from "../status";
import { useTRPC } from "../trpc";
import { QueryError, Skeleton } from "../ui";
import { formatDuration, type RollbackView } from "./rollback-format";
import { ScrollArea } from "./scroll-area";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

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
  // A violated SLO shows the reading and threshold that decided it (for a burn-rate alert, the short window's
  // error rate against the burn limit); the others the window against the policy. An SLO only some traffic
  // carries (time to first token) is listed when the window has a reading for it.
  const readings = verdict
    ? shownSlos([verdict.observed]).map((slo) => {
        const violation = violations.find((candidate) => candidate.slo === slo.id);
        return {
          slo: slo.id,
          observed: violation ? violation.observed : verdict.observed[slo.reading],
          threshold: violation ? violation.threshold : thresholds ? sloLimit(thresholds, slo.id) : null,
          over: violation !== undefined,
        };
      })
    : [];

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
            <DataTable
              className="min-w-[28rem]"
              caption={`Readings over the ${formatDuration(verdict.observed.windowSeconds * 1000)} evaluation window against the policy's thresholds`}
              density="inline"
              head="plain"
              rows={readings}
              rowKey={(reading) => reading.slo}
              columns={[
                { id: "slo", header: "SLO", rowHeader: true, cell: (reading) => sloDefinition(reading.slo).title },
                {
                  id: "observed",
                  header: "Observed",
                  className: "tabular-nums",
                  cell: (reading) => (
                    <span className={reading.over ? "font-semibold text-red-800" : undefined}>
                      {formatSloValue(reading.slo, reading.observed)}
                    </span>
                  ),
                },
                {
                  id: "threshold",
                  header: "Threshold",
                  className: "tabular-nums",
                  cell: (reading) =>
                    reading.threshold === null && thresholds ? (
                      <span className="text-slate-600">Not judged</span>
                    ) : (
                      formatSloValue(reading.slo, reading.threshold)
                    ),
                },
                {
                  id: "status",
                  header: "Within or over",
                  hideHeader: true,
                  cell: (reading) =>
                    reading.over ? (
                      <span className="font-medium text-red-800">Over</span>
                    ) : reading.observed === null ? (
                      <span className="text-slate-600">No reading</span>
                    ) : (
                      <span className="text-slate-600">Within</span>
                    ),
                },
              ]}
            />
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
      <EvidenceChart rollback={rollback} initialSlo={readings.find((reading) => reading.over)?.slo ?? "ERROR_RATE"} />
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

function EvidenceChart({ rollback, initialSlo }: { rollback: RollbackView; initialSlo: Slo }) {
  const trpc = useTRPC();
  const [slo, setSlo] = useState<Slo>(initialSlo);
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
  const threshold = rollback.policy.thresholds ? sloLimit(rollback.policy.thresholds, slo) : null;
  const observed = rollback.evidence?.verdict?.observed;
  const choices = shownSlos([...(series.data?.points ?? []), ...(observed ? [observed] : [])]);
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
          value={slo}
          onChange={(event) => setSlo(event.target.value as Slo)}
          className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
        >
          {choices.map((choice) => (
            <option key={choice.id} value={choice.id}>
              {choice.title}
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
          slo={slo}
          points={series.data.points}
          range={range}
          thresholds={threshold == null ? [] : [{ value: threshold, label: "Limit" }]}
          markers={markers}
          height={180}
          title={`${sloDefinition(slo).title} of ${rollback.target.slug} around the request`}
        />
      )}
    </div>
  );
}
