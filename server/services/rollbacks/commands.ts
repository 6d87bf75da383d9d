// What people, machine clients and the monitoring cycle's decisions start: a rollback from a decision or
// requested by hand, a person's approve or reject, a person's or an API key's cancel or abort, and Rewind
// withdrawing a proposal whose cause went away. Each returns the rollback as the dashboard shows it.
import "server-only";
import { z } from "zod";
import type { Db, Tx } from "../../db";
import type { JsonValue } from "../../domain/canonical-json";
import type { Decision } from "../../domain/decision";
import { AppError } from "../../domain/errors";
import { verdictSchema, type Verdict } from "../../domain/evaluation";
import { defaultPolicy, policySchema, type Policy } from "../../domain/policy";
import { type RollbackEvent, type RollbackState, type RollbackTrigger } from "../../domain/rollback";
import {
  approveInputSchema,
  manualRollbackInputSchema,
  reasonActionInputSchema,
  rejectInputSchema,
} from "../../domain/rollback-inputs";
import { systemActor, type Actor, type WithActor } from "../audit/audit-log";
import { loadLatestPolicies, parseStoredPolicy } from "../config/policies";
import { parseInput } from "../platform/validation";
import { decisionSchema } from "./rows";
import { applyTransition, assertUsableTarget, inTransaction, insertRollback, loadRow } from "./transitions";
import { getRollback, type RollbackDetailDto } from "./views";

const decisionInputSchema = z.object({
  target: z.object({ id: z.string().min(1), slug: z.string() }),
  decision: decisionSchema.extend({
    kind: z.enum(["PROPOSE_ROLLBACK", "AUTO_ROLLBACK", "EMERGENCY_ROLLBACK"], {
      error: "Only a rollback decision starts a rollback",
    }),
  }),
  verdict: verdictSchema,
  policy: policySchema,
  policyVersion: z.number().int().nullable(),
});

export interface StartedRollback {
  rollbackId: string;
  /** False when the target already had an active rollback: nothing was created. */
  created: boolean;
  status: RollbackState["status"];
}

/**
 * Acts on a rollback decision of the monitoring cycle: from the target's current snapshot to its
 * known-good one, requested by the system, with the verdict, decision and policy version as evidence.
 * An emergency also turns the target's (and global) kill switches off. When the target already has an
 * active rollback — found first, or created concurrently by another cycle (the unique `activeTargetId`
 * refuses the second insert and the retry finds the winner) — nothing is created and nothing is thrown.
 */
export async function startRollbackFromDecision(
  db: Db,
  input: {
    target: { id: string; slug: string };
    decision: Decision;
    verdict: Verdict;
    policy: Policy;
    policyVersion: number | null;
  },
  now: Date,
): Promise<StartedRollback> {
  const { target, decision, verdict, policy, policyVersion } = parseInput(decisionInputSchema, input);
  const trigger: RollbackTrigger = decision.kind === "EMERGENCY_ROLLBACK" ? "EMERGENCY" : "SLO";
  return inTransaction(db, async (tx) => {
    const active = await tx.rollback.findUnique({
      where: { activeTargetId: target.id },
      select: { id: true, status: true },
    });
    if (active) return { rollbackId: active.id, created: false, status: active.status };
    const snapshots = await tx.target.findUnique({
      where: { id: target.id },
      select: { currentSnapshotId: true, knownGoodSnapshotId: true },
    });
    if (!snapshots) throw new AppError("NOT_FOUND", "No such target");
    const { currentSnapshotId, knownGoodSnapshotId } = snapshots;
    if (!currentSnapshotId || !knownGoodSnapshotId || currentSnapshotId === knownGoodSnapshotId) {
      throw new AppError("PRECONDITION_FAILED", "No known-good snapshot other than the current one to roll back to");
    }
    await assertUsableTarget(tx, target.id, knownGoodSnapshotId);
    const { id, result } = await insertRollback(tx, {
      target: { id: target.id, currentSnapshotId, toSnapshotId: knownGoodSnapshotId },
      trigger,
      mode: decision.kind === "AUTO_ROLLBACK" ? "AUTOMATIC" : "APPROVAL",
      policy,
      policyVersion,
      requestedById: null,
      reason: decision.explanation,
      evidence: { verdict, decision, policyVersion },
      actor: systemActor,
      now,
      escalate: decision.escalate,
    });
    return { rollbackId: id, created: true, status: result.state.status };
  });
}

/**
 * `inTransaction` runs last in the transaction that makes the change, with the rollback's id: the machine API stores
 * its Idempotency-Key response there (machine/replay-protection.ts), so a retry after a crash past the commit replays
 * that response instead of asking again. A transaction repeated after a lost race runs it again, on what is there now.
 */
export interface ChangeOptions {
  inTransaction?: (tx: Tx, rollbackId: string) => Promise<void>;
}

/**
 * An operator (or a machine client's API key) asks to roll a target back to a snapshot of their choice: of
 * this target, not the current one, never failed, checksum intact. It always waits for a person's approval
 * (docs/ROLLBACKS.md, Triggers). `requestedById` holds the user's or the key's id, as `actorIdOf` stores it.
 */
export async function requestManualRollback(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof manualRollbackInputSchema>>,
  now: Date,
  options: ChangeOptions = {},
): Promise<RollbackDetailDto> {
  const { targetId, toSnapshotId, reason } = parseInput(manualRollbackInputSchema, input);
  if (actor.type === "SYSTEM") throw new AppError("FORBIDDEN", "A manual rollback is requested by a person or a key");
  const policyRow = (await loadLatestPolicies(db, { id: targetId })).get(targetId);
  const policy = policyRow ? parseStoredPolicy(policyRow) : defaultPolicy;
  const id = await inTransaction(db, async (tx) => {
    const target = await tx.target.findUnique({ where: { id: targetId }, select: { currentSnapshotId: true } });
    if (!target) throw new AppError("NOT_FOUND", "No such target");
    if (!target.currentSnapshotId) throw new AppError("PRECONDITION_FAILED", "The target has no current snapshot");
    if (target.currentSnapshotId === toSnapshotId) {
      throw new AppError("PRECONDITION_FAILED", "This snapshot is already the current one", {
        issues: { toSnapshotId: "This snapshot is already the current one" },
      });
    }
    await assertUsableTarget(tx, targetId, toSnapshotId);
    if (await tx.rollback.findUnique({ where: { activeTargetId: targetId }, select: { id: true } })) {
      throw new AppError("CONFLICT", "A rollback of this target is already active: cancel or abort it first");
    }
    const latest = await tx.verdictRecord.findFirst({
      where: { targetId },
      orderBy: { evaluatedAt: "desc" },
      select: { details: true },
    });
    const verdict = latest ? verdictSchema.safeParse(latest.details) : null;
    const created = await insertRollback(tx, {
      target: { id: targetId, currentSnapshotId: target.currentSnapshotId, toSnapshotId },
      trigger: "MANUAL",
      mode: "APPROVAL",
      policy,
      policyVersion: policyRow?.version ?? null,
      requestedById: actor.id,
      reason,
      evidence: {
        verdict: verdict?.success ? verdict.data : null,
        decision: null,
        policyVersion: policyRow?.version ?? null,
      },
      actor,
      now,
      escalate: false,
    });
    await options.inTransaction?.(tx, created.id);
    return created.id;
  });
  return getRollback(db, id);
}

/**
 * A transition someone asked for: only people approve or reject (approval is a person's judgment, never a
 * machine's); people and API keys cancel or abort. Roles and scopes are the router's and route's checks. The
 * event names the user's or the key's id, stored as the rollback's `endedById` (`actorIdOf`).
 */
async function requestedTransition(
  db: Db,
  actor: Actor,
  rollbackId: string,
  event: (actorId: string) => RollbackEvent,
  now: Date,
  options: { keysMay: boolean } & PersonActOptions & ChangeOptions,
): Promise<RollbackDetailDto> {
  if (actor.type === "SYSTEM" || (actor.type === "API_KEY" && !options.keysMay)) {
    throw new AppError("FORBIDDEN", "Only a person can do this to a rollback");
  }
  const { auditDetails } = options;
  await inTransaction(db, async (tx) => {
    await applyTransition(tx, await loadRow(tx, rollbackId), event(actor.id), {
      actor,
      now,
      ...(auditDetails && { auditDetails }),
    });
    await options.inTransaction?.(tx, rollbackId);
  });
  return getRollback(db, rollbackId);
}

/** How a person acted when not from the dashboard: recorded with the act's audit event (approvals from Slack). */
export interface PersonActOptions {
  auditDetails?: { via: string; [key: string]: JsonValue };
}

export async function approveRollback(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof approveInputSchema>>,
  now: Date,
  options: PersonActOptions = {},
): Promise<RollbackDetailDto> {
  const { rollbackId, comment } = parseInput(approveInputSchema, input);
  return requestedTransition(
    db,
    actor,
    rollbackId,
    (userId) => ({ type: "APPROVE", userId, comment: comment ?? null }),
    now,
    { keysMay: false, ...options },
  );
}

export async function rejectRollback(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof rejectInputSchema>>,
  now: Date,
  options: PersonActOptions = {},
): Promise<RollbackDetailDto> {
  const { rollbackId, comment } = parseInput(rejectInputSchema, input);
  return requestedTransition(db, actor, rollbackId, (userId) => ({ type: "REJECT", userId, comment }), now, {
    keysMay: false,
    ...options,
  });
}

/** Pending or approved, before any traffic moved. */
export async function cancelRollback(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof reasonActionInputSchema>>,
  now: Date,
  options: ChangeOptions = {},
): Promise<RollbackDetailDto> {
  const { rollbackId, reason } = parseInput(reasonActionInputSchema, input);
  return requestedTransition(db, actor, rollbackId, (actorId) => ({ type: "CANCEL", userId: actorId, reason }), now, {
    ...options,
    keysMay: true,
  });
}

/** In progress: all traffic returns to the snapshot from before the rollback, recorded as aborted. */
export async function abortRollback(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof reasonActionInputSchema>>,
  now: Date,
  options: ChangeOptions = {},
): Promise<RollbackDetailDto> {
  const { rollbackId, reason } = parseInput(reasonActionInputSchema, input);
  return requestedTransition(db, actor, rollbackId, (actorId) => ({ type: "ABORT", userId: actorId, reason }), now, {
    ...options,
    keysMay: true,
  });
}

/**
 * Rewind withdraws a proposal it raised once its cause went away (an Alertmanager alert resolved): cancelled by
 * the system with `reason`, audited and notified like any cancellation. Only while still pending approval; an
 * approved, started or ended rollback is left alone and null is returned.
 */
export async function withdrawProposal(
  db: Db,
  input: { rollbackId: string; reason: string },
  now: Date,
): Promise<RollbackDetailDto | null> {
  const { rollbackId, reason } = parseInput(reasonActionInputSchema, input);
  const withdrawn = await inTransaction(db, async (tx) => {
    const row = await loadRow(tx, rollbackId);
    if (row.status !== "PENDING_APPROVAL") return false;
    // The domain's CANCEL names who ended it; Rewind itself is no one, so the row keeps endedById null.
    await applyTransition(
      tx,
      row,
      { type: "CANCEL", userId: "", reason },
      {
        actor: systemActor,
        now,
        data: { endedById: null },
      },
    );
    return true;
  });
  return withdrawn ? getRollback(db, rollbackId) : null;
}
