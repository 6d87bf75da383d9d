// The evaluation step of the monitoring cycle: per target, the policy's windows merged from stored
// buckets → verdict (recorded) → decision; the pass over every monitored target. Backtests: ./backtest.ts.
import "server-only";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { Prisma, type Db } from "../../db";
import { decide, decisionKinds, type Decision, type DecisionKind, type DecisionTarget } from "../../domain/decision";
import { AppError } from "../../domain/errors";
import { judgedRange } from "../../domain/configuration-epoch";
import { evaluate, verdictSchema, type Verdict, type VerdictStatus } from "../../domain/evaluation";
import { bucketStart } from "../../domain/metrics";
import { defaultPolicy, type Policy } from "../../domain/policy";
import { pulledVerdict, type PullWindow } from "../../domain/pulled-sources/readings";
import { loadCountSeriesByTarget, sumRequestsByTargetAndVersion } from "../metrics/bucket-reads";
import { loadLatestPolicies, parseStoredPolicy } from "../config/policies";
import { pullEnabledSources } from "../pulled-sources/pull";
import { retryOnConflict } from "../platform/retry";
import { dialectOf } from "../platform/sql-dialect";
import { judgedWindows, loadEvaluationWindows, lookbackMs, recentVerdictLimit } from "./evaluation-windows";
import { loadRecentVerdicts } from "./recent-verdicts";
import { findIdleTargets, recordEvaluationStates } from "./evaluation-state";
import { VERDICT_HISTORY_LIMIT } from "../platform/retention";
import { parseInput } from "../platform/validation";

export interface EvaluationOptions {
  now: Date;
  bucketWidthMs: number;
  /** Opens pulled sources' secrets; API_KEY_ENCRYPTION_KEY's when left out. */
  encryptionKey?: () => Buffer;
}

export const evaluatedTargetSelect = {
  id: true,
  slug: true,
  currentSnapshotId: true,
  knownGoodSnapshotId: true,
  configChangedAt: true,
} satisfies Prisma.TargetSelect;
export type EvaluatedTarget = Prisma.TargetGetPayload<{ select: typeof evaluatedTargetSelect }>;

/** The one row of SystemState (server/services/config/system-switches.ts owns its changes). */
const SYSTEM_STATE_ID = "global";
const HOUR_MS = 3_600_000;

/**
 * The rollback state `decide` needs, for every target matching `where`, in one query per kind of data
 * (the pass decides for a thousand targets). "Automatic" rollbacks — the ones the hourly cap counts —
 * are those created without needing a person's approval: emergency ones and SLO ones under an AUTOMATIC
 * policy. The rollbacks service stores `approvalsRequired` 0 for exactly those (docs/ROLLBACKS.md), so
 * the count is a plain column filter. Rollbacks requested after `now` are ignored, so a backtest of the
 * past sees the past.
 */
export async function loadDecisionTargets(
  db: Db,
  where: Prisma.TargetWhereInput,
  now: Date,
): Promise<(target: Pick<EvaluatedTarget, "id" | "currentSnapshotId" | "knownGoodSnapshotId">) => DecisionTarget> {
  const [active, latest, automatic, system] = await Promise.all([
    db.rollback.findMany({ where: { activeTargetId: { not: null }, target: where }, select: { targetId: true } }),
    db.rollback.groupBy({
      by: ["targetId"],
      where: { target: where, requestedAt: { lte: now } },
      _max: { requestedAt: true },
    }),
    db.rollback.groupBy({
      by: ["targetId"],
      where: { target: where, approvalsRequired: 0, requestedAt: { gt: new Date(now.getTime() - HOUR_MS), lte: now } },
      _count: { _all: true },
    }),
    db.systemState.findUnique({
      where: { id: SYSTEM_STATE_ID },
      select: { emergencyStopActive: true, monitoringPaused: true },
    }),
  ]);
  const activeTargets = new Set(active.map((row) => row.targetId));
  const lastRollbackAt = new Map(latest.map((row) => [row.targetId, row._max.requestedAt]));
  const automaticCounts = new Map(automatic.map((row) => [row.targetId, row._count._all]));
  const automationPaused = Boolean(system?.emergencyStopActive || system?.monitoringPaused);
  return (target) => ({
    hasActiveRollback: activeTargets.has(target.id),
    currentSnapshotId: target.currentSnapshotId,
    knownGoodSnapshotId: target.knownGoodSnapshotId,
    lastRollbackAt: lastRollbackAt.get(target.id) ?? null,
    autoRollbacksInLastHour: automaticCounts.get(target.id) ?? 0,
    automationPaused,
  });
}

export interface TargetEvaluation {
  verdict: Verdict;
  decision: Decision;
}

/** What the monitoring cycle needs to act on a target's evaluation. */
export interface TargetEvaluationResult extends TargetEvaluation {
  policy: Policy;
  policyVersion: number | null;
  /** The verdict recorded before this one, to notify on changes rather than on every cycle. */
  previous: Pick<VerdictRecordDto, "status" | "severity"> | null;
  /**
   * False when this target already had a verdict at this instant: another run of the cycle at the same
   * `now` recorded it and acts on it, so this run must not act again.
   */
  recorded: boolean;
}

/**
 * A target skipped as idle (evaluation-state.ts findIdleTargets): no traffic to judge and nothing to act on since its
 * newest verdict, INSUFFICIENT_DATA at `lastVerdictAt`, which stands. No verdict is recorded and nothing is decided.
 */
export interface IdleTarget {
  lastVerdictAt: Date;
}

export type EvaluationOutcome =
  | { target: EvaluatedTarget; result: TargetEvaluationResult }
  | { target: EvaluatedTarget; error: unknown }
  | { target: EvaluatedTarget; idle: IdleTarget };

/**
 * Evaluates targets with their data loaded in bulk: one query for the latest policies, the evaluation windows
 * with their sketches (loadEvaluationWindows: one query per distinct window length, rollups where no cut falls),
 * one sum per distinct burn-rate window length (counts only, summed by the database over rollups), the rollback state `decide` needs (loadDecisionTargets) and every target's
 * recent verdicts for its streak (loadRecentVerdicts): a fixed number of queries however many targets. Each
 * target is then evaluated and decided; a failure there, or an invalid stored policy, fails that target only.
 * The verdicts are recorded together (recordVerdicts).
 *
 * Windows end at the start of the current bucket: [end − window, end) holds only complete buckets.
 * Only verdicts before `now` feed the streak, so evaluating twice at one instant gives the same verdict.
 *
 * With `skipIdle`, idle targets (findIdleTargets) are left out of every read after the policies and come back as
 * `idle` outcomes after the others; the others are read, judged and recorded exactly as without it.
 */
async function evaluateTargets(
  db: Db,
  candidates: readonly EvaluatedTarget[],
  where: Prisma.TargetWhereInput,
  { now, bucketWidthMs, encryptionKey }: EvaluationOptions,
  { skipIdle = false }: { skipIdle?: boolean } = {},
): Promise<EvaluationOutcome[]> {
  const end = bucketStart(now.getTime(), bucketWidthMs);
  const rows = await loadLatestPolicies(db, where);
  const policies = new Map<string, { version: number | null; policy: Policy } | { error: unknown }>(
    candidates.map((target) => {
      const row = rows.get(target.id);
      try {
        return [target.id, { version: row?.version ?? null, policy: row ? parseStoredPolicy(row) : defaultPolicy }];
      } catch (error) {
        return [target.id, { error }];
      }
    }),
  );
  const idle = skipIdle
    ? await findIdleTargets(db, { candidates, where, policies, end, now })
    : new Map<string, Date>();
  const targets = idle.size === 0 ? candidates : candidates.filter((target) => !idle.has(target.id));
  const idleOutcomes = candidates.flatMap((target): EvaluationOutcome[] => {
    const lastVerdictAt = idle.get(target.id);
    return lastVerdictAt ? [{ target, idle: { lastVerdictAt } }] : [];
  });
  // Over every candidate's policy, idle ones included: the judged targets' reads are then exactly those of a pass
  // without skipping.
  const valid = [...policies.values()].flatMap((entry) => ("policy" in entry ? [entry.policy] : []));
  const evaluationFrom = end - Math.max(0, ...valid.map((policy) => policy.evaluationWindowSeconds * 1000));
  const burnLengths = new Set(
    valid.flatMap((p) => (p.burnRate.enabled ? [p.burnRate.longWindowSeconds, p.burnRate.shortWindowSeconds] : [])),
  );
  // Targets whose burn-rate window is cut at a configuration change that lies before the evaluation windows'
  // buckets: their cut windows need per-bucket counts (one more bulk query, only while some target has one).
  const epochOf = (target: EvaluatedTarget, policy: Policy) => ({
    configChangedAt: target.configChangedAt,
    configPickupSeconds: policy.configPickupSeconds,
    bucketWidthMs,
  });
  const countsFrom = new Map<string, number>();
  for (const target of targets) {
    const entry = policies.get(target.id);
    if (!entry || !("policy" in entry) || !entry.policy.burnRate.enabled) continue;
    const longest = { from: end - entry.policy.burnRate.longWindowSeconds * 1000, to: end };
    const cut = judgedRange(longest, epochOf(target, entry.policy));
    if (cut.clipped && cut.from < evaluationFrom) countsFrom.set(target.id, cut.from);
  }
  const targetIds = targets.map((target) => target.id);
  const range = (seconds: number) => ({ from: new Date(end - seconds * 1000), to: new Date(end) });
  const currentIds = targets.flatMap((target) => (target.currentSnapshotId ? [target.currentSnapshotId] : []));
  // A target with an enabled pulled source is judged on what the source reads over its evaluation window, cut
  // at a configuration change as stored buckets would be (docs/INTEGRATIONS.md, "Pulled metrics").
  const targetById = new Map(targets.map((target) => [target.id, target]));
  const pullWindow = (targetId: string): PullWindow | null => {
    const target = targetById.get(targetId);
    const entry = policies.get(targetId);
    if (!target || !entry || !("policy" in entry)) return null;
    const evaluationRange = { from: end - entry.policy.evaluationWindowSeconds * 1000, to: end };
    const cut = judgedRange(evaluationRange, epochOf(target, entry.policy));
    return { from: cut.from, to: end, sinceChange: cut.clipped };
  };
  const [decisionTarget, recentVerdicts, currentVersions, series, countSeries, pulled, ...sums] = await Promise.all([
    loadDecisionTargets(db, where, now),
    loadRecentVerdicts(db, targetIds, { now, limit: Math.max(0, ...valid.map(recentVerdictLimit)) }),
    loadSnapshotVersions(db, currentIds),
    loadEvaluationWindows(db, {
      policies,
      targets,
      end,
      evaluationFrom,
      bucketWidthMs,
      cut: (target, policy) =>
        judgedRange({ from: end - lookbackMs(policy), to: end }, epochOf(target, policy)).clipped,
    }),
    loadCountSeriesByTarget(db, [...countsFrom.keys()], {
      from: new Date(Math.min(end, ...countsFrom.values())),
      to: new Date(end),
    }),
    pullEnabledSources(db, { where, windowOf: pullWindow, now, encryptionKey }),
    ...[...burnLengths].map((seconds) =>
      sumRequestsByTargetAndVersion(db, targetIds, range(seconds), { bucketWidthMs }),
    ),
  ]);
  const counts = new Map([...burnLengths].map((seconds, i) => [seconds, sums[i]]));
  const versionOf = currentVersions;
  const judge = (target: EvaluatedTarget, policy: Policy) =>
    judgedWindows({
      policy,
      end,
      epoch: epochOf(target, policy),
      version: versionOf.get(target.currentSnapshotId ?? "") ?? null,
      series: series.get(target.id),
      counts: (seconds) => counts.get(seconds)?.get(target.id),
      countSeries: countSeries.get(target.id),
    });

  const evaluated = targets.map((target): EvaluationOutcome => {
    try {
      const entry = policies.get(target.id);
      if (!entry || "error" in entry) throw entry?.error;
      const { policy, version } = entry;
      const recent = (recentVerdicts.get(target.id) ?? []).slice(0, recentVerdictLimit(policy));
      const source = pulled.get(target.id);
      const verdict = source
        ? pulledVerdict(source, { policy, recentVerdicts: recent })
        : evaluate({ ...judge(target, policy), policy, recentVerdicts: recent });
      const decision = decide({ verdict, policy, now, target: decisionTarget(target) });
      return {
        target,
        result: {
          verdict,
          decision,
          policy,
          policyVersion: version,
          previous: recent[0] ? { status: recent[0].status, severity: recent[0].severity } : null,
          recorded: false,
        },
      };
    } catch (error) {
      return { target, error };
    }
  });
  const results = evaluated.flatMap((outcome) =>
    "result" in outcome ? [{ ...outcome.result, target: outcome.target }] : [],
  );
  let recorded: Set<string>;
  try {
    recorded = await recordVerdicts(db, results, { now, where });
  } catch (error) {
    return [
      ...evaluated.map((outcome) => ("error" in outcome ? outcome : { target: outcome.target, error })),
      ...idleOutcomes,
    ];
  }
  return [
    ...evaluated.map((outcome): EvaluationOutcome => {
      if (!("result" in outcome) || !recorded.has(outcome.target.id)) return outcome;
      return { target: outcome.target, result: { ...outcome.result, recorded: true } };
    }),
    ...idleOutcomes,
  ];
}

/**
 * Records the pass's verdicts in one transaction, with each target's evaluation state (the newest verdict, kept in
 * TargetEvaluationState: evaluation-state.ts), skipping targets that already have a verdict at `now`,
 * and returns the ids of the targets it recorded for: a cycle run again at the same instant records, and
 * so acts, only once. There is no unique key on (target, time) to lean on, so two passes racing at one
 * instant are serialized by locking the targets' rows (`SET "id" = "id"` changes nothing, on both
 * databases; a Prisma update would bump `updatedAt`) and checking again under the lock. The first check
 * comes before the lock so that SQLite starts as a reader: a second writer then fails at once and is
 * retried, where a transaction that starts by writing waits out the busy timeout. A serializable
 * transaction would need no lock, but a PostgreSQL serialization failure at commit reaches Prisma in a way
 * that leaves the pooled connection checked out.
 */
async function recordVerdicts(
  db: Db,
  results: readonly (Pick<TargetEvaluationResult, "verdict" | "policyVersion"> & { target: { id: string } })[],
  { now, where }: { now: Date; where: Prisma.TargetWhereInput },
): Promise<Set<string>> {
  if (results.length === 0) return new Set();
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const unrecorded = async () => {
        const existing = await tx.verdictRecord.findMany({
          where: { evaluatedAt: now, target: where },
          select: { targetId: true },
        });
        const done = new Set(existing.map((row) => row.targetId));
        return results.filter((result) => !done.has(result.target.id));
      };
      if ((await unrecorded()).length === 0) return new Set<string>();
      // In slices: SQLite takes at most 999 bound parameters per statement.
      for (let i = 0; i < results.length; i += LOCK_SLICE) {
        const ids = results.slice(i, i + LOCK_SLICE).map((result) => result.target.id);
        await tx.$executeRaw`UPDATE "Target" SET "id" = "id" WHERE "id" IN (${Prisma.join(ids)})`;
      }
      const pending = await unrecorded();
      // Raw multi-row INSERTs: with 10,000 targets, Prisma's createMany spent ~2 s of a pass preparing the rows
      // (docs/PERFORMANCE.md). The enum and JSON columns need PostgreSQL's types named; SQLite stores text.
      const dialect = dialectOf(db);
      const postgres = dialect === "postgresql";
      const typed = (value: string | null, type: string) =>
        postgres ? Prisma.sql`CAST(${value} AS ${Prisma.raw(type)})` : Prisma.sql`${value}`;
      for (let i = 0; i < pending.length; i += VERDICT_INSERT_SLICE) {
        const rows = pending.slice(i, i + VERDICT_INSERT_SLICE).map(({ target, verdict, policyVersion }) => {
          const severity = verdict.status === "BREACH" ? verdict.severity : null;
          const streak = "consecutiveCount" in verdict ? verdict.consecutiveCount : 0;
          return Prisma.sql`(${randomUUID()}, ${target.id}, ${now}, ${typed(verdict.status, `"VerdictStatus"`)},
            ${typed(severity, `"BreachSeverity"`)}, ${streak}, ${typed(JSON.stringify(verdict), "JSONB")},
            ${policyVersion})`;
        });
        await tx.$executeRaw`
          INSERT INTO "VerdictRecord" ("id", "targetId", "evaluatedAt", "status", "severity", "consecutiveCount",
            "details", "policyVersion")
          VALUES ${Prisma.join(rows)}`;
      }
      await recordEvaluationStates(
        tx,
        dialect,
        pending.map(({ target, verdict, policyVersion }) => ({ targetId: target.id, verdict, policyVersion })),
        now,
      );
      return new Set(pending.map((result) => result.target.id));
    }),
  );
}

const LOCK_SLICE = 500;
/** Verdicts per INSERT: 8 parameters each, within SQLite's 999. */
const VERDICT_INSERT_SLICE = 120;

/** Snapshot id → version, in slices of LOCK_SLICE ids (SQLite's bound-parameter limit). */
async function loadSnapshotVersions(db: Db, ids: readonly string[]): Promise<Map<string, number>> {
  const slices: string[][] = [];
  for (let i = 0; i < ids.length; i += LOCK_SLICE) slices.push(ids.slice(i, i + LOCK_SLICE));
  const rows = await Promise.all(
    slices.map((slice) =>
      db.configSnapshot.findMany({ where: { id: { in: slice } }, select: { id: true, version: true } }),
    ),
  );
  return new Map(rows.flat().map((row) => [row.id, row.version]));
}

/**
 * Evaluates one target now: records its verdict and returns it with the decision. Never skipped as idle: a caller
 * asking for one target (ingest's emergency check) wants it judged.
 */
export async function evaluateTarget(db: Db, targetId: string, options: EvaluationOptions): Promise<TargetEvaluation> {
  const target = await db.target.findUnique({ where: { id: targetId }, select: evaluatedTargetSelect });
  if (!target) throw new AppError("NOT_FOUND", "No such target");
  const [outcome] = await evaluateTargets(db, [target], { id: targetId }, options);
  if (!outcome || !("result" in outcome)) throw outcome && "error" in outcome ? outcome.error : new Error("Not judged");
  return { verdict: outcome.result.verdict, decision: outcome.result.decision };
}

/**
 * Evaluates every target with `monitoringEnabled`, each independently (records verdicts, decides), except idle ones
 * (`idle` outcomes, last): `skipIdle: false` judges every target, as the pass did before idle targets were skipped.
 */
export async function evaluateMonitoredTargets(
  db: Db,
  options: EvaluationOptions & { skipIdle?: boolean },
): Promise<EvaluationOutcome[]> {
  const where = { monitoringEnabled: true } satisfies Prisma.TargetWhereInput;
  const targets = await db.target.findMany({ where, select: evaluatedTargetSelect, orderBy: { slug: "asc" } });
  return evaluateTargets(db, targets, where, options, { skipIdle: options.skipIdle ?? true });
}

export interface EvaluationCounts {
  /** Targets judged (a verdict and a decision; `verdicts` and `decisions` count them), idle ones not included. */
  targetsEvaluated: number;
  /** Idle targets skipped: no traffic to judge since their INSUFFICIENT_DATA verdict, which stands. */
  targetsIdle: number;
  verdicts: Record<VerdictStatus, number>;
  decisions: Record<DecisionKind, number>;
  errors: { targetSlug: string; message: string }[];
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function countEvaluations(outcomes: readonly EvaluationOutcome[]): EvaluationCounts {
  const counts: EvaluationCounts = {
    targetsEvaluated: 0,
    targetsIdle: 0,
    verdicts: { INSUFFICIENT_DATA: 0, HEALTHY: 0, VIOLATION: 0, BREACH: 0 },
    decisions: Object.fromEntries(decisionKinds.map((kind) => [kind, 0])) as Record<DecisionKind, number>,
    errors: [],
  };
  for (const outcome of outcomes) {
    if ("idle" in outcome) {
      counts.targetsIdle += 1;
      continue;
    }
    if ("error" in outcome) {
      counts.errors.push({ targetSlug: outcome.target.slug, message: errorMessage(outcome.error) });
      continue;
    }
    counts.targetsEvaluated += 1;
    counts.verdicts[outcome.result.verdict.status] += 1;
    counts.decisions[outcome.result.decision.kind] += 1;
  }
  return counts;
}

export interface EvaluationPassSummary extends EvaluationCounts {
  durationMs: number;
}

/**
 * Evaluates every monitored target independently (one failing target is reported, never stops the
 * others). Deleting old rows is the cycle's retention step (platform/retention.ts).
 */
export async function runEvaluationPass(
  db: Db,
  options: EvaluationOptions & { skipIdle?: boolean },
): Promise<EvaluationPassSummary> {
  const startedAt = performance.now();
  const counts = countEvaluations(await evaluateMonitoredTargets(db, options));
  return { ...counts, durationMs: Math.round(performance.now() - startedAt) };
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
