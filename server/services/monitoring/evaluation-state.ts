// Each target's newest verdict kept beside its history (TargetEvaluationState), and the idle targets the monitoring
// cycle skips because of it (server/domain/idle-targets.ts has the rule; docs/METRICS.md, "Idle targets").
import "server-only";
import { Prisma, type Db, type Tx } from "../../db";
import type { Verdict } from "../../domain/evaluation";
import { isIdle, type EvaluationState } from "../../domain/idle-targets";
import type { Policy } from "../../domain/policy";
import { ROLLUP_WIDTHS_MS } from "../../domain/rollups";
import { columnIn } from "../platform/sql-dialect";
import { lookbackMs } from "./evaluation-windows";

export interface RecordedVerdict {
  targetId: string;
  verdict: Pick<Verdict, "status"> & { severity?: string; consecutiveCount?: number };
  policyVersion: number | null;
}

/** States per INSERT: 6 parameters each, within SQLite's 999. */
const STATE_SLICE = 150;

/**
 * Upserts the targets' states to verdicts recorded at `now`, inside the transaction that records them, so the state
 * is always the newest verdict. A state already newer than `now` (a verdict of a later instant, recorded first) is
 * kept. The same statement on both databases: `INSERT … ON CONFLICT DO UPDATE … WHERE`.
 */
export async function recordEvaluationStates(
  tx: Tx,
  dialect: "sqlite" | "postgresql",
  verdicts: readonly RecordedVerdict[],
  now: Date,
): Promise<void> {
  const typed = (value: string | null, type: string) =>
    dialect === "postgresql" ? Prisma.sql`CAST(${value} AS ${Prisma.raw(type)})` : Prisma.sql`${value}`;
  for (let i = 0; i < verdicts.length; i += STATE_SLICE) {
    const rows = verdicts.slice(i, i + STATE_SLICE).map(({ targetId, verdict, policyVersion }) => {
      const severity = verdict.status === "BREACH" ? (verdict.severity ?? null) : null;
      return Prisma.sql`(${targetId}, ${now}, ${typed(verdict.status, `"VerdictStatus"`)},
        ${typed(severity, `"BreachSeverity"`)}, ${verdict.consecutiveCount ?? 0}, ${policyVersion})`;
    });
    await tx.$executeRaw`
      INSERT INTO "TargetEvaluationState" ("targetId", "lastVerdictAt", "lastStatus", "lastSeverity",
        "consecutiveCount", "policyVersion")
      VALUES ${Prisma.join(rows)}
      ON CONFLICT ("targetId") DO UPDATE SET "lastVerdictAt" = excluded."lastVerdictAt",
        "lastStatus" = excluded."lastStatus", "lastSeverity" = excluded."lastSeverity",
        "consecutiveCount" = excluded."consecutiveCount", "policyVersion" = excluded."policyVersion"
      WHERE "TargetEvaluationState"."lastVerdictAt" <= excluded."lastVerdictAt"`;
  }
}

export interface IdleCandidate {
  id: string;
  configChangedAt: Date | null;
}

/**
 * The targets of `candidates` (matching `where`) that the pass may skip, with when each was last judged. Its reads
 * grow with the targets whose newest verdict is INSUFFICIENT_DATA, not with history: their states, the rollbacks under
 * way and the enabled pulled sources (each one query), then per distinct lookback one query asking, per target, for
 * one bucket or rollup in it (an index seek each: both unique indexes lead with targetId).
 */
export async function findIdleTargets(
  db: Db,
  input: {
    candidates: readonly IdleCandidate[];
    where: Prisma.TargetWhereInput;
    policies: ReadonlyMap<string, { version: number | null; policy: Policy } | { error: unknown }>;
    end: number;
    now: Date;
  },
): Promise<Map<string, Date>> {
  const { where, policies, end, now } = input;
  const [states, underWay, sources] = await Promise.all([
    db.targetEvaluationState.findMany({
      where: { lastStatus: "INSUFFICIENT_DATA", lastVerdictAt: { lt: now }, target: where },
      select: { targetId: true, lastVerdictAt: true, lastStatus: true, policyVersion: true },
    }),
    db.rollback.findMany({
      where: {
        target: where,
        OR: [{ activeTargetId: { not: null } }, { status: "COMPLETED", verification: "PENDING" }],
      },
      select: { targetId: true },
    }),
    db.metricSource.findMany({ where: { enabled: true, target: where }, select: { targetId: true } }),
  ]);
  const stateOf = new Map<string, EvaluationState>(states.map(({ targetId, ...state }) => [targetId, state]));
  const busy = new Set([...underWay, ...sources].map((row) => row.targetId));
  // Everything but traffic first: only what is left asks the buckets.
  const byLookback = new Map<number, IdleCandidate[]>();
  for (const target of input.candidates) {
    const entry = policies.get(target.id);
    const state = stateOf.get(target.id) ?? null;
    if (!entry || !("policy" in entry) || busy.has(target.id)) continue;
    const quiet = isIdle({
      state,
      policy: entry.policy,
      policyVersion: entry.version,
      configChangedAt: target.configChangedAt,
      hasTraffic: false,
      pulledSource: false,
      rollbackUnderWay: false,
      now,
    });
    if (!quiet) continue;
    const lookback = lookbackMs(entry.policy);
    const group = byLookback.get(lookback);
    if (group) group.push(target);
    else byLookback.set(lookback, [target]);
  }
  const withTraffic = await Promise.all(
    [...byLookback].map(([lookback, group]) =>
      targetsWithTrafficSince(
        db,
        group.map((target) => target.id),
        new Date(end - lookback),
      ),
    ),
  );
  const traffic = new Set(withTraffic.flat());
  const idle = new Map<string, Date>();
  for (const group of byLookback.values()) {
    for (const target of group) {
      if (!traffic.has(target.id)) idle.set(target.id, stateOf.get(target.id)!.lastVerdictAt);
    }
  }
  return idle;
}

/**
 * The targets of `ids` with a bucket or a rollup starting at or after `from`. The pass reads only these: rollups whole
 * inside a range (metrics/bucket-reads.ts), buckets at its edges, so a rollup starting before `from` holds nothing
 * it reads; rollups count here for ranges whose buckets are past their raw retention. No upper bound: a bucket of the
 * current (incomplete) bucket or ahead of the clock also makes the target worth judging, as it is today. The rollup
 * widths are named so that the seek on (targetId, widthSeconds, start) skips a target's older rollups.
 */
async function targetsWithTrafficSince(db: Db, ids: readonly string[], from: Date): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT "t"."id" FROM "Target" AS "t"
    WHERE ${columnIn(db, "id", ids)} AND (
      EXISTS (SELECT 1 FROM "MetricBucket" AS "b" WHERE "b"."targetId" = "t"."id" AND "b"."start" >= ${from})
      OR EXISTS (SELECT 1 FROM "MetricRollup" AS "r" WHERE "r"."targetId" = "t"."id"
        AND "r"."widthSeconds" IN (${Prisma.join(ROLLUP_WIDTHS_MS.map((ms) => ms / 1000))})
        AND "r"."start" >= ${from}))`;
  return rows.map((row) => row.id);
}
