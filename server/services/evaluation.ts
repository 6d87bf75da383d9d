// The evaluation step of the monitoring cycle: per target, the policy's windows merged from stored
// buckets → verdict (recorded) → decision; the pass over every monitored target; policy backtests.
import { z } from "zod";
import { type Prisma, type Db } from "../db";
import { backtest, type BacktestEvent, type BacktestResult } from "../domain/backtest";
import { decide, decisionKinds, type Decision, type DecisionKind, type DecisionTarget } from "../domain/decision";
import { AppError } from "../domain/errors";
import { evaluate, verdictSchema, type ErrorWindow, type Verdict, type VerdictStatus } from "../domain/evaluation";
import {
  bucketStart,
  emptyTotals,
  mergeWindow,
  limitRange,
  targetRangeShape,
  toWindowMetrics,
} from "../domain/metrics";
import { defaultPolicy, policySchema, type Policy } from "../domain/policy";
import { loadBuckets, loadSeriesByTarget, pruneMetrics, sumRequestsByTarget } from "./metrics";
import { loadLatestPolicies, parseStoredPolicy } from "./policies";
import { parseInput } from "./validation";

/** Verdicts kept per target; the pass deletes older ones. */
export const VERDICT_HISTORY_LIMIT = 1_000;

export interface EvaluationOptions {
  now: Date;
  bucketWidthMs: number;
}

const evaluatedTargetSelect = {
  id: true,
  slug: true,
  currentSnapshotId: true,
  knownGoodSnapshotId: true,
} satisfies Prisma.TargetSelect;
type EvaluatedTarget = Prisma.TargetGetPayload<{ select: typeof evaluatedTargetSelect }>;

/**
 * The rollback state `decide` needs. Rollbacks, emergency stop and snapshots arrive in later issues;
 * until then only the snapshot ids are real.
 */
export function loadDecisionTarget(
  _db: Db,
  target: Pick<EvaluatedTarget, "currentSnapshotId" | "knownGoodSnapshotId">,
  _now: Date,
): Promise<DecisionTarget> {
  return Promise.resolve({
    hasActiveRollback: false,
    currentSnapshotId: target.currentSnapshotId,
    knownGoodSnapshotId: target.knownGoodSnapshotId,
    lastRollbackAt: null,
    autoRollbacksInLastHour: 0,
    automationPaused: false,
  });
}

/** Preceding verdicts the streak needs: with this many, `consecutiveViolations` can be reached. */
function recentVerdictLimit(policy: Policy): number {
  return policy.consecutiveViolations;
}

/** The longest window a policy reads, in ms. */
function lookbackMs(policy: Policy): number {
  const evaluationMs = policy.evaluationWindowSeconds * 1000;
  return policy.burnRate.enabled ? Math.max(evaluationMs, policy.burnRate.longWindowSeconds * 1000) : evaluationMs;
}

export interface TargetEvaluation {
  verdict: Verdict;
  decision: Decision;
}

type Outcome = { target: EvaluatedTarget; result: TargetEvaluation } | { target: EvaluatedTarget; error: unknown };

/**
 * Evaluates targets with their data loaded in bulk: one query for the latest policies, one for the
 * evaluation windows' buckets (with sketches), and one sum per distinct burn-rate window length (counts
 * only, summed by the database). Each target then reads its recent verdicts, records its verdict and
 * prunes its history; a failure there, or an invalid stored policy, fails that target only.
 *
 * Windows end at the start of the current bucket: [end − window, end) holds only complete buckets.
 */
async function evaluateTargets(
  db: Db,
  targets: readonly EvaluatedTarget[],
  where: Prisma.TargetWhereInput,
  { now, bucketWidthMs }: EvaluationOptions,
): Promise<Outcome[]> {
  const end = bucketStart(now.getTime(), bucketWidthMs);
  const rows = await loadLatestPolicies(db, where);
  const policies = new Map<string, { version: number | null; policy: Policy } | { error: unknown }>(
    targets.map((target) => {
      const row = rows.get(target.id);
      try {
        return [target.id, { version: row?.version ?? null, policy: row ? parseStoredPolicy(row) : defaultPolicy }];
      } catch (error) {
        return [target.id, { error }];
      }
    }),
  );
  const valid = [...policies.values()].flatMap((entry) => ("policy" in entry ? [entry.policy] : []));
  const evaluationFrom = end - Math.max(0, ...valid.map((policy) => policy.evaluationWindowSeconds * 1000));
  const burnLengths = new Set(
    valid.flatMap((p) => (p.burnRate.enabled ? [p.burnRate.longWindowSeconds, p.burnRate.shortWindowSeconds] : [])),
  );
  const bucketWhere = { target: where };
  const range = (seconds: number) => ({ from: new Date(end - seconds * 1000), to: new Date(end) });
  const [series, ...sums] = await Promise.all([
    loadSeriesByTarget(db, bucketWhere, { from: new Date(evaluationFrom), to: new Date(end) }),
    ...[...burnLengths].map((seconds) => sumRequestsByTarget(db, bucketWhere, range(seconds))),
  ]);
  const counts = new Map([...burnLengths].map((seconds, i) => [seconds, sums[i]]));
  const errorWindow = (targetId: string, seconds: number): ErrorWindow =>
    toWindowMetrics(
      { ...emptyTotals(), ...counts.get(seconds)?.get(targetId) },
      { from: end - seconds * 1000, to: end },
    );

  return Promise.all(
    targets.map(async (target): Promise<Outcome> => {
      try {
        const entry = policies.get(target.id);
        if (!entry || "error" in entry) throw entry?.error;
        const { policy, version } = entry;
        const recent = await db.verdictRecord.findMany({
          where: { targetId: target.id },
          orderBy: { evaluatedAt: "desc" },
          take: recentVerdictLimit(policy),
          select: { status: true },
        });
        const verdict = evaluate({
          window: mergeWindow(series.get(target.id) ?? [], {
            from: end - policy.evaluationWindowSeconds * 1000,
            to: end,
          }),
          policy,
          recentVerdicts: recent,
          ...(policy.burnRate.enabled && {
            burnRate: {
              longWindow: errorWindow(target.id, policy.burnRate.longWindowSeconds),
              shortWindow: errorWindow(target.id, policy.burnRate.shortWindowSeconds),
            },
          }),
        });
        await recordVerdict(db, target.id, verdict, { now, policyVersion: version });
        const decision = decide({ verdict, policy, now, target: await loadDecisionTarget(db, target, now) });
        return { target, result: { verdict, decision } };
      } catch (error) {
        return { target, error };
      }
    }),
  );
}

async function recordVerdict(
  db: Db,
  targetId: string,
  verdict: Verdict,
  options: { now: Date; policyVersion: number | null },
): Promise<void> {
  await db.verdictRecord.create({
    data: {
      targetId,
      evaluatedAt: options.now,
      status: verdict.status,
      severity: verdict.status === "BREACH" ? verdict.severity : null,
      consecutiveCount: "consecutiveCount" in verdict ? verdict.consecutiveCount : 0,
      details: verdict,
      policyVersion: options.policyVersion,
    },
    select: { id: true },
  });
  const oldestDropped = await db.verdictRecord.findFirst({
    where: { targetId },
    orderBy: { evaluatedAt: "desc" },
    skip: VERDICT_HISTORY_LIMIT,
    select: { evaluatedAt: true },
  });
  if (oldestDropped) {
    await db.verdictRecord.deleteMany({ where: { targetId, evaluatedAt: { lte: oldestDropped.evaluatedAt } } });
  }
}

/** Evaluates one target now: records its verdict and returns it with the decision. */
export async function evaluateTarget(db: Db, targetId: string, options: EvaluationOptions): Promise<TargetEvaluation> {
  const target = await db.target.findUnique({ where: { id: targetId }, select: evaluatedTargetSelect });
  if (!target) throw new AppError("NOT_FOUND", "No such target");
  const [outcome] = await evaluateTargets(db, [target], { id: targetId }, options);
  if (!outcome || "error" in outcome) throw outcome?.error;
  return outcome.result;
}

export interface EvaluationPassSummary {
  targetsEvaluated: number;
  verdicts: Record<VerdictStatus, number>;
  decisions: Record<DecisionKind, number>;
  errors: { targetSlug: string; message: string }[];
  prunedBuckets: number;
  durationMs: number;
}

/**
 * Evaluates every monitored target independently (one failing target is reported, never stops the
 * others), then deletes metric buckets past retention.
 */
export async function runEvaluationPass(
  db: Db,
  options: EvaluationOptions & { retentionMs: number },
): Promise<EvaluationPassSummary> {
  const startedAt = performance.now();
  const where = { monitoringEnabled: true } satisfies Prisma.TargetWhereInput;
  const targets = await db.target.findMany({ where, select: evaluatedTargetSelect, orderBy: { slug: "asc" } });
  const outcomes = await evaluateTargets(db, targets, where, options);
  const summary: EvaluationPassSummary = {
    targetsEvaluated: 0,
    verdicts: { INSUFFICIENT_DATA: 0, HEALTHY: 0, VIOLATION: 0, BREACH: 0 },
    decisions: Object.fromEntries(decisionKinds.map((kind) => [kind, 0])) as Record<DecisionKind, number>,
    errors: [],
    prunedBuckets: await pruneMetrics(db, { before: new Date(options.now.getTime() - options.retentionMs) }),
    durationMs: 0,
  };
  for (const outcome of outcomes) {
    if ("error" in outcome) {
      const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      summary.errors.push({ targetSlug: outcome.target.slug, message });
      continue;
    }
    summary.targetsEvaluated += 1;
    summary.verdicts[outcome.result.verdict.status] += 1;
    summary.decisions[outcome.result.decision.kind] += 1;
  }
  summary.durationMs = Math.round(performance.now() - startedAt);
  return summary;
}

const verdictHistorySchema = z.object({
  targetId: z.string().min(1, "Target is required"),
  limit: z.number().int().min(1).max(VERDICT_HISTORY_LIMIT).default(100),
});

const verdictRecordSelect = {
  id: true,
  evaluatedAt: true,
  status: true,
  severity: true,
  consecutiveCount: true,
  policyVersion: true,
  details: true,
} satisfies Prisma.VerdictRecordSelect;

export type VerdictRecordDto = Omit<
  Prisma.VerdictRecordGetPayload<{ select: typeof verdictRecordSelect }>,
  "details"
> & {
  details: Verdict;
};

/** A target's recorded verdicts, newest first. */
export async function listVerdicts(db: Db, input: unknown): Promise<VerdictRecordDto[]> {
  const { targetId, limit } = parseInput(verdictHistorySchema, input);
  const rows = await db.verdictRecord.findMany({
    where: { targetId },
    orderBy: { evaluatedAt: "desc" },
    take: limit,
    select: verdictRecordSelect,
  });
  return rows.map((row) => ({ ...row, details: verdictSchema.parse(row.details) }));
}

/** At most this many non-trivial ticks are returned; the counts cover every tick. */
const BACKTEST_EVENT_LIMIT = 500;

const backtestSchema = limitRange(
  z.object({
    ...targetRangeShape,
    /** A draft to try; the target's current policy when absent. Validated separately, for field issues. */
    policy: z.unknown().optional(),
    cycleSeconds: z.number().int().min(10).max(3_600).default(60),
  }),
  7,
);

export type BacktestSummary = Omit<BacktestResult, "events"> & {
  events: BacktestEvent[];
  eventCount: number;
  policy: Policy;
};

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
  const buckets = await loadBuckets(db, targetId, { from: new Date(start - lookbackMs(policy)), to });
  const result = backtest({
    buckets,
    policy,
    from: start,
    to: to.getTime(),
    cycleMs: cycleSeconds * 1000,
    initialTarget: await loadDecisionTarget(db, target, from),
    recentVerdictLimit: recentVerdictLimit(policy),
  });
  return {
    ...result,
    events: result.events.slice(0, BACKTEST_EVENT_LIMIT),
    eventCount: result.events.length,
    policy,
  };
}
