// Rollback state changes: each domain transition (and the creation) applied to a row by compare-and-set on
// `version`, with its approval row, effects, audit event and notification. Guarantees: docs/ROLLBACKS.md.
import "server-only";
import type { Db, Prisma, Tx } from "../../db";
import type { JsonValue } from "../../domain/canonical-json";
import { AppError } from "../../domain/errors";
import type { Policy } from "../../domain/policy";
import {
  createRollback,
  transition,
  type RollbackEvent,
  type RollbackState,
  type RollbackTransition,
  type RollbackTrigger,
} from "../../domain/rollback";
import { appendAudit, describeActor, type Actor } from "../audit/audit-log";
import { disableKillSwitches } from "../config/flags";
import { markSnapshotFailed } from "../config/snapshot-known-good";
import { setCurrentSnapshot } from "../config/snapshot-publishing";
import { getSnapshotForUse } from "../config/snapshot-reads";
import { retryOnConflict } from "../platform/retry";
import { notifyTransition } from "./messages";
import { rollbackRowSelect, stateColumns, toState, type RollbackEvidence, type RollbackRow } from "./rows";

/** Another approver or cycle changed the row between our read and our write. */
export class StaleRollback extends AppError {
  constructor() {
    super("CONFLICT", "This rollback changed meanwhile: reload it and try again");
  }
}

const STALE_ATTEMPTS = 5;

/**
 * One transaction, repeated from the top when it lost a race: to a concurrent write the database detected
 * (retryOnConflict), or to a concurrent transition of the same rollback (the version no longer matched).
 * The repeat re-reads the row and applies the domain rules to what is there now, so two approvals both
 * count once, and the slower of two cycles finds the step already taken. CONFLICT after repeated losses.
 */
export async function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await retryOnConflict(() => db.$transaction(work));
    } catch (error) {
      if (!(error instanceof StaleRollback) || attempt >= STALE_ATTEMPTS) throw error;
    }
  }
}

export async function loadRow(tx: Tx, rollbackId: string): Promise<RollbackRow> {
  const row = await tx.rollback.findUnique({ where: { id: rollbackId }, select: rollbackRowSelect });
  if (!row) throw new AppError("NOT_FOUND", "No such rollback");
  return row;
}

/** Snapshot versions for texts: "v7 → v5". */
export async function snapshotVersions(tx: Tx, ids: readonly string[]): Promise<Map<string, number>> {
  const rows = await tx.configSnapshot.findMany({
    where: { id: { in: [...ids] } },
    select: { id: true, version: true },
  });
  return new Map(rows.map((row) => [row.id, row.version]));
}

/**
 * The snapshot a rollback moves traffic to: of this target, never failed, checksum intact. Checked when a
 * rollback is requested and again when it starts, before any traffic moves.
 */
export async function assertUsableTarget(tx: Tx, targetId: string, snapshotId: string): Promise<void> {
  const snapshot = await getSnapshotForUse(tx, snapshotId);
  if (snapshot.targetId !== targetId) throw new AppError("NOT_FOUND", "No such snapshot of this target");
  if (snapshot.failedAt) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `Snapshot v${snapshot.version} failed (${snapshot.failedReason ?? "no reason recorded"}): choose another one`,
    );
  }
}

/** What config delivery serves for the target changed now: judgments start counting afresh (docs/POLICY.md). */
async function markConfigChanged(tx: Tx, targetId: string, now: Date): Promise<void> {
  await tx.target.update({ where: { id: targetId }, data: { configChangedAt: now }, select: { id: true } });
}

function auditState(state: RollbackState) {
  return { status: state.status, trafficPercent: state.trafficPercent, approvals: state.approvals.length };
}

interface TransitionOptions {
  actor: Actor;
  now: Date;
  /** Columns outside the state machine written with the transition (step baseline, verification). */
  data?: Prisma.RollbackUncheckedUpdateManyInput;
  /** Where a person's act came from, kept in its audit event's `after` (`via: "slack"`, the Slack user). */
  auditDetails?: { [key: string]: JsonValue };
}

/**
 * Applies one domain transition to a loaded row, inside the caller's transaction: compare-and-set on
 * `version` (a concurrent writer makes it StaleRollback), the approval row, the effects, the audit event
 * and the notification.
 */
export async function applyTransition(
  tx: Tx,
  row: RollbackRow,
  event: RollbackEvent,
  { actor, now, data, auditDetails }: TransitionOptions,
): Promise<RollbackTransition> {
  const before = toState(row);
  const result = transition(before, event, now);
  const completed = result.effects.some((effect) => effect.kind === "COMPLETED");
  const { count } = await tx.rollback.updateMany({
    where: { id: row.id, version: row.version },
    data: { ...stateColumns(result.state, row.targetId), ...(completed && { verification: "PENDING" }), ...data },
  });
  if (count === 0) throw new StaleRollback();

  if (event.type === "APPROVE" || event.type === "REJECT") {
    await tx.rollbackApproval.create({
      data: {
        rollbackId: row.id,
        userId: event.userId,
        decision: event.type,
        comment: event.type === "APPROVE" ? (result.state.approvals.at(-1)?.comment ?? null) : result.state.endReason,
        createdAt: now,
      },
      select: { id: true },
    });
  }
  // The split is derived from `trafficPercent`, written above; a TRAFFIC effect also starts a configuration
  // epoch, since what config delivery serves changed (completion does it in setCurrentSnapshot).
  if (result.effects.some((effect) => effect.kind === "TRAFFIC")) await markConfigChanged(tx, row.targetId, now);
  if (completed) {
    await setCurrentSnapshot(tx, { targetId: row.targetId, snapshotId: row.toSnapshotId, now });
    await markSnapshotFailed(tx, {
      snapshotId: row.fromSnapshotId,
      reason: `Rolled back from by rollback ${row.id}`,
      now,
      actor,
    });
  }

  const escalation = result.effects.find((effect) => effect.kind === "ESCALATE");
  const comment = event.type === "APPROVE" ? result.state.approvals.at(-1)?.comment : null;
  await appendAudit(
    tx,
    {
      actor,
      action: result.action,
      entityType: "Rollback",
      entityId: row.id,
      targetId: row.targetId,
      before: auditState(before),
      after: { ...auditState(result.state), ...auditDetails },
      reason: result.state.endedAt ? result.state.endReason : (escalation?.reason ?? comment ?? null),
    },
    now,
  );
  await notifyTransition(
    tx,
    {
      row,
      result,
      versions: await snapshotVersions(tx, [row.fromSnapshotId, row.toSnapshotId]),
      actorName: await describeActor(tx, actor),
    },
    actor,
    now,
  );
  return result;
}

interface NewRollback {
  target: { id: string; currentSnapshotId: string; toSnapshotId: string };
  trigger: RollbackTrigger;
  /** APPROVAL unless the decision was an automatic rollback: a proposal waits even under an AUTOMATIC policy. */
  mode: Policy["mode"];
  policy: Policy;
  policyVersion: number | null;
  requestedById: string | null;
  reason: string;
  evidence: RollbackEvidence;
  actor: Actor;
  now: Date;
  escalate: boolean;
}

/** Inserts the rollback with `activeTargetId` set: a concurrent second one fails with P2002. */
export async function insertRollback(tx: Tx, input: NewRollback): Promise<{ id: string; result: RollbackTransition }> {
  const { target, trigger, policy, now } = input;
  const result = createRollback({
    trigger,
    steps: policy.steps,
    approvalsRequired: policy.approvalsRequired,
    mode: input.mode,
    requestedById: input.requestedById,
    now,
  });
  const { state } = result;
  const row = await tx.rollback.create({
    data: {
      targetId: target.id,
      trigger,
      fromSnapshotId: target.currentSnapshotId,
      toSnapshotId: target.toSnapshotId,
      steps: [...state.steps],
      approvalsRequired: state.status === "PENDING_APPROVAL" ? state.approvalsRequired : 0,
      requestedById: state.requestedById,
      requestedAt: state.requestedAt,
      reason: input.reason,
      evidence: input.evidence,
      policyVersion: input.policyVersion,
      ...stateColumns(state, target.id),
    },
    select: rollbackRowSelect,
  });
  if (result.effects.some((effect) => effect.kind === "TRAFFIC")) await markConfigChanged(tx, target.id, now);
  const killSwitchesOff =
    trigger === "EMERGENCY"
      ? await disableKillSwitches(tx, { actor: input.actor, targetId: target.id, reason: input.reason, now })
      : [];
  // What a re-enablement plan may turn back on once the rollback is verified effective.
  if (killSwitchesOff.length > 0) {
    await tx.rollback.update({
      where: { id: row.id },
      data: { flagsTurnedOff: killSwitchesOff },
      select: { id: true },
    });
  }
  await appendAudit(
    tx,
    {
      actor: input.actor,
      action: result.action,
      entityType: "Rollback",
      entityId: row.id,
      targetId: target.id,
      after: {
        ...auditState(state),
        trigger,
        fromSnapshotId: target.currentSnapshotId,
        toSnapshotId: target.toSnapshotId,
        killSwitchesTurnedOff: killSwitchesOff,
      },
      reason: input.reason,
    },
    now,
  );
  await notifyTransition(
    tx,
    {
      row,
      result,
      versions: await snapshotVersions(tx, [row.fromSnapshotId, row.toSnapshotId]),
      actorName: await describeActor(tx, input.actor),
      policy,
      killSwitchesOff,
      escalate: input.escalate,
    },
    input.actor,
    now,
  );
  return { id: row.id, result };
}
