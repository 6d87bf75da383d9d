// The monitoring cycle's steps for rollbacks: expire stale proposals, start and advance due rollbacks, verify
// completed ones. Each rollback is handled on its own; a failure is reported with the rollback and the
// target and never stops the others.
import "server-only";
import { z } from "zod";
import type { Db, Prisma } from "../../db";
import { AppError } from "../../domain/errors";
import { verdictSchema } from "../../domain/evaluation";
import { bucketStart, mergeWindow } from "../../domain/metrics";
import { defaultPolicy, type Policy } from "../../domain/policy";
import { approvalExpired, metricsGotWorse, stepDue, verificationOutcome } from "../../domain/rollback";
import { pickReadings, sloReadingsShape } from "../../domain/slo";
import { appendAudit, systemActor } from "../audit/audit-log";
import { loadLatestPolicies, parseStoredPolicy } from "../config/policies";
import { loadBuckets } from "../metrics/buckets";
import { enqueueNotification } from "../notifications/outbox";
import { formatMinutes } from "./messages";
import type { RollbackRow } from "./rows";
import {
  applyTransition,
  assertUsableTarget,
  inTransaction,
  loadRow,
  snapshotVersions,
  StaleRollback,
} from "./transitions";

/** SLO readings of one step interval, stored as `stepBaseline` to tell whether the next interval got worse. */
const readingsSchema = z.object({
  from: z.number(),
  to: z.number(),
  requestCount: z.number(),
  ...sloReadingsShape,
});
type Readings = z.infer<typeof readingsSchema>;

export interface CycleError {
  targetSlug?: string;
  rollbackId?: string;
  message: string;
}

/**
 * The latest policy of each target, as the cycle applies it to running rollbacks: a changed step interval
 * or approval timeout takes effect at once (steps and approvals required are fixed at creation).
 */
async function policiesOf(db: Db, targetIds: readonly string[]): Promise<(targetId: string) => Policy> {
  const rows = await loadLatestPolicies(db, { id: { in: [...new Set(targetIds)] } });
  return (targetId) => {
    const row = rows.get(targetId);
    return row ? parseStoredPolicy(row) : defaultPolicy;
  };
}

const cycleRowSelect = {
  id: true,
  targetId: true,
  status: true,
  requestedAt: true,
  lastStepAt: true,
  endedAt: true,
  target: { select: { slug: true } },
} satisfies Prisma.RollbackSelect;
type CycleRow = Prisma.RollbackGetPayload<{ select: typeof cycleRowSelect }>;

async function forEachRollback(
  rows: readonly CycleRow[],
  errors: CycleError[],
  handle: (row: CycleRow) => Promise<void>,
): Promise<void> {
  for (const row of rows) {
    try {
      await handle(row);
    } catch (error) {
      errors.push({
        targetSlug: row.target.slug,
        rollbackId: row.id,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/** Pending proposals past the policy's approval timeout end as EXPIRED. */
export async function expireStaleApprovals(db: Db, now: Date): Promise<{ expired: number; errors: CycleError[] }> {
  const rows = await db.rollback.findMany({ where: { status: "PENDING_APPROVAL" }, select: cycleRowSelect });
  const policyOf = await policiesOf(
    db,
    rows.map((row) => row.targetId),
  );
  const summary = { expired: 0, errors: [] as CycleError[] };
  await forEachRollback(rows, summary.errors, async ({ id, targetId }) => {
    const expired = (row: Pick<RollbackRow, "status" | "requestedAt">) =>
      row.status === "PENDING_APPROVAL" &&
      approvalExpired({
        requestedAt: row.requestedAt,
        approvalTimeoutSeconds: policyOf(targetId).approvalTimeoutSeconds,
        now,
      });
    const done = await inTransaction(db, async (tx) => {
      const row = await loadRow(tx, id);
      if (!expired(row)) return false;
      await applyTransition(tx, row, { type: "EXPIRE" }, { actor: systemActor, now });
      return true;
    });
    if (done) summary.expired += 1;
  });
  return summary;
}

/** SLO readings of the last step interval, ending at the start of the current bucket like verdicts. */
async function intervalReadings(
  db: Db,
  targetId: string,
  { now, bucketWidthMs, seconds }: { now: Date; bucketWidthMs: number; seconds: number },
): Promise<Readings> {
  const to = bucketStart(now.getTime(), bucketWidthMs);
  const from = to - seconds * 1000;
  const window = mergeWindow(await loadBuckets(db, targetId, { from: new Date(from), to: new Date(to) }), { from, to });
  return {
    from,
    to,
    requestCount: window.requestCount,
    ...pickReadings(window),
  };
}

export interface AdvanceSummary {
  started: number;
  advanced: number;
  completed: number;
  failed: number;
  errors: CycleError[];
}

/**
 * Starts approved rollbacks (after checking the target snapshot once more: a corrupted or failed one fails
 * the rollback instead) and advances in-progress ones whose step is due, comparing the last interval's
 * readings with those stored at the previous step. Completion starts post-rollback verification.
 */
export async function advanceDueRollbacks(
  db: Db,
  { now, bucketWidthMs }: { now: Date; bucketWidthMs: number },
): Promise<AdvanceSummary> {
  const rows = await db.rollback.findMany({
    where: { status: { in: ["APPROVED", "IN_PROGRESS"] } },
    select: cycleRowSelect,
    orderBy: { requestedAt: "asc" },
  });
  const policyOf = await policiesOf(
    db,
    rows.map((row) => row.targetId),
  );
  const summary: AdvanceSummary = { started: 0, advanced: 0, completed: 0, failed: 0, errors: [] };
  const due = (row: Pick<RollbackRow, "status" | "lastStepAt" | "targetId">) =>
    row.status === "APPROVED" ||
    (row.status === "IN_PROGRESS" &&
      row.lastStepAt !== null &&
      stepDue({ lastStepAt: row.lastStepAt, stepIntervalSeconds: policyOf(row.targetId).stepIntervalSeconds, now }));

  await forEachRollback(rows.filter(due), summary.errors, async ({ id, targetId }) => {
    const readings = await intervalReadings(db, targetId, {
      now,
      bucketWidthMs,
      seconds: policyOf(targetId).stepIntervalSeconds,
    });
    const result = await inTransaction(db, async (tx) => {
      const row = await loadRow(tx, id);
      if (!due(row)) return null;
      const options = { actor: systemActor, now, data: { stepBaseline: readings } };
      if (row.status === "APPROVED") {
        try {
          await assertUsableTarget(tx, row.targetId, row.toSnapshotId);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          return applyTransition(tx, row, { type: "FAIL", reason: error.message }, options);
        }
        return applyTransition(tx, row, { type: "START" }, options);
      }
      const baseline = readingsSchema.nullable().parse(row.stepBaseline);
      return applyTransition(
        tx,
        row,
        { type: "ADVANCE", metricsWorse: baseline !== null && metricsGotWorse(baseline, readings) },
        options,
      );
    });
    if (result?.action === "rollback.started") summary.started += 1;
    if (result?.action === "rollback.step_advanced" || result?.action === "rollback.jumped_to_full") {
      summary.advanced += 1;
    }
    if (result?.action === "rollback.completed") summary.completed += 1;
    if (result?.action === "rollback.failed") summary.failed += 1;
  });
  return summary;
}

/**
 * Judges completed rollbacks by the target's verdicts since completion (domain verificationOutcome). An
 * ineffective one escalates: the target still breaches on the previous known-good snapshot, which points
 * at an upstream or provider outage rather than at the configuration.
 */
export async function verifyCompletedRollbacks(
  db: Db,
  now: Date,
): Promise<{ verified: number; ineffective: number; errors: CycleError[] }> {
  const rows = await db.rollback.findMany({
    where: { status: "COMPLETED", verification: "PENDING" },
    select: cycleRowSelect,
  });
  const policyOf = await policiesOf(
    db,
    rows.map((row) => row.targetId),
  );
  const summary = { verified: 0, ineffective: 0, errors: [] as CycleError[] };
  await forEachRollback(rows, summary.errors, async ({ id, targetId, endedAt }) => {
    if (!endedAt) throw new Error("A completed rollback without an end time");
    const records = await db.verdictRecord.findMany({
      where: { targetId, evaluatedAt: { gt: endedAt, lte: now } },
      orderBy: { evaluatedAt: "asc" },
      select: { evaluatedAt: true, details: true },
    });
    const verdicts = records.map((record) => ({
      at: record.evaluatedAt,
      verdict: verdictSchema.parse(record.details),
    }));
    const { verificationWindowSeconds } = policyOf(targetId);
    const outcome = verificationOutcome({
      completedAt: endedAt,
      verificationWindowSeconds,
      verdictsSinceCompletion: verdicts.map(({ at, verdict }) => ({
        status: verdict.status,
        at,
        windowSeconds: verdict.observed.windowSeconds,
      })),
      now,
    });
    if (outcome === "PENDING") return;
    const breach = verdicts.findLast(({ verdict }) => verdict.status === "BREACH")?.verdict;
    const changed = await inTransaction(db, async (tx) => {
      const row = await loadRow(tx, id);
      if (row.verification !== "PENDING") return false;
      const { count } = await tx.rollback.updateMany({
        where: { id, version: row.version },
        data: { verification: outcome, verifiedAt: now, version: row.version + 1 },
      });
      if (count === 0) throw new StaleRollback();
      const version = (await snapshotVersions(tx, [row.toSnapshotId])).get(row.toSnapshotId);
      const subject = `Rollback of ${row.target.name} (${row.target.slug})`;
      const effective = outcome === "EFFECTIVE";
      const body = effective
        ? `No breach within ${formatMinutes(verificationWindowSeconds)} after it completed: v${version} holds.`
        : `The target still breaches on v${version}, the previous known-good snapshot: ${breach?.explanation ?? ""}. ` +
          "A breach that survives a rollback points at an upstream or provider outage rather than at the " +
          "configuration: check the providers' status before rolling back further.";
      await appendAudit(
        tx,
        {
          actor: systemActor,
          action: effective ? "rollback.verified" : "rollback.ineffective",
          entityType: "Rollback",
          entityId: id,
          targetId: row.targetId,
          before: { verification: "PENDING" },
          after: { verification: outcome },
          reason: effective ? null : (breach?.explanation ?? null),
        },
        now,
      );
      await enqueueNotification(
        tx,
        {
          event: effective ? "rollback.verified" : "rollback.ineffective",
          severity: effective ? "RESOLVED" : "CRITICAL",
          title: effective ? `${subject} verified` : `${subject} did not help`,
          body,
          targetId: row.targetId,
          rollbackId: id,
          payload: { verification: outcome, toSnapshotId: row.toSnapshotId, escalate: !effective },
        },
        now,
      );
      return true;
    });
    if (changed && outcome === "EFFECTIVE") summary.verified += 1;
    if (changed && outcome === "INEFFECTIVE") summary.ineffective += 1;
  });
  return summary;
}
