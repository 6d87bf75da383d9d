"use client";
// What made Rewind propose a rollback: the verdict, its readings against the policy's thresholds, and the
// target's traffic over the incident (from the first violation to the verification's end, or now), with the
// violation periods and the rollback's timeline marked. Shared by the approvals queue and the rollback page.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useState } from "react";
import { formatSloValue, sloDefinition, sloLimit, type Slo } from "@/server/domain/slo";
import { MetricChart, shownSlos } from "../charts/metric-chart";
import { timelineMarkers } from "../charts/rollback-markers";
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
                    ) : reading.threshold === null ? null : (
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

/**
 * The incident's range (rollbacks.incident): from its first violation to its verification's end, or to now while it
 * runs; never past now. Before that loads, or should it fail, an hour before the request up to now.
 */
function chartRange(rollback: RollbackView, incident: { from: Date; to: Date | null } | undefined, now: number) {
  const from = incident?.from.getTime() ?? rollback.requestedAt.getTime() - HOUR;
  const to = Math.min(now, incident?.to?.getTime() ?? now);
  return { from: new Date(Math.max(from, to - DAY * 7)), to: new Date(Math.max(to, from + 60_000)) };
}

function EvidenceChart({ rollback, initialSlo }: { rollback: RollbackView; initialSlo: Slo }) {
  const trpc = useTRPC();
  const [slo, setSlo] = useState<Slo>(initialSlo);
  const incident = useQuery(
    trpc.rollbacks.incident.queryOptions(
      { rollbackId: rollback.id },
      // Its end and markers move until the rollback's verification is judged.
      { refetchInterval: (query) => (query.state.data?.to ? false : 15_000) },
    ),
  );
  const live = !incident.data?.to;
  // A live chart's range ends now, moving every 15 s (a new query each time); a finished one stays put.
  const now = useNow(live ? 15_000 : 3_600_000);
  const range = chartRange(rollback, incident.data ?? undefined, now);
  const series = useQuery(
    trpc.metrics.series.queryOptions(
      { targetId: rollback.target.id, ...range, maxPoints: 240 },
      { enabled: !incident.isPending, placeholderData: keepPreviousData },
    ),
  );
  const periods = useQuery(
    trpc.evaluation.periods.queryOptions(
      { targetId: rollback.target.id, ...range },
      { enabled: !incident.isPending, placeholderData: keepPreviousData },
    ),
  );
  const selectId = useId();
  const threshold = rollback.policy.thresholds ? sloLimit(rollback.policy.thresholds, slo) : null;
  const observed = rollback.evidence?.verdict?.observed;
  const choices = shownSlos([...(series.data?.points ?? []), ...(observed ? [observed] : [])]);
  const markers = useMemo(
    () =>
      incident.data ? timelineMarkers(incident.data.rollback) : [{ at: rollback.requestedAt, label: "Requested" }],
    [incident.data, rollback.requestedAt],
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
      {incident.isPending || series.isPending ? (
        <Skeleton className="h-56 w-full" label="Loading the chart" />
      ) : series.isError ? (
        <QueryError error={series.error} what="the target's metrics" />
      ) : (
        <MetricChart
          slo={slo}
          points={series.data.points}
          range={range}
          thresholds={threshold == null ? [] : [{ value: threshold, label: "Limit" }]}
          periods={periods.data?.periods}
          markers={markers}
          height={200}
          title={`${sloDefinition(slo).title} of ${rollback.target.slug} over the incident`}
        />
      )}
    </div>
  );
}
