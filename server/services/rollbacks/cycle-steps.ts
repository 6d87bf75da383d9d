// The monitoring cycle's steps for rollbacks: expire stale proposals, start and advance due rollbacks, verify
// completed ones. Each rollback is handled on its own; a failure is reported with the rollback and the
// target and never stops the others.
import "server-only";
import type { Db, Prisma } from "../../db";
import { AppError } from "../../domain/errors";
import { verdictSchema } from "../../domain/evaluation";
import { bucketStart } from "../../domain/metrics";
import { defaultPolicy, type Policy } from "../../domain/policy";
import { approvalExpired, stepCheckEvent, stepDue, transition, type RollbackEvent } from "../../domain/rollback";
import { verificationOutcome } from "../../domain/rollback-verification";
import { appendAudit, systemActor } from "../audit/audit-log";
import { loadLatestPolicies, parseStoredPolicy } from "../config/policies";
import { enqueueNotification } from "../platform/outbox";
import { formatMinutes } from "./messages";
import { judgeRestoredTraffic, verificationMessage } from "./restored-traffic";
import { rollbackRowSelect, stepsSchema, toState, type RollbackRow } from "./rows";
import { toBaseline, type StepBaseline } from "../../domain/step-baseline";
import { loadTargetTotals } from "../metrics/bucket-reads";
import { judgeStep, recordStepCheck, type JudgedStep } from "./step-checks";
import {
  applyTransition,
  assertUsableTarget,
  inTransaction,
  loadRow,
  snapshotVersions,
  StaleRollback,
} from "./transitions";

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
  toSnapshotId: true,
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

export interface AdvanceSummary {
  started: number;
  /** Steps taken: the gate's ADVANCE and FAST_FORWARD, and advances after too many holds. */
  advanced: number;
  /** Step checks that held their step for lack of traffic. */
  held: number;
  completed: number;
  /** Failed to start (the target snapshot became unusable) or stopped by the gate's ABORT. */
  failed: number;
  errors: CycleError[];
}

/**
 * Starts approved rollbacks (after checking the target snapshot once more: a corrupted or failed one fails
 * the rollback instead) and takes the due steps of in-progress ones. A step below 100% is judged by the step
 * gate first (judgeStep: the arms by snapshot version, else time windows), and the check is recorded in the
 * transaction of the transition it leads to; the 100% step completes after its interval. Completion starts
 * post-rollback verification.
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
  const summary: AdvanceSummary = { started: 0, advanced: 0, held: 0, completed: 0, failed: 0, errors: [] };
  const due = (row: Pick<RollbackRow, "status" | "lastStepAt" | "stepHolds" | "targetId">) =>
    row.status === "APPROVED" ||
    (row.status === "IN_PROGRESS" &&
      row.lastStepAt !== null &&
      stepDue({
        lastStepAt: row.lastStepAt,
        stepIntervalSeconds: policyOf(row.targetId).stepIntervalSeconds,
        stepHolds: row.stepHolds,
        now,
      }));

  await forEachRollback(rows, summary.errors, async ({ id, targetId }) => {
    const seen = await db.rollback.findUnique({ where: { id }, select: rollbackRowSelect });
    if (!seen || !due(seen)) return;
    const policy = policyOf(targetId);
    const end = bucketStart(now.getTime(), bucketWidthMs);
    // Read before the transaction: a step's data is fixed once its window has ended, so judging it again
    // after a lost race or a crash gives the same check.
    let judged: JudgedStep | null = null;
    let startBaseline: StepBaseline | undefined;
    if (seen.status === "APPROVED") {
      const range = { from: end - policy.stepIntervalSeconds * 1000, to: end };
      startBaseline = toBaseline(await loadTargetTotals(db, targetId, range), range);
    } else if (seen.currentStep < stepsSchema.parse(seen.steps).length - 1) {
      const versions = await snapshotVersions(db, [seen.fromSnapshotId, seen.toSnapshotId]);
      const knownGood = versions.get(seen.toSnapshotId);
      const current = versions.get(seen.fromSnapshotId);
      if (knownGood === undefined || current === undefined) throw new Error("A rollback's snapshot is missing");
      judged = await judgeStep(db, seen, { knownGood, current }, policy, { now, bucketWidthMs });
    }

    const result = await inTransaction(db, async (tx) => {
      const row = await loadRow(tx, id);
      // Another instance moved it since it was judged: the next cycle judges what is there then.
      if (row.version !== seen.version || !due(row)) return null;
      const options = { actor: systemActor, now };
      if (row.status === "APPROVED") {
        try {
          await assertUsableTarget(tx, row.targetId, row.toSnapshotId);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          return applyTransition(tx, row, { type: "FAIL", reason: error.message }, options);
        }
        return applyTransition(tx, row, { type: "START" }, { ...options, data: { stepBaseline: startBaseline } });
      }
      if (!judged) return applyTransition(tx, row, { type: "ADVANCE" }, options);
      const event: RollbackEvent = stepCheckEvent(judged.check, policy.stepMaxHoldIntervals);
      // A held step keeps the baseline it is compared with; a new step is compared with this one's traffic.
      const holds = transition(toState(row), event, now).action === "rollback.step_held";
      await recordStepCheck(tx, row, judged, now);
      return applyTransition(tx, row, event, {
        ...options,
        ...(!holds && { data: { stepBaseline: judged.baseline } }),
      });
    });
    switch (result?.action) {
      case "rollback.started":
        summary.started += 1;
        break;
      case "rollback.step_advanced":
      case "rollback.jumped_to_full":
      case "rollback.advanced_after_holds":
        summary.advanced += 1;
        break;
      case "rollback.step_held":
        summary.held += 1;
        break;
      case "rollback.completed":
        summary.completed += 1;
        break;
      case "rollback.failed":
      case "rollback.gate_aborted":
        summary.failed += 1;
        break;
    }
  });
  return summary;
}

/**
 * Judges completed rollbacks on the restored snapshot's own traffic after completion and the pickup grace
 * (restored-traffic.ts, domain verificationOutcome). An ineffective one escalates: the target still breaches on
 * the previous known-good snapshot, which points at an upstream or provider outage rather than at the
 * configuration. An inconclusive one (too little restored traffic to judge) says so at WARNING, never pages.
 */
export async function verifyCompletedRollbacks(
  db: Db,
  now: Date,
  { bucketWidthMs }: { bucketWidthMs: number },
): Promise<{ verified: number; ineffective: number; inconclusive: number; errors: CycleError[] }> {
  const rows = await db.rollback.findMany({
    where: { status: "COMPLETED", verification: "PENDING" },
    select: cycleRowSelect,
  });
  const policyOf = await policiesOf(
    db,
    rows.map((row) => row.targetId),
  );
  const summary = { verified: 0, ineffective: 0, inconclusive: 0, errors: [] as CycleError[] };
  await forEachRollback(rows, summary.errors, async ({ id, targetId, endedAt, toSnapshotId }) => {
    if (!endedAt) throw new Error("A completed rollback without an end time");
    const restored = await judgeRestoredTraffic(db, {
      rollback: { targetId, toSnapshotId, completedAt: endedAt },
      policy: policyOf(targetId),
      now,
      bucketWidthMs,
    });
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
      judgedFrom: restored.judgedFrom,
      restored: restored.verdict.status,
      now,
    });
    if (outcome === "PENDING") return;
    // The explanation that condemned it: a verdict's on the restored traffic, else the restored window's own.
    const breach =
      verdicts.findLast(({ verdict }) => verdict.status === "BREACH")?.verdict.explanation ??
      restored.verdict.explanation;
    const changed = await inTransaction(db, async (tx) => {
      const row = await loadRow(tx, id);
      if (row.verification !== "PENDING") return false;
      const { count } = await tx.rollback.updateMany({
        where: { id, version: row.version },
        data: { verification: outcome, verifiedAt: now, version: row.version + 1 },
      });
      if (count === 0) throw new StaleRollback();
      const version = (await snapshotVersions(tx, [row.toSnapshotId])).get(row.toSnapshotId);
      const message = verificationMessage(outcome, {
        subject: `Rollback of ${row.target.name} (${row.target.slug})`,
        version,
        window: formatMinutes(verificationWindowSeconds),
        explanation: outcome === "INEFFECTIVE" ? breach : restored.verdict.explanation,
      });
      await appendAudit(
        tx,
        {
          actor: systemActor,
          action: message.event,
          entityType: "Rollback",
          entityId: id,
          targetId: row.targetId,
          before: { verification: "PENDING" },
          after: { verification: outcome },
          reason: message.reason,
        },
        now,
      );
      await enqueueNotification(
        tx,
        {
          event: message.event,
          severity: message.severity,
          title: message.title,
          body: message.body,
          targetId: row.targetId,
          rollbackId: id,
          payload: { verification: outcome, toSnapshotId: row.toSnapshotId, escalate: outcome === "INEFFECTIVE" },
        },
        now,
      );
      return true;
    });
    if (changed && outcome === "EFFECTIVE") summary.verified += 1;
    if (changed && outcome === "INEFFECTIVE") summary.ineffective += 1;
    if (changed && outcome === "INCONCLUSIVE") summary.inconclusive += 1;
  });
  return summary;
}
