// Rollback rows as stored: the select every reader shares, the schemas of the JSON columns, and the one
// mapping between a row and the domain state (server/domain/rollback.ts).
import "server-only";
import { z } from "zod";
import type { Prisma } from "../../db";
import { decisionKinds } from "../../domain/decision";
import { verdictSchema } from "../../domain/evaluation";
import { isActive, type RollbackState } from "../../domain/rollback";

export const rollbackRowSelect = {
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
  stepHolds: true,
  verification: true,
  verifiedAt: true,
  target: { select: { id: true, slug: true, name: true } },
  approvals: {
    select: { userId: true, decision: true, comment: true, createdAt: true },
    orderBy: { createdAt: "asc" },
  },
} satisfies Prisma.RollbackSelect;
export type RollbackRow = Prisma.RollbackGetPayload<{ select: typeof rollbackRowSelect }>;

export const stepsSchema = z.array(z.number().int());

export const decisionSchema = z.object({
  kind: z.enum(decisionKinds),
  reasons: z.array(z.string()),
  escalate: z.boolean(),
  explanation: z.string(),
});

/** What caused a rollback, stored as its `evidence`. Manual ones carry the target's latest verdict, if any. */
export const evidenceSchema = z.object({
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
export function toState(row: RollbackRow): RollbackState {
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
    stepHolds: row.stepHolds,
    version: row.version,
  };
}

/** …and back. `activeTargetId` is what lets the database refuse a second active rollback of a target. */
export function stateColumns(state: RollbackState, targetId: string) {
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
    stepHolds: state.stepHolds,
    version: state.version,
  } satisfies Prisma.RollbackUncheckedUpdateManyInput;
}
