import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/domain/errors";
import {
  approvalExpired,
  approvalRefusal,
  createRollback,
  isActive,
  isTerminal,
  nextStepDueAt,
  rollbackStatuses,
  stepCheckEvent,
  stepDue,
  trafficSplit,
  transition,
  type CreateRollbackInput,
  type RollbackEvent,
  type RollbackEventType,
  type RollbackState,
  type RollbackStatus,
} from "@/server/domain/rollback";
import { verificationOutcome } from "@/server/domain/rollback-verification";
import { T0 } from "./fixtures";

const appError = (code: AppError["code"], message: string) =>
  expect.objectContaining({ name: "AppError", code, message }) as AppError;
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const now = at(0);

function create(overrides: Partial<CreateRollbackInput> = {}): RollbackState {
  return createRollback({
    trigger: "SLO",
    steps: [25, 50, 100],
    approvalsRequired: 1,
    mode: "APPROVAL",
    requestedById: null,
    now,
    ...overrides,
  }).state;
}

/** Applies events one second apart and returns the last state. */
function apply(state: RollbackState, ...events: RollbackEvent[]): RollbackState {
  return events.reduce((s, event, i) => transition(s, event, at(i + 1)).state, state);
}

const events = {
  APPROVE: { type: "APPROVE", userId: "alice", comment: "looks right" },
  REJECT: { type: "REJECT", userId: "alice", comment: "the provider is down, not our config" },
  CANCEL: { type: "CANCEL", userId: "alice", reason: "fixed upstream" },
  START: { type: "START" },
  ADVANCE: { type: "ADVANCE" },
  FAST_FORWARD: { type: "FAST_FORWARD", reason: "the current snapshot is worse" },
  HOLD: { type: "HOLD", maxHolds: 3, reason: "not enough traffic" },
  GATE_ABORT: { type: "GATE_ABORT", reason: "the known-good snapshot is worse" },
  ABORT: { type: "ABORT", userId: "alice", reason: "known-good snapshot is slower" },
  EXPIRE: { type: "EXPIRE" },
  FAIL: { type: "FAIL", reason: "known-good snapshot failed its checksum" },
} satisfies { [K in RollbackEventType]: Extract<RollbackEvent, { type: K }> };
const eventTypes = Object.keys(events) as RollbackEventType[];

const stateIn: Record<RollbackStatus, () => RollbackState> = {
  PENDING_APPROVAL: () => create(),
  APPROVED: () => create({ mode: "AUTOMATIC" }),
  IN_PROGRESS: () => apply(create({ mode: "AUTOMATIC" }), events.START),
  COMPLETED: () => apply(create({ trigger: "EMERGENCY" }), events.ADVANCE),
  REJECTED: () => apply(create(), events.REJECT),
  CANCELLED: () => apply(create(), events.CANCEL),
  EXPIRED: () => apply(create(), events.EXPIRE),
  FAILED: () => apply(create(), events.FAIL),
};

/** Every legal transition and where it leads; every pair missing here must be refused. */
const legal: Partial<Record<RollbackStatus, Partial<Record<RollbackEventType, RollbackStatus>>>> = {
  PENDING_APPROVAL: {
    APPROVE: "APPROVED",
    REJECT: "REJECTED",
    CANCEL: "CANCELLED",
    EXPIRE: "EXPIRED",
    FAIL: "FAILED",
  },
  APPROVED: { CANCEL: "CANCELLED", START: "IN_PROGRESS", FAIL: "FAILED" },
  IN_PROGRESS: {
    ADVANCE: "IN_PROGRESS",
    FAST_FORWARD: "IN_PROGRESS",
    HOLD: "IN_PROGRESS",
    GATE_ABORT: "FAILED",
    ABORT: "CANCELLED",
    FAIL: "FAILED",
  },
};

const verbs: Record<RollbackEventType, string> = {
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

const matrix = rollbackStatuses.flatMap((status) =>
  eventTypes.map((type) => [status, type, legal[status]?.[type] ?? null] as const),
);

describe("transition: every status × every event", () => {
  it.each(matrix.filter(([, , to]) => to !== null))("%s + %s → %s", (status, type, to) => {
    const before = stateIn[status]();
    expect(before.status).toBe(status);
    const { state } = transition(before, events[type], at(60));
    expect(state.status).toBe(to);
    expect(state.version).toBe(before.version + 1);
  });

  it.each(matrix.filter(([, , to]) => to === null))("%s + %s is refused", (status, type) => {
    expect(() => transition(stateIn[status](), events[type], at(60))).toThrow(
      expect.objectContaining({
        code: "PRECONDITION_FAILED",
        message: expect.stringMatching(new RegExp(`^Cannot ${verbs[type]} a rollback that is ${status}`)) as string,
      }),
    );
  });

  it("points to abort when cancelling a rollback in progress, and to cancel when aborting one not started", () => {
    expect(() => transition(stateIn.IN_PROGRESS(), events.CANCEL, now)).toThrow(
      "Cannot cancel a rollback that is IN_PROGRESS: abort it instead, " +
        "which returns traffic to the configuration from before the rollback",
    );
    expect(() => transition(stateIn.APPROVED(), events.ABORT, now)).toThrow(
      "Cannot abort a rollback that is APPROVED: it has not started, cancel it instead",
    );
  });

  it("isActive and isTerminal split the statuses", () => {
    expect(rollbackStatuses.filter(isActive)).toEqual(["PENDING_APPROVAL", "APPROVED", "IN_PROGRESS"]);
    expect(rollbackStatuses.filter(isTerminal)).toEqual(["COMPLETED", "REJECTED", "CANCELLED", "EXPIRED", "FAILED"]);
  });
});

describe("createRollback", () => {
  it("starts an emergency in progress at 100% at once", () => {
    expect(createRollback({ ...baseInput(), trigger: "EMERGENCY" })).toEqual({
      state: expect.objectContaining({
        status: "IN_PROGRESS",
        steps: [100],
        currentStep: 0,
        trafficPercent: 100,
        startedAt: now,
        lastStepAt: now,
        version: 0,
      }) as RollbackState,
      action: "rollback.created",
      effects: [{ kind: "TRAFFIC", percent: 100 }],
    });
  });

  it.each([
    ["SLO", "AUTOMATIC", "APPROVED"],
    ["SLO", "APPROVAL", "PENDING_APPROVAL"],
    ["MANUAL", "APPROVAL", "PENDING_APPROVAL"],
    ["MANUAL", "AUTOMATIC", "PENDING_APPROVAL"],
  ] as const)("%s under an %s policy starts %s, with no traffic moved", (trigger, mode, status) => {
    const result = createRollback({ ...baseInput(), trigger, mode, requestedById: "olga" });
    expect(result.state).toMatchObject({ status, currentStep: -1, trafficPercent: 0, approvals: [] });
    expect(result.effects).toEqual([]);
  });

  it.each([[[]], [[50, 25, 100]], [[25, 50]], [[0, 100]], [[25.5, 100]], [[50, 50, 100]]])(
    "refuses steps %j",
    (steps) => {
      expect(() => createRollback({ ...baseInput(), steps })).toThrow(
        appError("VALIDATION", "Steps must be whole percentages from 1 to 100, ascending and ending at 100"),
      );
    },
  );

  it("refuses a manual rollback without a requester", () => {
    expect(() => createRollback({ ...baseInput(), trigger: "MANUAL", requestedById: null })).toThrow(
      "A manual rollback needs the person who requested it",
    );
  });

  function baseInput(): CreateRollbackInput {
    return { trigger: "SLO", steps: [25, 50, 100], approvalsRequired: 1, mode: "APPROVAL", requestedById: null, now };
  }
});

describe("approvals", () => {
  const approve = (userId: string, comment?: string): RollbackEvent => ({ type: "APPROVE", userId, comment });

  it("one approval of a system proposal approves it, recording who, when and the trimmed comment", () => {
    const result = transition(create(), approve("alice", "  go "), at(30));
    expect(result.action).toBe("rollback.approved");
    expect(result.state).toMatchObject({
      status: "APPROVED",
      approvals: [{ userId: "alice", at: at(30), comment: "go" }],
    });
  });

  it("with one approval required, the requester's own approval counts", () => {
    const manual = create({ trigger: "MANUAL", requestedById: "olga" });
    expect(transition(manual, approve("olga"), now).state).toMatchObject({
      status: "APPROVED",
      approvals: [{ userId: "olga", comment: null }],
    });
  });

  it("with two required, waits for the second approver", () => {
    const first = transition(create({ approvalsRequired: 2 }), approve("alice"), at(1));
    expect(first).toMatchObject({ action: "rollback.approval_added", state: { status: "PENDING_APPROVAL" } });
    const second = transition(first.state, approve("bob"), at(2));
    expect(second).toMatchObject({ action: "rollback.approved", state: { status: "APPROVED" } });
    expect(second.state.approvals.map((a) => a.userId)).toEqual(["alice", "bob"]);
  });

  it("with two required, refuses the requester's own approval: two other people must approve", () => {
    const manual = create({ trigger: "MANUAL", requestedById: "olga", approvalsRequired: 2 });
    expect(() => transition(manual, approve("olga"), now)).toThrow(
      appError(
        "FORBIDDEN",
        "You requested this rollback and it needs 2 approvals: two other approvers must approve it",
      ),
    );
    expect(apply(manual, approve("alice"), approve("bob")).status).toBe("APPROVED");
  });

  it("refuses the same approver twice", () => {
    const once = apply(create({ approvalsRequired: 2 }), approve("alice"));
    expect(() => transition(once, approve("alice"), now)).toThrow(
      appError("CONFLICT", "You have already approved this rollback"),
    );
  });

  it("approvalRefusal, which the dashboard shows before anyone clicks, agrees with transition", () => {
    for (const approvalsRequired of [1, 2] as const) {
      for (const requestedById of ["olga", null]) {
        for (const earlier of [[], ["alice"]] as string[][]) {
          const state = apply(
            create({ trigger: requestedById ? "MANUAL" : "SLO", requestedById, approvalsRequired }),
            ...earlier.map((userId) => approve(userId)),
          );
          if (state.status !== "PENDING_APPROVAL") continue;
          for (const userId of ["olga", "alice", "bob"]) {
            const refusal = approvalRefusal({ approvalsRequired, requestedById, approverIds: earlier }, userId);
            if (refusal)
              expect(() => transition(state, approve(userId), now)).toThrow(appError(refusal.code, refusal.message));
            else expect(() => transition(state, approve(userId), now)).not.toThrow();
          }
        }
      }
    }
    expect(approvalRefusal({ approvalsRequired: 2, requestedById: "olga", approverIds: [] }, "olga")?.code).toBe(
      "FORBIDDEN",
    );
    expect(approvalRefusal({ approvalsRequired: 1, requestedById: "olga", approverIds: [] }, "olga")).toBeNull();
  });

  it("a rejection ends it, even after a first approval, keeping who and why", () => {
    const rejected = apply(create({ approvalsRequired: 2 }), approve("alice"), {
      type: "REJECT",
      userId: "bob",
      comment: " provider outage ",
    });
    expect(rejected).toMatchObject({
      status: "REJECTED",
      endedById: "bob",
      endReason: "provider outage",
      endedAt: at(2),
      trafficPercent: 0,
    });
    expect(() => transition(rejected, approve("carol"), now)).toThrow("Cannot approve a rollback that is REJECTED");
  });

  it.each([
    [{ type: "REJECT", userId: "bob", comment: "  " }, "A comment is required to reject a rollback"],
    [{ type: "CANCEL", userId: "bob", reason: "" }, "A reason is required to cancel a rollback"],
    [{ type: "FAIL", reason: "\n" }, "A reason is required to fail a rollback"],
  ] satisfies [RollbackEvent, string][])("refuses %j without a reason", (event, message) => {
    expect(() => transition(create(), event, now)).toThrow(appError("VALIDATION", message));
  });

  it("expires with the approvals it had", () => {
    const expired = transition(apply(create({ approvalsRequired: 2 }), approve("alice")), events.EXPIRE, at(900));
    expect(expired).toEqual({
      action: "rollback.expired",
      effects: [],
      state: expect.objectContaining({
        status: "EXPIRED",
        endedAt: at(900),
        endedById: null,
        endReason: "Approval timed out with 1 of 2 approvals",
      }) as RollbackState,
    });
  });
});

describe("gradual execution", () => {
  it("moves 25 → 50 → 100% of traffic and completes on the next advance", () => {
    let state = create({ mode: "AUTOMATIC" });
    const seen: unknown[] = [];
    for (const event of [events.START, events.ADVANCE, events.ADVANCE, events.ADVANCE]) {
      const result = transition(state, event, at(seen.length * 120));
      state = result.state;
      seen.push([result.action, state.status, state.currentStep, state.trafficPercent, result.effects]);
    }
    expect(seen).toEqual([
      ["rollback.started", "IN_PROGRESS", 0, 25, [{ kind: "TRAFFIC", percent: 25 }]],
      ["rollback.step_advanced", "IN_PROGRESS", 1, 50, [{ kind: "TRAFFIC", percent: 50 }]],
      ["rollback.step_advanced", "IN_PROGRESS", 2, 100, [{ kind: "TRAFFIC", percent: 100 }]],
      ["rollback.completed", "COMPLETED", 2, 100, [{ kind: "COMPLETED" }]],
    ]);
    expect(state).toMatchObject({ startedAt: at(0), lastStepAt: at(240), endedAt: at(360), endReason: null });
  });

  it("FAST_FORWARD jumps to 100% and escalates with the gate's reason, then completes", () => {
    const started = apply(create({ mode: "AUTOMATIC" }), events.START);
    const jumped = transition(
      started,
      {
        type: "FAST_FORWARD",
        reason: "The current snapshot is worse than the known-good one: error rate 20% against 5% (p = 1e-5)",
      },
      at(120),
    );
    expect(jumped).toEqual({
      action: "rollback.jumped_to_full",
      effects: [
        { kind: "TRAFFIC", percent: 100 },
        {
          kind: "ESCALATE",
          reason:
            "Step 1 of 3 (25%): The current snapshot is worse than the known-good one: error rate 20% against 5% " +
            "(p = 1e-5). All traffic moved to the known-good snapshot",
        },
      ],
      state: expect.objectContaining({
        status: "IN_PROGRESS",
        currentStep: 2,
        trafficPercent: 100,
        lastStepAt: at(120),
      }) as RollbackState,
    });
    expect(transition(jumped.state, events.ADVANCE, at(240)).state.status).toBe("COMPLETED");
  });

  it("HOLD keeps the step and its traffic up to maxHolds times, then advances and escalates", () => {
    const started = apply(create({ mode: "AUTOMATIC" }), events.START);
    const hold = { type: "HOLD", maxHolds: 2, reason: "Not enough traffic to compare the arms: 40 and 300" } as const;
    const first = transition(started, hold, at(120));
    expect(first).toEqual({
      action: "rollback.step_held",
      effects: [],
      state: { ...started, stepHolds: 1, version: started.version + 1 },
    });
    const second = transition(first.state, hold, at(240));
    expect(second).toMatchObject({
      action: "rollback.step_held",
      effects: [],
      state: { stepHolds: 2, trafficPercent: 25 },
    });
    const third = transition(second.state, hold, at(360));
    expect(third).toEqual({
      action: "rollback.advanced_after_holds",
      effects: [
        { kind: "TRAFFIC", percent: 50 },
        {
          kind: "ESCALATE",
          reason:
            "Advanced without enough traffic to compare the arms after 2 held intervals: " +
            "Not enough traffic to compare the arms: 40 and 300",
        },
      ],
      state: expect.objectContaining({
        currentStep: 1,
        trafficPercent: 50,
        stepHolds: 0,
        lastStepAt: at(360),
      }) as RollbackState,
    });
    // With no holds allowed, a thin step advances at once.
    expect(transition(started, { ...hold, maxHolds: 0 }, at(120))).toMatchObject({
      action: "rollback.advanced_after_holds",
      state: { currentStep: 1 },
    });
  });

  it("ADVANCE and FAST_FORWARD reset the hold count", () => {
    const held = apply(apply(create({ mode: "AUTOMATIC" }), events.START), events.HOLD, events.HOLD);
    expect(held.stepHolds).toBe(2);
    expect(transition(held, events.ADVANCE, at(600)).state.stepHolds).toBe(0);
    expect(transition(held, events.FAST_FORWARD, at(600)).state.stepHolds).toBe(0);
  });

  it("GATE_ABORT ends the rollback FAILED with all traffic back on the snapshot from before, escalated", () => {
    const started = apply(create({ mode: "AUTOMATIC" }), events.START, events.ADVANCE);
    const reason = "The known-good snapshot is worse than the current one: error rate 30% against 1% (p = 2e-9)";
    expect(transition(started, { type: "GATE_ABORT", reason }, at(300))).toEqual({
      action: "rollback.gate_aborted",
      effects: [
        { kind: "TRAFFIC", percent: 0 },
        {
          kind: "ESCALATE",
          reason: `Step 2 of 3 (50%): ${reason}. All traffic moved back to the snapshot from before the rollback`,
        },
      ],
      state: expect.objectContaining({
        status: "FAILED",
        trafficPercent: 0,
        endedAt: at(300),
        endedById: null,
        endReason: reason,
        aborted: false,
      }) as RollbackState,
    });
  });

  it("stepCheckEvent: each gate outcome's event", () => {
    const explanation = "why";
    expect(stepCheckEvent({ outcome: "ADVANCE", explanation }, 3)).toEqual({ type: "ADVANCE" });
    expect(stepCheckEvent({ outcome: "HOLD", explanation }, 3)).toEqual({ type: "HOLD", maxHolds: 3, reason: "why" });
    expect(stepCheckEvent({ outcome: "FAST_FORWARD", explanation }, 3)).toEqual({
      type: "FAST_FORWARD",
      reason: "why",
    });
    expect(stepCheckEvent({ outcome: "ABORT", explanation }, 3)).toEqual({ type: "GATE_ABORT", reason: "why" });
  });

  it("completes an emergency rollback on its first advance", () => {
    const emergency = create({ trigger: "EMERGENCY" });
    expect(transition(emergency, events.ADVANCE, at(120))).toMatchObject({
      action: "rollback.completed",
      state: { status: "COMPLETED", trafficPercent: 100, endedAt: at(120) },
    });
  });

  it.each([
    ["a gradual rollback at 50%", () => apply(create({ mode: "AUTOMATIC" }), events.START, events.ADVANCE)],
    ["an emergency rollback at 100%", () => create({ trigger: "EMERGENCY" })],
  ])("aborting %s returns all traffic to the configuration from before", (_name, inProgress) => {
    const result = transition(inProgress(), events.ABORT, at(300));
    expect(result).toEqual({
      action: "rollback.aborted",
      effects: [{ kind: "TRAFFIC", percent: 0 }],
      state: expect.objectContaining({
        status: "CANCELLED",
        aborted: true,
        trafficPercent: 0,
        endedById: "alice",
        endReason: "known-good snapshot is slower",
        endedAt: at(300),
      }) as RollbackState,
    });
  });

  it("a failure in progress returns traffic and escalates; before any traffic moved it only escalates", () => {
    const escalate = { kind: "ESCALATE", reason: "Rollback failed: known-good snapshot failed its checksum" };
    expect(transition(stateIn.IN_PROGRESS(), events.FAIL, now)).toMatchObject({
      action: "rollback.failed",
      effects: [{ kind: "TRAFFIC", percent: 0 }, escalate],
      state: { status: "FAILED", trafficPercent: 0, endReason: "known-good snapshot failed its checksum" },
    });
    expect(transition(stateIn.APPROVED(), events.FAIL, now).effects).toEqual([escalate]);
  });

  it("is deterministic and never mutates the state it is given", () => {
    const state = stateIn.IN_PROGRESS();
    const copy = structuredClone(state);
    expect(transition(state, events.ADVANCE, at(5))).toEqual(transition(state, events.ADVANCE, at(5)));
    expect(state).toEqual(copy);
  });
});

describe("any sequence of events", () => {
  const users = ["alice", "bob", "olga"];
  const eventArb: fc.Arbitrary<RollbackEvent> = fc.oneof(
    fc.record({ type: fc.constant("APPROVE" as const), userId: fc.constantFrom(...users) }),
    fc.record({ type: fc.constant("REJECT" as const), userId: fc.constantFrom(...users), comment: fc.constant("no") }),
    fc.record({ type: fc.constant("CANCEL" as const), userId: fc.constantFrom(...users), reason: fc.constant("no") }),
    fc.constant({ type: "START" as const }),
    fc.constant({ type: "ADVANCE" as const }),
    fc.constant({ type: "FAST_FORWARD" as const, reason: "worse" }),
    fc.record({
      type: fc.constant("HOLD" as const),
      maxHolds: fc.integer({ min: 0, max: 3 }),
      reason: fc.constant("thin"),
    }),
    fc.constant({ type: "GATE_ABORT" as const, reason: "known-good worse" }),
    fc.record({ type: fc.constant("ABORT" as const), userId: fc.constantFrom(...users), reason: fc.constant("no") }),
    fc.constant({ type: "EXPIRE" as const }),
    fc.constant({ type: "FAIL" as const, reason: "broken" }),
  );
  const stepsArb = fc
    .uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 5 })
    .map((steps) => [...steps.sort((a, b) => a - b), 100]);
  const inputArb = fc.record({
    trigger: fc.constantFrom("EMERGENCY", "SLO", "MANUAL"),
    steps: stepsArb,
    approvalsRequired: fc.constantFrom(1, 2),
    mode: fc.constantFrom("APPROVAL", "AUTOMATIC"),
    requestedById: fc.constant("olga"),
    now: fc.constant(now),
  });

  it("keeps traffic within 0..100 and on the current step, never moves a terminal state, counts versions", () => {
    fc.assert(
      fc.property(inputArb, fc.array(eventArb, { maxLength: 30 }), (input, sequence) => {
        let state = createRollback(input).state;
        let applied = 0;
        for (const [i, event] of sequence.entries()) {
          const before = state;
          try {
            state = transition(state, event, at(i + 1)).state;
            applied++;
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
            continue;
          } finally {
            if (isTerminal(before.status)) expect(state).toBe(before);
          }
          expect(state.trafficPercent).toBeGreaterThanOrEqual(0);
          expect(state.trafficPercent).toBeLessThanOrEqual(100);
          expect(state.version).toBe(applied);
          if (state.status === "IN_PROGRESS") {
            expect(state.trafficPercent).toBe(state.steps[state.currentStep]);
            expect(state.trafficPercent).toBeGreaterThanOrEqual(before.trafficPercent);
          }
          if (state.status === "COMPLETED") expect(state.trafficPercent).toBe(100);
          if (state.status !== "IN_PROGRESS" && state.status !== "COMPLETED") expect(state.trafficPercent).toBe(0);
          if (isTerminal(state.status)) expect(state.endedAt).not.toBeNull();
          const approvers = state.approvals.map((a) => a.userId);
          expect(new Set(approvers).size).toBe(approvers.length);
          expect(approvers.length).toBeLessThanOrEqual(state.approvalsRequired);
          if (state.approvalsRequired === 2) expect(approvers).not.toContain(state.requestedById);
        }
      }),
    );
  });

  it("reaches APPROVED only with enough approvals, unless the policy is automatic", () => {
    fc.assert(
      fc.property(inputArb, fc.array(eventArb, { maxLength: 10 }), (input, sequence) => {
        let state = createRollback(input).state;
        for (const event of sequence) {
          try {
            state = transition(state, event, now).state;
          } catch {
            continue;
          }
          if (state.status === "APPROVED" && !(input.trigger === "SLO" && input.mode === "AUTOMATIC")) {
            expect(state.approvals.length).toBe(state.approvalsRequired);
          }
        }
      }),
    );
  });
});

describe("timing rules", () => {
  it.each([
    [119, false],
    [120, true],
  ])("stepDue %i s after the last step with a 120 s interval: %s", (seconds, due) => {
    expect(stepDue({ lastStepAt: at(0), stepIntervalSeconds: 120, stepHolds: 0, now: at(seconds) })).toBe(due);
  });

  it("each hold puts the next check one more interval after the step", () => {
    expect(nextStepDueAt({ lastStepAt: at(0), stepIntervalSeconds: 120, stepHolds: 2 })).toEqual(at(360));
    expect(stepDue({ lastStepAt: at(0), stepIntervalSeconds: 120, stepHolds: 1, now: at(239) })).toBe(false);
    expect(stepDue({ lastStepAt: at(0), stepIntervalSeconds: 120, stepHolds: 1, now: at(240) })).toBe(true);
  });

  it.each([
    [899, false],
    [900, true],
  ])("approvalExpired %i s after the request with a 900 s timeout: %s", (seconds, expired) => {
    expect(approvalExpired({ requestedAt: at(0), approvalTimeoutSeconds: 900, now: at(seconds) })).toBe(expired);
  });
});

describe("verificationOutcome", () => {
  const completedAt = at(0);
  /** Completion plus a 30 s pickup grace: where the restored snapshot's judged traffic starts. */
  const judgedFrom = at(30);
  const verdict = (status: "HEALTHY" | "BREACH", seconds: number, windowSeconds = 300) => ({
    status,
    at: at(seconds),
    windowSeconds,
  });
  const outcome = (
    seconds: number,
    verdicts: ReturnType<typeof verdict>[],
    restored: "HEALTHY" | "INSUFFICIENT_DATA" | "VIOLATION" | "BREACH" = "HEALTHY",
  ) =>
    verificationOutcome({
      completedAt,
      verificationWindowSeconds: 600,
      judgedFrom,
      verdictsSinceCompletion: verdicts,
      restored,
      now: at(seconds),
    });

  it("is pending until the window has passed, then effective when the restored traffic was judged healthy", () => {
    expect(outcome(599, [verdict("HEALTHY", 330)])).toBe("PENDING");
    expect(outcome(600, [verdict("HEALTHY", 330)])).toBe("EFFECTIVE");
    expect(outcome(600, [])).toBe("EFFECTIVE");
  });

  it("is inconclusive at the window's end when too little restored traffic was judged, never effective", () => {
    expect(outcome(599, [], "INSUFFICIENT_DATA")).toBe("PENDING");
    expect(outcome(600, [], "INSUFFICIENT_DATA")).toBe("INCONCLUSIVE");
  });

  it("is ineffective as soon as the restored traffic breaches, or at the end when it violated", () => {
    expect(outcome(360, [verdict("BREACH", 360, 330)])).toBe("INEFFECTIVE");
    expect(outcome(5_000, [verdict("HEALTHY", 330), verdict("BREACH", 600, 60)])).toBe("INEFFECTIVE");
    expect(outcome(100, [], "BREACH")).toBe("INEFFECTIVE");
    expect(outcome(599, [], "VIOLATION")).toBe("PENDING");
    expect(outcome(600, [], "VIOLATION")).toBe("INEFFECTIVE");
  });

  it("ignores breaches whose window held traffic from before completion and the pickup grace, or came after", () => {
    expect(outcome(600, [verdict("BREACH", 60), verdict("BREACH", 329)])).toBe("EFFECTIVE");
    expect(outcome(600, [verdict("BREACH", 59, 30)])).toBe("EFFECTIVE");
    expect(outcome(5_000, [verdict("BREACH", 601, 60)])).toBe("EFFECTIVE");
  });
});

describe("trafficSplit", () => {
  const split = (trafficPercent: number) =>
    trafficSplit({ trafficPercent, fromSnapshotId: "bad", toSnapshotId: "good" });

  it("splits between the snapshot from before and the known-good one, leaving out a zero share", () => {
    expect(split(0)).toEqual([{ snapshotId: "bad", weight: 100 }]);
    expect(split(25)).toEqual([
      { snapshotId: "bad", weight: 75 },
      { snapshotId: "good", weight: 25 },
    ]);
    expect(split(100)).toEqual([{ snapshotId: "good", weight: 100 }]);
  });

  it("always sums to 100", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), (percent) => {
        expect(split(percent).reduce((sum, share) => sum + share.weight, 0)).toBe(100);
      }),
    );
  });

  it.each([-1, 101, 12.5, Number.NaN])("refuses a share of %d", (percent) => {
    expect(() => split(percent)).toThrow(
      appError("VALIDATION", `Traffic share must be a whole percentage from 0 to 100, got ${percent}`),
    );
  });
});
