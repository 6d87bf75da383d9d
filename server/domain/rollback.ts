// The rollback state machine: a plain state that services persist (its `version` guards concurrent writers),
// pure transitions, and the effects each transition asks services to apply. Diagram and rules: docs/ROLLBACKS.md.
import { AppError } from "./errors";

import type { Policy } from "./policy";
import type { StepCheck } from "./step-gate";

export const rollbackStatuses = [
  "PENDING_APPROVAL",
  "APPROVED",
  "IN_PROGRESS",
  "COMPLETED",
  "REJECTED",
  "CANCELLED",
  "EXPIRED",
  "FAILED",
] as const;
export type RollbackStatus = (typeof rollbackStatuses)[number];

export const rollbackTriggers = ["EMERGENCY", "SLO", "MANUAL"] as const;
export type RollbackTrigger = (typeof rollbackTriggers)[number];

export interface Approval {
  userId: string;
  at: Date;
  comment: string | null;
}

export interface RollbackState {
  status: RollbackStatus;
  trigger: RollbackTrigger;
  /** Percentages of traffic on the target (known-good) snapshot, strictly ascending, ending at 100. */
  steps: readonly number[];
  /** Index into `steps` of the step applied last; -1 before the first. */
  currentStep: number;
  /** Share of traffic on the target snapshot; the rest stays on the snapshot that was current before. */
  trafficPercent: number;
  approvalsRequired: 1 | 2;
  approvals: readonly Approval[];
  /** Null when the system requested it (SLO or emergency). */
  requestedById: string | null;
  requestedAt: Date;
  startedAt: Date | null;
  lastStepAt: Date | null;
  /** When it reached a terminal status, COMPLETED included. */
  endedAt: Date | null;
  /** The person who rejected, cancelled or aborted it. */
  endedById: string | null;
  /** Their comment or reason, the failure reason, or why it expired. */
  endReason: string | null;
  /** Cancelled while in progress: traffic went back to the configuration from before the rollback. */
  aborted: boolean;
  /** Step checks that held the current step for lack of traffic; 0 again whenever the step changes. */
  stepHolds: number;
  /** +1 on every transition; services write with `where: { id, version }` so a concurrent writer loses. */
  version: number;
}

export type RollbackEvent =
  | { type: "APPROVE"; userId: string; comment?: string | null }
  | { type: "REJECT"; userId: string; comment: string }
  | { type: "CANCEL"; userId: string; reason: string }
  | { type: "START" }
  /** The next step (the step gate found the known-good snapshot not worse), or completion after the 100% step. */
  | { type: "ADVANCE" }
  /** The step gate found the current snapshot worse: all traffic to the known-good one at once. */
  | { type: "FAST_FORWARD"; reason: string }
  /** Too little traffic to compare the arms: wait, up to `maxHolds` times per step, then advance anyway. */
  | { type: "HOLD"; maxHolds: number; reason: string }
  /** The step gate found the known-good snapshot worse than the current one: the rollback itself is the harm. */
  | { type: "GATE_ABORT"; reason: string }
  | { type: "ABORT"; userId: string; reason: string }
  | { type: "EXPIRE" }
  | { type: "FAIL"; reason: string };
export type RollbackEventType = RollbackEvent["type"];

export type RollbackEffect =
  /** Serve this share of traffic on the target snapshot and the rest on the one current before the rollback. */
  | { kind: "TRAFFIC"; percent: number }
  /** Make the target snapshot the target's current config; the split ends. */
  | { kind: "COMPLETED" }
  /** Page a person beyond the notification every transition gets. */
  | { kind: "ESCALATE"; reason: string };

/** Also the audit action of the transition. */
export type RollbackAction =
  | "rollback.created"
  | "rollback.approval_added"
  | "rollback.approved"
  | "rollback.rejected"
  | "rollback.cancelled"
  | "rollback.started"
  | "rollback.step_advanced"
  | "rollback.jumped_to_full"
  | "rollback.step_held"
  | "rollback.advanced_after_holds"
  | "rollback.gate_aborted"
  | "rollback.completed"
  | "rollback.aborted"
  | "rollback.expired"
  | "rollback.failed";

export interface RollbackTransition {
  state: RollbackState;
  action: RollbackAction;
  effects: RollbackEffect[];
}

const LEGAL_FROM: Record<RollbackEventType, readonly RollbackStatus[]> = {
  APPROVE: ["PENDING_APPROVAL"],
  REJECT: ["PENDING_APPROVAL"],
  CANCEL: ["PENDING_APPROVAL", "APPROVED"],
  START: ["APPROVED"],
  ADVANCE: ["IN_PROGRESS"],
  FAST_FORWARD: ["IN_PROGRESS"],
  HOLD: ["IN_PROGRESS"],
  GATE_ABORT: ["IN_PROGRESS"],
  ABORT: ["IN_PROGRESS"],
  EXPIRE: ["PENDING_APPROVAL"],
  FAIL: ["PENDING_APPROVAL", "APPROVED", "IN_PROGRESS"],
};

const VERB: Record<RollbackEventType, string> = {
  APPROVE: "approve",
  REJECT: "reject",
  CANCEL: "cancel",
  START: "start",
  ADVANCE: "advance",
  FAST_FORWARD: "fast-forward",
  HOLD: "hold",
  GATE_ABORT: "abort",
  ABORT: "abort",
  EXPIRE: "expire",
  FAIL: "fail",
};

/** For the UI's buttons as much as for `transition`: who may act is the router's business, not this. */
export function canTransition(status: RollbackStatus, type: RollbackEventType): boolean {
  return LEGAL_FROM[type].includes(status);
}

export function isActive(status: RollbackStatus): boolean {
  return status === "PENDING_APPROVAL" || status === "APPROVED" || status === "IN_PROGRESS";
}

export function isTerminal(status: RollbackStatus): boolean {
  return !isActive(status);
}

export interface CreateRollbackInput {
  trigger: RollbackTrigger;
  /** The policy's steps; an emergency ignores them and goes to 100% at once. */
  steps: readonly number[];
  approvalsRequired: 1 | 2;
  mode: Policy["mode"];
  requestedById: string | null;
  now: Date;
}

/**
 * EMERGENCY starts IN_PROGRESS at 100%. SLO starts APPROVED under an AUTOMATIC policy (the cycle starts it)
 * and PENDING_APPROVAL otherwise. MANUAL always waits for approval, even when an approver asks: the
 * requester's own approval counts when one is required, so one approver still needs a second click, and
 * two-approval policies need two other people.
 */
export function createRollback({
  trigger,
  steps,
  approvalsRequired,
  mode,
  requestedById,
  now,
}: CreateRollbackInput): RollbackTransition {
  const validSteps =
    steps.length > 0 &&
    steps.every((step, i) => Number.isInteger(step) && step >= 1 && step > (steps[i - 1] ?? 0)) &&
    steps.at(-1) === 100;
  if (!validSteps) {
    throw new AppError("VALIDATION", "Steps must be whole percentages from 1 to 100, ascending and ending at 100");
  }
  if (trigger === "MANUAL" && requestedById === null) {
    throw new AppError("VALIDATION", "A manual rollback needs the person who requested it");
  }
  const state: RollbackState = {
    status: "PENDING_APPROVAL",
    trigger,
    steps: [...steps],
    currentStep: -1,
    trafficPercent: 0,
    approvalsRequired,
    approvals: [],
    requestedById,
    requestedAt: now,
    startedAt: null,
    lastStepAt: null,
    endedAt: null,
    endedById: null,
    endReason: null,
    aborted: false,
    stepHolds: 0,
    version: 0,
  };
  if (trigger === "EMERGENCY") {
    return {
      state: {
        ...state,
        status: "IN_PROGRESS",
        steps: [100],
        currentStep: 0,
        trafficPercent: 100,
        startedAt: now,
        lastStepAt: now,
      },
      action: "rollback.created",
      effects: [{ kind: "TRAFFIC", percent: 100 }],
    };
  }
  const automatic = trigger === "SLO" && mode === "AUTOMATIC";
  return {
    state: { ...state, status: automatic ? "APPROVED" : "PENDING_APPROVAL" },
    action: "rollback.created",
    effects: [],
  };
}

/** Illegal transitions throw PRECONDITION_FAILED naming the status and the action. */
export function transition(state: RollbackState, event: RollbackEvent, now: Date): RollbackTransition {
  if (!canTransition(state.status, event.type)) {
    const hint =
      event.type === "CANCEL" && state.status === "IN_PROGRESS"
        ? ": abort it instead, which returns traffic to the configuration from before the rollback"
        : event.type === "ABORT" && (state.status === "PENDING_APPROVAL" || state.status === "APPROVED")
          ? ": it has not started, cancel it instead"
          : "";
    throw new AppError("PRECONDITION_FAILED", `Cannot ${VERB[event.type]} a rollback that is ${state.status}${hint}`);
  }
  const next = { ...state, version: state.version + 1 };
  const ended = (status: RollbackStatus, endedById: string | null, endReason: string | null): RollbackState => ({
    ...next,
    status,
    endedAt: now,
    endedById,
    endReason,
  });

  switch (event.type) {
    case "APPROVE": {
      const refusal = approvalRefusal(
        {
          approvalsRequired: state.approvalsRequired,
          requestedById: state.requestedById,
          approverIds: state.approvals.map((approval) => approval.userId),
        },
        event.userId,
      );
      if (refusal) throw new AppError(refusal.code, refusal.message);
      const comment = event.comment?.trim() || null;
      const approvals = [...state.approvals, { userId: event.userId, at: now, comment }];
      return approvals.length < state.approvalsRequired
        ? { state: { ...next, approvals }, action: "rollback.approval_added", effects: [] }
        : { state: { ...next, approvals, status: "APPROVED" }, action: "rollback.approved", effects: [] };
    }
    case "REJECT":
      return {
        state: ended("REJECTED", event.userId, required(event.comment, "A comment is required to reject a rollback")),
        action: "rollback.rejected",
        effects: [],
      };
    case "CANCEL":
      return {
        state: ended("CANCELLED", event.userId, required(event.reason, "A reason is required to cancel a rollback")),
        action: "rollback.cancelled",
        effects: [],
      };
    case "START": {
      const percent = state.steps[0] ?? 100;
      return {
        state: {
          ...next,
          status: "IN_PROGRESS",
          currentStep: 0,
          trafficPercent: percent,
          startedAt: now,
          lastStepAt: now,
        },
        action: "rollback.started",
        effects: [{ kind: "TRAFFIC", percent }],
      };
    }
    case "ADVANCE":
      return advance(next, now, "rollback.step_advanced", []);
    case "FAST_FORWARD": {
      // The current snapshot is significantly worse than the known-good one: stop rationing the fix. The
      // page lets a person abort if they know better.
      const last = state.steps.length - 1;
      return {
        state: { ...next, currentStep: last, trafficPercent: 100, lastStepAt: now, stepHolds: 0 },
        action: "rollback.jumped_to_full",
        effects: [
          { kind: "TRAFFIC", percent: 100 },
          {
            kind: "ESCALATE",
            reason:
              `Step ${state.currentStep + 1} of ${state.steps.length} (${state.trafficPercent}%): ${event.reason}. ` +
              "All traffic moved to the known-good snapshot",
          },
        ],
      };
    }
    case "HOLD": {
      if (state.stepHolds < event.maxHolds) {
        return { state: { ...next, stepHolds: state.stepHolds + 1 }, action: "rollback.step_held", effects: [] };
      }
      const held = `${state.stepHolds} held interval${state.stepHolds === 1 ? "" : "s"}`;
      return advance(next, now, "rollback.advanced_after_holds", [
        {
          kind: "ESCALATE",
          reason: `Advanced without enough traffic to compare the arms after ${held}: ${event.reason}`,
        },
      ]);
    }
    case "GATE_ABORT":
      // The known-good snapshot serves worse than the one it replaces: going on would spread the harm, so
      // traffic returns to the configuration from before the rollback and a person decides what comes next.
      return {
        state: {
          ...ended("FAILED", null, required(event.reason, "A step check's explanation is required")),
          trafficPercent: 0,
        },
        action: "rollback.gate_aborted",
        effects: [
          { kind: "TRAFFIC", percent: 0 },
          {
            kind: "ESCALATE",
            reason:
              `Step ${state.currentStep + 1} of ${state.steps.length} (${state.trafficPercent}%): ${event.reason}. ` +
              "All traffic moved back to the snapshot from before the rollback",
          },
        ],
      };
    case "ABORT":
      return {
        state: {
          ...ended("CANCELLED", event.userId, required(event.reason, "A reason is required to abort a rollback")),
          trafficPercent: 0,
          aborted: true,
        },
        action: "rollback.aborted",
        effects: [{ kind: "TRAFFIC", percent: 0 }],
      };
    case "EXPIRE":
      return {
        state: ended(
          "EXPIRED",
          null,
          `Approval timed out with ${state.approvals.length} of ${state.approvalsRequired} approvals`,
        ),
        action: "rollback.expired",
        effects: [],
      };
    case "FAIL": {
      // A rollback fails when its target snapshot cannot be served (corrupted, gone); keeping a share of
      // traffic on it would serve exactly that, so traffic returns to the configuration from before.
      const reason = required(event.reason, "A reason is required to fail a rollback");
      return {
        state: { ...ended("FAILED", null, reason), trafficPercent: 0 },
        action: "rollback.failed",
        effects: [
          ...(state.trafficPercent > 0 ? [{ kind: "TRAFFIC", percent: 0 } as const] : []),
          { kind: "ESCALATE", reason: `Rollback failed: ${reason}` },
        ],
      };
    }
  }
}

/** The event a step check leads to; `maxHolds` is the policy's `stepMaxHoldIntervals`. */
export function stepCheckEvent(check: Pick<StepCheck, "outcome" | "explanation">, maxHolds: number): RollbackEvent {
  switch (check.outcome) {
    case "ADVANCE":
      return { type: "ADVANCE" };
    case "HOLD":
      return { type: "HOLD", maxHolds, reason: check.explanation };
    case "FAST_FORWARD":
      return { type: "FAST_FORWARD", reason: check.explanation };
    case "ABORT":
      return { type: "GATE_ABORT", reason: check.explanation };
  }
}

/** The next step (its hold count back to 0), or completion when the 100% step has had its interval. */
function advance(
  next: RollbackState,
  now: Date,
  action: "rollback.step_advanced" | "rollback.advanced_after_holds",
  escalations: RollbackEffect[],
): RollbackTransition {
  if (next.currentStep >= next.steps.length - 1) {
    return {
      state: { ...next, status: "COMPLETED", endedAt: now, endedById: null, endReason: null, stepHolds: 0 },
      action: "rollback.completed",
      effects: [{ kind: "COMPLETED" }, ...escalations],
    };
  }
  const step = next.currentStep + 1;
  const percent = next.steps[step] ?? 100;
  return {
    state: { ...next, currentStep: step, trafficPercent: percent, lastStepAt: now, stepHolds: 0 },
    action,
    effects: [{ kind: "TRAFFIC", percent }, ...escalations],
  };
}

/**
 * Why this person may not approve a pending rollback, or null when they may: nobody approves twice, and the
 * requester of a two-approval rollback leaves both approvals to others. `transition` enforces it; the
 * dashboard says it before anyone clicks.
 */
export function approvalRefusal(
  rollback: { approvalsRequired: number; requestedById: string | null; approverIds: readonly string[] },
  userId: string,
): { code: "CONFLICT" | "FORBIDDEN"; message: string } | null {
  if (rollback.approverIds.includes(userId)) {
    return { code: "CONFLICT", message: "You have already approved this rollback" };
  }
  if (rollback.approvalsRequired === 2 && userId === rollback.requestedById) {
    return {
      code: "FORBIDDEN",
      message: "You requested this rollback and it needs 2 approvals: two other approvers must approve it",
    };
  }
  return null;
}

function required(text: string, message: string): string {
  const trimmed = text.trim();
  if (trimmed === "") throw new AppError("VALIDATION", message);
  return trimmed;
}

/**
 * When the step's next check is due: one step interval after the step was taken, and one more per check that
 * held it (the held step keeps its traffic, so each check sees a longer window than the one before).
 */
export function nextStepDueAt({
  lastStepAt,
  stepIntervalSeconds,
  stepHolds,
}: {
  lastStepAt: Date;
  stepIntervalSeconds: number;
  stepHolds: number;
}): Date {
  return new Date(lastStepAt.getTime() + (stepHolds + 1) * stepIntervalSeconds * 1000);
}

export function stepDue(input: {
  lastStepAt: Date;
  stepIntervalSeconds: number;
  stepHolds: number;
  now: Date;
}): boolean {
  return input.now.getTime() >= nextStepDueAt(input).getTime();
}

export function approvalExpired({
  requestedAt,
  approvalTimeoutSeconds,
  now,
}: {
  requestedAt: Date;
  approvalTimeoutSeconds: number;
  now: Date;
}): boolean {
  return now.getTime() >= requestedAt.getTime() + approvalTimeoutSeconds * 1000;
}

/** What config delivery serves during a rollback; a zero-weight snapshot is left out. */
export function trafficSplit({
  trafficPercent,
  fromSnapshotId,
  toSnapshotId,
}: {
  trafficPercent: number;
  fromSnapshotId: string;
  toSnapshotId: string;
}): { snapshotId: string; weight: number }[] {
  if (!Number.isInteger(trafficPercent) || trafficPercent < 0 || trafficPercent > 100) {
    throw new AppError("VALIDATION", `Traffic share must be a whole percentage from 0 to 100, got ${trafficPercent}`);
  }
  return [
    { snapshotId: fromSnapshotId, weight: 100 - trafficPercent },
    { snapshotId: toSnapshotId, weight: trafficPercent },
  ].filter((share) => share.weight > 0);
}
