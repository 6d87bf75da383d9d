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
import { bucketStart, limitRange, targetRangeShape } from "../../domain/metrics";
import { defaultPolicy, policySchema, type Policy } from "../../domain/policy";
import { loadLatestPolicies, parseStoredPolicy } from "../config/policies";
import { loadBuckets } from "../metrics/bucket-reads";
import { parseInput } from "../platform/validation";
import { evaluatedTargetSelect, loadDecisionTargets, lookbackMs, recentVerdictLimit } from "./evaluation";

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

/**
 * Replays stored buckets over [from, to) through the domain backtest, with a draft policy or the
 * target's current one; ticks every `cycleSeconds` from the bucket boundary at or before `from`.
 */
export async function backtestPolicy(
  db: Db,
  input: unknown,
  options: { bucketWidthMs: number },
): Promise<BacktestSummary> {
  const { targetId, from, to, cycleSeconds, policy: draft } = parseInput(backtestSchema, input);
  const target = await db.target.findUnique({ where: { id: targetId }, select: evaluatedTargetSelect });
  if (!target) throw new AppError("NOT_FOUND", "No such target");
  let policy: Policy;
  if (draft === undefined) {
    const row = (await loadLatestPolicies(db, { id: targetId })).get(targetId);
    policy = row ? parseStoredPolicy(row) : defaultPolicy;
  } else {
    policy = parseInput(policySchema, draft);
  }
  const start = bucketStart(from.getTime(), options.bucketWidthMs);
  const history = { from: new Date(start - lookbackMs(policy)), to };
  const [buckets, configChanges] = await Promise.all([
    loadBuckets(db, targetId, history),
    loadConfigChanges(db, targetId, history),
  ]);
  const result = backtest({
    buckets,
    policy,
    from: start,
    to: to.getTime(),
    cycleMs: cycleSeconds * 1000,
    // Today's emergency stop or maintenance says nothing about the replayed past.
    initialTarget: { ...(await loadDecisionTargets(db, { id: targetId }, from))(target), automationPaused: false },
    recentVerdictLimit: recentVerdictLimit(policy),
    configChanges: { at: configChanges, bucketWidthMs: options.bucketWidthMs },
  });
  const periodGapMs = Math.max(cycleSeconds * 1000, Math.ceil((to.getTime() - start) / BACKTEST_PERIOD_LIMIT));
  return {
    ...result,
    events: result.events.slice(0, BACKTEST_EVENT_LIMIT),
    eventCount: result.events.length,
    actions: result.actions.slice(0, BACKTEST_EVENT_LIMIT),
    periods: mergePeriods(result.periods, periodGapMs),
    periodGapMs,
    policy,
  };
}
