// Policy backtests: stored buckets replayed through the domain backtest with a draft or the current policy,
// for the policy editor to compare before saving.
import "server-only";
import { z } from "zod";
import type { Db } from "../../db";
import {
  backtest,
  mergePeriods,
  type BacktestAction,
  type BacktestEvent,
  type BacktestPeriod,
  type BacktestResult,
} from "../../domain/backtest";
import { AppError } from "../../domain/errors";
import { replayResolutionMs } from "../../domain/backtest";
import {
  bucketStart,
  chartStepMs,
  downsampleSeries,
  limitRange,
  MAX_CHART_POINTS,
  targetRangeShape,
} from "../../domain/metrics";
import { defaultPolicy, policySchema, type Policy } from "../../domain/policy";
import { loadLatestPolicies, parseStoredPolicy } from "../config/policies";
import { loadSeriesThroughRollups } from "../metrics/bucket-reads";
import { metricSeries, seriesPoint, type MetricSeries } from "../metrics/buckets";
import { parseInput } from "../platform/validation";
import { evaluatedTargetSelect, loadDecisionTargets } from "./evaluation";
import { lookbackMs, recentVerdictLimit } from "./evaluation-windows";

/** At most this many non-trivial ticks (and rollbacks) are returned; the counts cover every tick. */
const BACKTEST_EVENT_LIMIT = 500;
/** Violation periods closer than 1/500 of the range are joined, so a chart gets at most about 500 spans. */
const BACKTEST_PERIOD_LIMIT = 500;

const backtestSchema = limitRange(
  z.object({
    ...targetRangeShape,
    /** A draft to try; the target's current policy when absent. Validated separately, for field issues. */
    policy: z.unknown().optional(),
    cycleSeconds: z.number().int().min(10).max(3_600).default(60),
  }),
  7,
);

export type BacktestSummary = Omit<BacktestResult, "events" | "actions" | "periods"> & {
  events: BacktestEvent[];
  eventCount: number;
  actions: BacktestAction[];
  /** Violation and breach periods, those less than `periodGapMs` apart joined. */
  periods: BacktestPeriod[];
  periodGapMs: number;
  policy: Policy;
};

/**
 * When what config delivery served for the target changed within the range, from the audit log (the one history
 * of it): every snapshot made current by a publish, and every rollback transition that moved traffic or completed.
 * The target's `configChangedAt` holds only the latest change.
 */
async function loadConfigChanges(db: Db, targetId: string, range: { from: Date; to: Date }): Promise<number[]> {
  const events = await db.auditEvent.findMany({
    where: {
      targetId,
      at: { gte: range.from, lt: range.to },
      OR: [{ action: "snapshot.published" }, { entityType: "Rollback" }],
    },
    select: { at: true, action: true, before: true, after: true },
  });
  const percent = (value: unknown) =>
    typeof value === "object" && value !== null && "trafficPercent" in value ? value.trafficPercent : undefined;
  return events
    .filter(
      ({ action, before, after }) =>
        action === "snapshot.published" ||
        action === "rollback.completed" ||
        (percent(after) !== undefined && percent(after) !== (percent(before) ?? 0)),
    )
    .map(({ at }) => at.getTime());
}

interface Replay {
  targetId: string;
  from: Date;
  to: Date;
  cycleSeconds: number;
}

/**
 * Loads the target's history once for every policy given (and for a chart of `chartPoints` points over the range),
 * and replays it through each: 1-minute rollups when the ticks and windows allow (replayResolutionMs: a 7-day
 * replay reads ~10,000 rows instead of 60,480), else the buckets.
 */
async function replay(
  db: Db,
  { targetId, from, to, cycleSeconds }: Replay,
  policies: readonly Policy[],
  options: { bucketWidthMs: number; chartPoints?: number },
): Promise<{ summaries: BacktestSummary[]; series: MetricSeries | null }> {
  const target = await db.target.findUnique({ where: { id: targetId }, select: evaluatedTargetSelect });
  if (!target) throw new AppError("NOT_FOUND", "No such target");
  const cycleMs = cycleSeconds * 1000;
  const resolutionMs = replayResolutionMs(policies, cycleMs, options.bucketWidthMs);
  const start = bucketStart(from.getTime(), resolutionMs);
  const range = { from: from.getTime(), to: to.getTime() };
  const chartStep = options.chartPoints ? chartStepMs(range, options.bucketWidthMs, options.chartPoints) : null;
  // The chart comes from the same rows when its steps are whole rows, and from its own read otherwise.
  const chartFromRows = chartStep !== null && chartStep % resolutionMs === 0;
  const historyFrom = Math.min(
    start - Math.max(...policies.map(lookbackMs)),
    chartFromRows ? bucketStart(range.from, chartStep) : Infinity,
  );
  const history = { from: new Date(historyFrom), to };
  const [buckets, configChanges, decisionTarget, chart] = await Promise.all([
    loadSeriesThroughRollups(db, targetId, history, {
      bucketWidthMs: options.bucketWidthMs,
      maxWidthMs: resolutionMs === options.bucketWidthMs ? 0 : resolutionMs,
    }),
    loadConfigChanges(db, targetId, history),
    loadDecisionTargets(db, { id: targetId }, from),
    chartStep !== null && !chartFromRows
      ? metricSeries(db, { targetId, from, to, maxPoints: options.chartPoints }, options)
      : null,
  ]);
  const periodGapMs = Math.max(cycleMs, Math.ceil((range.to - start) / BACKTEST_PERIOD_LIMIT));
  const summaries = policies.map((policy): BacktestSummary => {
    const result = backtest({
      buckets,
      policy,
      from: start,
      to: range.to,
      cycleMs,
      // Today's emergency stop or maintenance says nothing about the replayed past.
      initialTarget: { ...decisionTarget(target), automationPaused: false },
      recentVerdictLimit: recentVerdictLimit(policy),
      configChanges: { at: configChanges, bucketWidthMs: resolutionMs },
    });
    return {
      ...result,
      events: result.events.slice(0, BACKTEST_EVENT_LIMIT),
      eventCount: result.events.length,
      actions: result.actions.slice(0, BACKTEST_EVENT_LIMIT),
      periods: mergePeriods(result.periods, periodGapMs),
      periodGapMs,
      policy,
    };
  });
  const series =
    chart ??
    (chartFromRows && chartStep !== null
      ? { stepMs: chartStep, points: downsampleSeries(buckets, range, chartStep).map(seriesPoint) }
      : null);
  return { summaries, series };
}

/** The target's current policy, or the defaults when it never saved one. */
async function currentPolicy(db: Db, targetId: string): Promise<Policy> {
  const row = (await loadLatestPolicies(db, { id: targetId })).get(targetId);
  return row ? parseStoredPolicy(row) : defaultPolicy;
}

/**
 * Replays stored metrics over [from, to) through the domain backtest, with a draft policy or the target's current
 * one; ticks every `cycleSeconds` from the replay's resolution boundary at or before `from`.
 */
export async function backtestPolicy(
  db: Db,
  input: unknown,
  options: { bucketWidthMs: number },
): Promise<BacktestSummary> {
  const { policy: draft, ...replayInput } = parseInput(backtestSchema, input);
  const policy = draft === undefined ? await currentPolicy(db, replayInput.targetId) : parseInput(policySchema, draft);
  const { summaries } = await replay(db, replayInput, [policy], options);
  return summaries[0] as BacktestSummary;
}

const comparisonSchema = backtestSchema.extend({
  maxPoints: z.number().int().min(10).max(MAX_CHART_POINTS).default(400),
});

export interface BacktestComparison {
  current: BacktestSummary;
  /** Null when no draft was given. */
  draft: BacktestSummary | null;
  /** The range's all-traffic series, as metrics.series gives it, to chart under both. */
  series: MetricSeries;
}

/**
 * The policy editor's backtest: the current policy and, when given, the draft replayed over the same history, with
 * the range's chart, all from one read of the target's metrics.
 */
export async function compareBacktests(
  db: Db,
  input: unknown,
  options: { bucketWidthMs: number },
): Promise<BacktestComparison> {
  const { policy: draftInput, maxPoints, ...replayInput } = parseInput(comparisonSchema, input);
  const draft = draftInput === undefined ? null : parseInput(policySchema, draftInput);
  const current = await currentPolicy(db, replayInput.targetId);
  const { summaries, series } = await replay(db, replayInput, draft ? [current, draft] : [current], {
    ...options,
    chartPoints: maxPoints,
  });
  return {
    current: summaries[0] as BacktestSummary,
    draft: summaries[1] ?? null,
    series: series as MetricSeries,
  };
}
