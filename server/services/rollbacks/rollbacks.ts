// Rollbacks persisted: the domain state machine (server/domain/rollback.ts) mapped onto Rollback rows, each
// transition one transaction with its audit event, notification and effects; the use cases people and the
// monitoring cycle drive. Rules and guarantees: docs/ROLLBACKS.md.
import { z } from "zod";
import type { Db, Prisma, Tx } from "../../db";
import { decisionKinds, type Decision } from "../../domain/decision";
import { AppError } from "../../domain/errors";
import { verdictSchema, type Verdict } from "../../domain/evaluation";
import { bucketStart, mergeWindow } from "../../domain/metrics";
import { defaultPolicy, policySchema, type Policy } from "../../domain/policy";
import {
  approvalExpired,
  createRollback,
  isActive,
  manualRollbackInputSchema,
  metricsGotWorse,
  reasonActionInputSchema,
  rejectInputSchema,
  approveInputSchema,
  rollbackExportSchema,
  rollbackFilterSchema,
  rollbackListSchema,
  stepDue,
  trafficSplit,
  transition,
  verificationOutcome,
  type RollbackEvent,
  type RollbackFilter,
  type RollbackState,
  type RollbackTransition,
  type RollbackTrigger,
} from "../../domain/rollback";
import { summarizeRollbacks, timeToActionMs, type RollbackHistorySummary } from "../../domain/rollback-history";
import { toCsv } from "../../domain/csv";
import { actorIdOf, appendAudit, describeActor, systemActor, type Actor, type WithActor } from "../audit/audit-log";
import { disableKillSwitches } from "../config/flags";
import { loadBuckets } from "../metrics/buckets";
import { enqueueConfigChanged, enqueueNotification, type NotificationInput } from "../notifications/outbox";
import { loadLatestPolicies, parseStoredPolicy } from "../config/policies";
import { retryOnConflict } from "../platform/retry";
import { getSnapshotForUse, markSnapshotFailed, setCurrentSnapshot } from "../config/snapshots";
import { parseInput } from "../platform/validation";

const rollbackRowSelect = {
  id: true,
  targetId: true,
  trigger: true,
  status: true,
  version: true,
  fromSnapshotId: true,
  toSnapshotId: true,
  steps: true,
  currentStep: true,
  trafficPercent: true,
  approvalsRequired: true,
  requestedById: true,
  requestedAt: true,
  reason: true,
  startedAt: true,
  lastStepAt: true,
  endedAt: true,
  endedById: true,
  endReason: true,
  aborted: true,
  evidence: true,
  policyVersion: true,
  stepBaseline: true,
  verification: true,
  verifiedAt: true,
  target: { select: { id: true, slug: true, name: true } },
  approvals: {
    select: { userId: true, decision: true, comment: true, createdAt: true },
    orderBy: { createdAt: "asc" },
  },
} satisfies Prisma.RollbackSelect;
type RollbackRow = Prisma.RollbackGetPayload<{ select: typeof rollbackRowSelect }>;

const stepsSchema = z.array(z.number().int());

/** SLO readings of one step interval, stored as `stepBaseline` to tell whether the next interval got worse. */
const readingsSchema = z.object({
  from: z.number(),
  to: z.number(),
  requestCount: z.number(),
  errorRate: z.number().nullable(),
  p95Ms: z.number().nullable(),
  costPerRequestUsd: z.number().nullable(),
});
type Readings = z.infer<typeof readingsSchema>;

const decisionSchema = z.object({
  kind: z.enum(decisionKinds),
  reasons: z.array(z.string()),
  escalate: z.boolean(),
  explanation: z.string(),
});

/** What caused a rollback, stored as its `evidence`. Manual ones carry the target's latest verdict, if any. */
const evidenceSchema = z.object({
  verdict: verdictSchema.nullable(),
  decision: decisionSchema.nullable(),
  policyVersion: z.number().int().nullable(),
});
export type RollbackEvidence = z.infer<typeof evidenceSchema>;

/**
 * The one mapping from a row to the domain state. `approvalsRequired` 0 marks a rollback created without
 * needing approval (automatic or emergency, counted by the hourly cap); such a rollback never takes an
 * approval, so the state's 1 is never read.
 */
function toState(row: RollbackRow): RollbackState {
  return {
    status: row.status,
    trigger: row.trigger,
    steps: stepsSchema.parse(row.steps),
    currentStep: row.currentStep,
    trafficPercent: row.trafficPercent,
    approvalsRequired: row.approvalsRequired === 2 ? 2 : 1,
    approvals: row.approvals
      .filter((approval) => approval.decision === "APPROVE")
      .map((approval) => ({ userId: approval.userId, at: approval.createdAt, comment: approval.comment })),
    requestedById: row.requestedById,
    requestedAt: row.requestedAt,
    startedAt: row.startedAt,
    lastStepAt: row.lastStepAt,
    endedAt: row.endedAt,
    endedById: row.endedById,
    endReason: row.endReason,
    aborted: row.aborted,
    version: row.version,
  };
}

/** …and back. `activeTargetId` is what lets the database refuse a second active rollback of a target. */
function stateColumns(state: RollbackState, targetId: string) {
  return {
    status: state.status,
    activeTargetId: isActive(state.status) ? targetId : null,
    currentStep: state.currentStep,
    trafficPercent: state.trafficPercent,
    startedAt: state.startedAt,
    lastStepAt: state.lastStepAt,
    endedAt: state.endedAt,
    endedById: state.endedById,
    endReason: state.endReason,
    aborted: state.aborted,
    version: state.version,
  } satisfies Prisma.RollbackUncheckedUpdateManyInput;
}

/** Another approver or cycle changed the row between our read and our write. */
class StaleRollback extends AppError {
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
async function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await retryOnConflict(() => db.$transaction(work));
    } catch (error) {
      if (!(error instanceof StaleRollback) || attempt >= STALE_ATTEMPTS) throw error;
    }
  }
}

async function loadRow(tx: Tx, rollbackId: string): Promise<RollbackRow> {
  const row = await tx.rollback.findUnique({ where: { id: rollbackId }, select: rollbackRowSelect });
  if (!row) throw new AppError("NOT_FOUND", "No such rollback");
  return row;
}

/** Snapshot versions for texts: "v7 → v5". */
async function snapshotVersions(tx: Tx, ids: readonly string[]): Promise<Map<string, number>> {
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
async function assertUsableTarget(tx: Tx, targetId: string, snapshotId: string): Promise<void> {
  const snapshot = await getSnapshotForUse(tx, snapshotId);
  if (snapshot.targetId !== targetId) throw new AppError("NOT_FOUND", "No such snapshot of this target");
  if (snapshot.failedAt) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `Snapshot v${snapshot.version} failed (${snapshot.failedReason ?? "no reason recorded"}): choose another one`,
    );
  }
}

function auditState(state: RollbackState) {
  return { status: state.status, trafficPercent: state.trafficPercent, approvals: state.approvals.length };
}

function formatMinutes(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

interface NotifyContext {
  row: Pick<RollbackRow, "id" | "trigger" | "fromSnapshotId" | "toSnapshotId" | "reason" | "target">;
  result: RollbackTransition;
  versions: Map<string, number>;
  actorName: string;
  policy?: Policy;
  killSwitchesOff?: string[];
  /** A decision that asked to page a person (emergency, automatic action held back). */
  escalate?: boolean;
}

/** The notification every transition gets: what happened, with the numbers, and what to do. */
function notificationFor({ row, result, versions, actorName, policy, killSwitchesOff }: NotifyContext) {
  const { state, action } = result;
  const from = `v${versions.get(row.fromSnapshotId) ?? "?"}`;
  const to = `v${versions.get(row.toSnapshotId) ?? "?"}`;
  const label = `${row.target.name} (${row.target.slug})`;
  const subject = `Rollback of ${label}`;
  const step = `step ${state.currentStep + 1} of ${state.steps.length}: ${state.trafficPercent}% of traffic on ${to}`;
  const base = (severity: NotificationInput["severity"], title: string, body: string) => ({ severity, title, body });
  switch (action) {
    case "rollback.created":
      if (state.status === "IN_PROGRESS") {
        return base(
          "EMERGENCY",
          `Emergency rollback of ${label}`,
          `${row.reason ?? ""}\nAll traffic moved from ${from} to the known-good snapshot ${to} at once. ` +
            (killSwitchesOff && killSwitchesOff.length > 0
              ? `Kill switches turned off: ${killSwitchesOff.join(", ")}. `
              : "") +
            "Abort it in Rewind if the known-good snapshot is to blame.",
        );
      }
      if (state.status === "APPROVED") {
        return base(
          "CRITICAL",
          `Automatic rollback of ${label}`,
          `${row.reason ?? ""}\nRolling back from ${from} to the known-good snapshot ${to} in steps of ` +
            `${state.steps.join("/")}%${policy ? ` every ${formatMinutes(policy.stepIntervalSeconds)}` : ""}. ` +
            "Abort it in Rewind if it makes things worse.",
        );
      }
      return base(
        row.trigger === "MANUAL" ? "WARNING" : "CRITICAL",
        `${subject} needs approval`,
        `${row.trigger === "MANUAL" ? `${actorName} asks to roll back: ` : ""}${row.reason ?? ""}\n` +
          `Proposed: move traffic from ${from} to ${to} in steps of ${state.steps.join("/")}%. ` +
          `Needs ${state.approvalsRequired} approval${state.approvalsRequired === 2 ? "s" : ""}` +
          (policy
            ? ` within ${formatMinutes(policy.approvalTimeoutSeconds)} (until ${new Date(
                state.requestedAt.getTime() + policy.approvalTimeoutSeconds * 1000,
              ).toISOString()})`
            : "") +
          ": approve or reject it in Rewind.",
      );
    case "rollback.approval_added":
      return base(
        "INFO",
        `${subject}: ${state.approvals.length} of ${state.approvalsRequired} approvals`,
        `${actorName} approved. One more approver is needed.`,
      );
    case "rollback.approved":
      return base("INFO", `${subject} approved`, `${actorName} approved. The next monitoring cycle starts it.`);
    case "rollback.rejected":
      return base(
        "WARNING",
        `${subject} rejected`,
        `${actorName} rejected it: ${state.endReason}. ${from} stays current.`,
      );
    case "rollback.cancelled":
      return base(
        "WARNING",
        `${subject} cancelled`,
        `${actorName} cancelled it: ${state.endReason}. ${from} stays current.`,
      );
    case "rollback.expired":
      return base(
        "WARNING",
        `${subject} expired`,
        `${state.endReason}. ${from} stays current; the next breach proposes a rollback afresh.`,
      );
    case "rollback.started":
      return base("INFO", `${subject} started`, `${step}.`);
    case "rollback.step_advanced":
      return base("INFO", `${subject}: step ${state.currentStep + 1} of ${state.steps.length}`, `${step}.`);
    case "rollback.jumped_to_full":
      return base("CRITICAL", `${subject} jumped to 100%`, `All traffic is on ${to}.`);
    case "rollback.completed":
      return base(
        "RESOLVED",
        `${subject} completed`,
        `${to} is the current configuration; ${from} is marked failed. Verification now watches whether the SLOs recover.`,
      );
    case "rollback.aborted":
      return base(
        "WARNING",
        `${subject} aborted`,
        `${actorName} aborted it: ${state.endReason}. All traffic is back on ${from}.`,
      );
    case "rollback.failed":
      return base("CRITICAL", `${subject} failed`, `${state.endReason}. All traffic is back on ${from}.`);
  }
}

async function notifyTransition(tx: Tx, context: NotifyContext, actor: Actor, now: Date): Promise<void> {
  const { row, result } = context;
  const message = notificationFor(context);
  const escalations = result.effects.flatMap((effect) => (effect.kind === "ESCALATE" ? [effect.reason] : []));
  const escalate = escalations.length > 0 || context.escalate === true;
  await enqueueNotification(
    tx,
    {
      event: result.action === "rollback.created" ? createdEvent(result.state) : result.action,
      severity: message.severity,
      title: message.title,
      body: [message.body, ...escalations].join("\n"),
      targetId: row.target.id,
      rollbackId: row.id,
      payload: {
        trigger: row.trigger,
        status: result.state.status,
        trafficPercent: result.state.trafficPercent,
        fromSnapshotId: row.fromSnapshotId,
        toSnapshotId: row.toSnapshotId,
        actorType: actor.type,
        actorId: actorIdOf(actor),
        escalate,
      },
    },
    now,
  );
  await announceConfigChange(tx, context, now);
}

/**
 * A transition that moves traffic (a step, an emergency's 100%, an abort's 0%) or completes changes what
 * config delivery serves for the target: announced as `config.changed`.
 */
async function announceConfigChange(tx: Tx, { row, result, versions }: NotifyContext, now: Date): Promise<void> {
  const traffic = result.effects.find((effect) => effect.kind === "TRAFFIC");
  const completed = result.effects.some((effect) => effect.kind === "COMPLETED");
  if (!traffic && !completed) return;
  const from = `v${versions.get(row.fromSnapshotId) ?? "?"}`;
  const to = `v${versions.get(row.toSnapshotId) ?? "?"}`;
  const percent = result.state.trafficPercent;
  await enqueueConfigChanged(
    tx,
    {
      target: { id: row.target.id, slug: row.target.slug },
      cause: result.action === "rollback.created" ? createdEvent(result.state) : result.action,
      summary: completed
        ? `${to} is now the current configuration of ${row.target.slug}; the rollback's traffic split ended.`
        : `${row.target.slug} serves ${to} to ${percent}% of traffic and ${from} to ${100 - percent}%.`,
      details: {
        rollbackId: row.id,
        trafficPercent: percent,
        fromSnapshotId: row.fromSnapshotId,
        toSnapshotId: row.toSnapshotId,
      },
    },
    now,
  );
}

function createdEvent(state: RollbackState): string {
  if (state.status === "IN_PROGRESS") return "rollback.emergency";
  return state.status === "APPROVED" ? "rollback.automatic" : "rollback.proposed";
}

interface TransitionOptions {
  actor: Actor;
  now: Date;
  /** Columns outside the state machine written with the transition (step baseline, verification). */
  data?: Prisma.RollbackUncheckedUpdateManyInput;
}

/**
 * Applies one domain transition to a loaded row, inside the caller's transaction: compare-and-set on
 * `version` (a concurrent writer makes it StaleRollback), the approval row, the effects, the audit event
 * and the notification.
 */
async function applyTransition(
  tx: Tx,
  row: RollbackRow,
  event: RollbackEvent,
  { actor, now, data }: TransitionOptions,
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
  // TRAFFIC needs nothing more: the split is derived from `trafficPercent`, written above.
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
      after: auditState(result.state),
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
async function insertRollback(tx: Tx, input: NewRollback): Promise<{ id: string; result: RollbackTransition }> {
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
  const killSwitchesOff =
    trigger === "EMERGENCY"
      ? await disableKillSwitches(tx, { actor: input.actor, targetId: target.id, reason: input.reason, now })
      : [];
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
 * An operator asks to roll a target back to a snapshot of their choice: of this target, not the current
 * one, never failed, checksum intact. It always waits for approval (docs/ROLLBACKS.md, Triggers).
 */
export async function requestManualRollback(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof manualRollbackInputSchema>>,
  now: Date,
): Promise<RollbackDetailDto> {
  const { targetId, toSnapshotId, reason } = parseInput(manualRollbackInputSchema, input);
  if (actor.type !== "USER") throw new AppError("FORBIDDEN", "A manual rollback is requested by a person");
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
    return created.id;
  });
  return getRollback(db, id);
}

/** A person's transition: only users approve, reject, cancel or abort (roles are the router's check). */
async function personTransition(
  db: Db,
  actor: Actor,
  rollbackId: string,
  event: (userId: string) => RollbackEvent,
  now: Date,
): Promise<RollbackDetailDto> {
  if (actor.type !== "USER") throw new AppError("FORBIDDEN", "Only a person can do this to a rollback");
  await inTransaction(db, async (tx) =>
    applyTransition(tx, await loadRow(tx, rollbackId), event(actor.id), { actor, now }),
  );
  return getRollback(db, rollbackId);
}

export async function approveRollback(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof approveInputSchema>>,
  now: Date,
): Promise<RollbackDetailDto> {
  const { rollbackId, comment } = parseInput(approveInputSchema, input);
  return personTransition(
    db,
    actor,
    rollbackId,
    (userId) => ({ type: "APPROVE", userId, comment: comment ?? null }),
    now,
  );
}

export async function rejectRollback(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof rejectInputSchema>>,
  now: Date,
): Promise<RollbackDetailDto> {
  const { rollbackId, comment } = parseInput(rejectInputSchema, input);
  return personTransition(db, actor, rollbackId, (userId) => ({ type: "REJECT", userId, comment }), now);
}

/** Pending or approved, before any traffic moved. */
export async function cancelRollback(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof reasonActionInputSchema>>,
  now: Date,
): Promise<RollbackDetailDto> {
  const { rollbackId, reason } = parseInput(reasonActionInputSchema, input);
  return personTransition(db, actor, rollbackId, (userId) => ({ type: "CANCEL", userId, reason }), now);
}

/** In progress: all traffic returns to the snapshot from before the rollback, recorded as aborted. */
export async function abortRollback(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof reasonActionInputSchema>>,
  now: Date,
): Promise<RollbackDetailDto> {
  const { rollbackId, reason } = parseInput(reasonActionInputSchema, input);
  return personTransition(db, actor, rollbackId, (userId) => ({ type: "ABORT", userId, reason }), now);
}

// The monitoring cycle's part: expiry, steps, verification. Each rollback is handled on its own; a failure
// is reported with the rollback and the target and never stops the others.

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
    errorRate: window.errorRate,
    p95Ms: window.p95Ms,
    costPerRequestUsd: window.costPerRequestUsd,
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

// Reading: the list with filters, its summary and export, one rollback in detail, the approvals queue.

type UserRef = { id: string; name: string; email: string };

async function usersById(db: Db, ids: readonly (string | null)[]): Promise<(id: string | null) => UserRef | null> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  const users =
    wanted.length === 0
      ? []
      : await db.user.findMany({ where: { id: { in: wanted } }, select: { id: true, name: true, email: true } });
  const byId = new Map(users.map((user) => [user.id, user]));
  return (id) => (id === null ? null : (byId.get(id) ?? null));
}

export interface RollbackSummaryDto {
  id: string;
  target: { id: string; slug: string; name: string };
  trigger: RollbackTrigger;
  status: RollbackState["status"];
  steps: number[];
  currentStep: number;
  trafficPercent: number;
  /** 0: started without approval (automatic or emergency). */
  approvalsRequired: number;
  approvalCount: number;
  fromSnapshot: { id: string; version: number | null };
  toSnapshot: { id: string; version: number | null };
  requestedBy: UserRef | null;
  requestedAt: Date;
  reason: string | null;
  /** The first traffic switch. */
  startedAt: Date | null;
  /** Breach to action (domain timeToActionMs): null until traffic moved. */
  timeToActionMs: number | null;
  endedAt: Date | null;
  endedBy: UserRef | null;
  endReason: string | null;
  aborted: boolean;
  verification: string | null;
  verifiedAt: Date | null;
}

export interface RollbackDetailDto extends RollbackSummaryDto {
  version: number;
  lastStepAt: Date | null;
  policyVersion: number | null;
  evidence: RollbackEvidence | null;
  approvals: { user: UserRef | null; decision: string; comment: string | null; at: Date }[];
  /** What config delivery serves: weights per snapshot, summing to 100. */
  trafficSplit: { snapshotId: string; weight: number }[];
}

/** The timing rules the cycle applies to a rollback, and the thresholds its evidence was judged against. */
export interface RollbackPolicyContext {
  /**
   * The SLO thresholds of the policy version stored with the rollback (the one its verdict was judged by),
   * else the target's current policy; null when the stored policy no longer parses.
   */
  thresholds: {
    policyVersion: number | null;
    maxErrorRate: number;
    maxP95LatencyMs: number;
    maxCostPerRequestUsd: number;
  } | null;
  /** Pending: when the cycle expires it (the current policy's approval timeout, as the cycle applies it). */
  approvalDeadline: Date | null;
  /** In progress: when the next step is due (the cycle takes it on its first run from then). */
  nextStepDueAt: Date | null;
  /** Completed and not yet judged: when the verification window ends. */
  verificationEndsAt: Date | null;
}

export type RollbackViewDto = RollbackDetailDto & { policy: RollbackPolicyContext };

interface Lookups {
  userOf: (id: string | null) => UserRef | null;
  snapshotOf: (id: string) => { id: string; version: number | null };
}

async function lookups(db: Db, rows: readonly RollbackRow[]): Promise<Lookups> {
  const userOf = await usersById(
    db,
    rows.flatMap((row) => [row.requestedById, row.endedById, ...row.approvals.map((approval) => approval.userId)]),
  );
  const snapshots = await db.configSnapshot.findMany({
    where: { id: { in: rows.flatMap((row) => [row.fromSnapshotId, row.toSnapshotId]) } },
    select: { id: true, version: true },
  });
  const versions = new Map(snapshots.map((snapshot) => [snapshot.id, snapshot.version]));
  return { userOf, snapshotOf: (id) => ({ id, version: versions.get(id) ?? null }) };
}

function toSummary(row: RollbackRow, { userOf, snapshotOf }: Lookups): RollbackSummaryDto {
  return {
    id: row.id,
    target: row.target,
    trigger: row.trigger,
    status: row.status,
    steps: stepsSchema.parse(row.steps),
    currentStep: row.currentStep,
    trafficPercent: row.trafficPercent,
    approvalsRequired: row.approvalsRequired,
    approvalCount: row.approvals.filter((approval) => approval.decision === "APPROVE").length,
    fromSnapshot: snapshotOf(row.fromSnapshotId),
    toSnapshot: snapshotOf(row.toSnapshotId),
    requestedBy: userOf(row.requestedById),
    requestedAt: row.requestedAt,
    reason: row.reason,
    startedAt: row.startedAt,
    timeToActionMs: timeToActionMs(row),
    endedAt: row.endedAt,
    endedBy: userOf(row.endedById),
    endReason: row.endReason,
    aborted: row.aborted,
    verification: row.verification,
    verifiedAt: row.verifiedAt,
  };
}

function toDetail(row: RollbackRow, found: Lookups): RollbackDetailDto {
  const evidence = evidenceSchema.safeParse(row.evidence);
  return {
    ...toSummary(row, found),
    version: row.version,
    lastStepAt: row.lastStepAt,
    policyVersion: row.policyVersion,
    evidence: evidence.success ? evidence.data : null,
    approvals: row.approvals.map((approval) => ({
      user: found.userOf(approval.userId),
      decision: approval.decision,
      comment: approval.comment,
      at: approval.createdAt,
    })),
    trafficSplit: trafficSplit({
      trafficPercent: row.trafficPercent,
      fromSnapshotId: row.fromSnapshotId,
      toSnapshotId: row.toSnapshotId,
    }),
  };
}

/** What config delivery and the mutations return: no policy lookups, so serving config stays cheap. */
export async function getRollback(db: Db, rollbackId: string): Promise<RollbackDetailDto> {
  const row = await db.rollback.findUnique({ where: { id: rollbackId }, select: rollbackRowSelect });
  if (!row) throw new AppError("NOT_FOUND", "No such rollback");
  return toDetail(row, await lookups(db, [row]));
}

const thresholdsOf = (policyVersion: number | null, config: unknown): RollbackPolicyContext["thresholds"] => {
  const parsed = policySchema.safeParse(config);
  if (!parsed.success) return null;
  const { maxErrorRate, maxP95LatencyMs, maxCostPerRequestUsd } = parsed.data;
  return { policyVersion, maxErrorRate, maxP95LatencyMs, maxCostPerRequestUsd };
};

/** Details with their policy context, for the dashboard: two policy queries for any number of rollbacks. */
async function views(db: Db, rows: readonly RollbackRow[]): Promise<RollbackViewDto[]> {
  if (rows.length === 0) return [];
  const pinned = rows.flatMap((row) =>
    row.policyVersion === null ? [] : [{ targetId: row.targetId, version: row.policyVersion }],
  );
  const [found, latest, stored] = await Promise.all([
    lookups(db, rows),
    loadLatestPolicies(db, { id: { in: rows.map((row) => row.targetId) } }),
    pinned.length === 0
      ? []
      : db.policy.findMany({ where: { OR: pinned }, select: { targetId: true, version: true, config: true } }),
  ]);
  return rows.map((row) => {
    const current = latest.get(row.targetId);
    const currentPolicy = current ? policySchema.safeParse(current.config) : null;
    const timing = currentPolicy === null ? defaultPolicy : currentPolicy.success ? currentPolicy.data : null;
    const pinnedRow = stored.find((policy) => policy.targetId === row.targetId && policy.version === row.policyVersion);
    const after = (start: Date | null, seconds: number | undefined) =>
      start && seconds !== undefined ? new Date(start.getTime() + seconds * 1000) : null;
    return {
      ...toDetail(row, found),
      policy: {
        thresholds: pinnedRow
          ? thresholdsOf(pinnedRow.version, pinnedRow.config)
          : thresholdsOf(current?.version ?? null, current?.config ?? defaultPolicy),
        approvalDeadline:
          row.status === "PENDING_APPROVAL" ? after(row.requestedAt, timing?.approvalTimeoutSeconds) : null,
        nextStepDueAt: row.status === "IN_PROGRESS" ? after(row.lastStepAt, timing?.stepIntervalSeconds) : null,
        verificationEndsAt:
          row.status === "COMPLETED" && row.verification === "PENDING"
            ? after(row.endedAt, timing?.verificationWindowSeconds)
            : null,
      },
    };
  });
}

/** One rollback for its page: the details and the policy context (thresholds, deadlines). */
export async function getRollbackView(db: Db, rollbackId: string): Promise<RollbackViewDto> {
  const row = await db.rollback.findUnique({ where: { id: rollbackId }, select: rollbackRowSelect });
  if (!row) throw new AppError("NOT_FOUND", "No such rollback");
  const [view] = await views(db, [row]);
  return view!;
}

/** The approvals queue: every rollback waiting for approval, the one expiring first (requested first) first. */
export async function listPendingRollbacks(db: Db): Promise<RollbackViewDto[]> {
  const rows = await db.rollback.findMany({
    where: { status: "PENDING_APPROVAL" },
    orderBy: [{ requestedAt: "asc" }, { id: "asc" }],
    select: rollbackRowSelect,
  });
  return views(db, rows);
}

type RollbackFilterInput = z.output<typeof rollbackFilterSchema>;

function rollbackWhere({ targetId, trigger, status, actorId, from, to }: RollbackFilterInput) {
  return {
    ...(targetId && { targetId }),
    ...(trigger && { trigger }),
    ...(status && { status }),
    ...(actorId && {
      OR: [{ requestedById: actorId }, { endedById: actorId }, { approvals: { some: { userId: actorId } } }],
    }),
    ...((from ?? to) && { requestedAt: { gte: from, lt: to } }),
  } satisfies Prisma.RollbackWhereInput;
}

const newestFirst = [{ requestedAt: "desc" }, { id: "desc" }] satisfies Prisma.RollbackOrderByWithRelationInput[];

/** Newest first, a page at a time. */
export async function listRollbacks(
  db: Db,
  input: z.input<typeof rollbackListSchema>,
): Promise<{ items: RollbackSummaryDto[]; nextCursor: string | null }> {
  const { cursor, limit, ...filter } = parseInput(rollbackListSchema, input);
  const rows = await db.rollback.findMany({
    where: rollbackWhere(filter),
    orderBy: newestFirst,
    ...(cursor && { cursor: { id: cursor }, skip: 1 }),
    take: limit + 1,
    select: rollbackRowSelect,
  });
  const page = rows.slice(0, limit);
  const found = await lookups(db, page);
  return {
    items: page.map((row) => toSummary(row, found)),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** The figures over every rollback the filter matches (domain summarizeRollbacks). */
export async function rollbackSummary(db: Db, input: RollbackFilter): Promise<RollbackHistorySummary> {
  const filter = parseInput(rollbackFilterSchema, input);
  const rows = await db.rollback.findMany({
    where: rollbackWhere(filter),
    select: { trigger: true, requestedAt: true, startedAt: true, verification: true },
  });
  return summarizeRollbacks(rows, filter);
}

/** The people who requested, approved, rejected, cancelled or aborted any rollback: the actor filter's choices. */
export async function listRollbackActors(db: Db): Promise<UserRef[]> {
  const [requested, ended, decided] = await Promise.all([
    db.rollback.findMany({
      where: { requestedById: { not: null } },
      distinct: ["requestedById"],
      select: { requestedById: true },
    }),
    db.rollback.findMany({ where: { endedById: { not: null } }, distinct: ["endedById"], select: { endedById: true } }),
    db.rollbackApproval.findMany({ distinct: ["userId"], select: { userId: true } }),
  ]);
  const ids = new Set([
    ...requested.map((row) => row.requestedById),
    ...ended.map((row) => row.endedById),
    ...decided.map((row) => row.userId),
  ]);
  ids.delete(null);
  if (ids.size === 0) return [];
  return db.user.findMany({
    where: { id: { in: [...ids] as string[] } },
    select: { id: true, name: true, email: true },
    orderBy: [{ name: "asc" }, { email: "asc" }],
  });
}

const EXPORT_PAGE = 1_000;

const csvColumns = [
  "id",
  "targetSlug",
  "targetName",
  "trigger",
  "status",
  "requestedAt",
  "requestedBy",
  "reason",
  "fromVersion",
  "toVersion",
  "steps",
  "trafficPercent",
  "approvalsRequired",
  "approvals",
  "startedAt",
  "timeToActionSeconds",
  "endedAt",
  "endedBy",
  "endReason",
  "aborted",
  "verification",
  "verifiedAt",
] as const;

function csvRow(item: RollbackSummaryDto): Record<(typeof csvColumns)[number], string | number | boolean | null> {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    id: item.id,
    targetSlug: item.target.slug,
    targetName: item.target.name,
    trigger: item.trigger,
    status: item.status,
    requestedAt: item.requestedAt.toISOString(),
    requestedBy: item.requestedBy?.email ?? null,
    reason: item.reason,
    fromVersion: item.fromSnapshot.version,
    toVersion: item.toSnapshot.version,
    steps: item.steps.join("/"),
    trafficPercent: item.trafficPercent,
    approvalsRequired: item.approvalsRequired,
    approvals: item.approvalCount,
    startedAt: iso(item.startedAt),
    timeToActionSeconds: item.timeToActionMs === null ? null : item.timeToActionMs / 1000,
    endedAt: iso(item.endedAt),
    endedBy: item.endedBy?.email ?? null,
    endReason: item.endReason,
    aborted: item.aborted,
    verification: item.verification,
    verifiedAt: iso(item.verifiedAt),
  };
}

/** Every rollback the filter matches, newest first like the list, as CSV or a JSON array of list items. */
export async function exportRollbacks(db: Db, input: z.input<typeof rollbackExportSchema>): Promise<string> {
  const { filter, format } = parseInput(rollbackExportSchema, input);
  const items: RollbackSummaryDto[] = [];
  for (let cursor: string | undefined; ;) {
    const rows = await db.rollback.findMany({
      where: rollbackWhere(filter),
      orderBy: newestFirst,
      ...(cursor && { cursor: { id: cursor }, skip: 1 }),
      take: EXPORT_PAGE,
      select: rollbackRowSelect,
    });
    const found = await lookups(db, rows);
    items.push(...rows.map((row) => toSummary(row, found)));
    cursor = rows.at(-1)?.id;
    if (!cursor || rows.length < EXPORT_PAGE) break;
  }
  if (format === "json") return JSON.stringify(items, null, 2);
  return toCsv(csvColumns, items.map(csvRow));
}
