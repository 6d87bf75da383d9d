import { describe, expect, it } from "vitest";
import {
  parseStepsText,
  reenablementMove,
  reenablementRefusal,
  reenablementStepsSchema,
  startReenablementSchema,
  type StartCheckInput,
} from "@/server/domain/flag-reenablement";

const ready: StartCheckInput = {
  rollback: { status: "COMPLETED", verification: "EFFECTIVE", flagsTurnedOff: ["chat.tools"] },
  flags: [{ key: "chat.tools", enabled: false }],
  emergencyStopActive: false,
  planRunning: false,
};

describe("re-enablement steps", () => {
  it("default to 10/50/100 and must ascend to 100", () => {
    expect(startReenablementSchema.parse({ rollbackId: "r" }).steps).toEqual([10, 50, 100]);
    expect(reenablementStepsSchema.safeParse([25, 100]).success).toBe(true);
    expect(reenablementStepsSchema.safeParse([100]).success).toBe(true);
    for (const bad of [[], [50, 10, 100], [10, 10, 100], [10, 50], [0, 100], [10.5, 100], [10, 101]]) {
      expect(reenablementStepsSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it("parses typed text, leaving words for the schema to name", () => {
    expect(parseStepsText(" 10, 50 100% ")).toEqual([10, 50, 100]);
    expect(reenablementStepsSchema.safeParse(parseStepsText("10, half, 100")).success).toBe(false);
  });
});

describe("reenablementRefusal", () => {
  it("lets a verified-effective rollback's switches, still off, start", () => {
    expect(reenablementRefusal(ready)).toBeNull();
  });

  it("refuses with a reason otherwise", () => {
    const rollback = (change: Partial<StartCheckInput["rollback"]>) => ({
      ...ready,
      rollback: { ...ready.rollback, ...change },
    });
    expect(reenablementRefusal({ ...ready, emergencyStopActive: true })?.message).toContain("emergency stop");
    expect(reenablementRefusal(rollback({ flagsTurnedOff: [] }))?.message).toContain("no kill switch");
    expect(reenablementRefusal(rollback({ status: "IN_PROGRESS" }))?.message).toContain("not completed");
    expect(reenablementRefusal(rollback({ verification: "PENDING" }))?.message).toContain("not verified");
    expect(reenablementRefusal(rollback({ verification: "INCONCLUSIVE" }))?.message).toContain("inconclusive");
    expect(reenablementRefusal(rollback({ verification: "INEFFECTIVE" }))?.message).toContain("not effective");
    expect(reenablementRefusal({ ...ready, planRunning: true })).toMatchObject({ code: "CONFLICT" });
    expect(reenablementRefusal({ ...ready, flags: [] })?.message).toContain("no longer exist");
    expect(reenablementRefusal({ ...ready, flags: [{ key: "chat.tools", enabled: true }] })?.message).toContain(
      "Already turned back on",
    );
  });
});

describe("reenablementMove", () => {
  const plan = { steps: [10, 50, 100], currentStep: 0, stepHolds: 0 };

  it("advances step by step and completes after the 100% step's check", () => {
    expect(reenablementMove(plan, "ADVANCE", 3)).toEqual({
      kind: "STEP",
      currentStep: 1,
      percent: 50,
      afterHolds: false,
    });
    expect(reenablementMove({ ...plan, currentStep: 2 }, "ADVANCE", 3)).toEqual({
      kind: "COMPLETE",
      afterHolds: false,
    });
  });

  it("reverts when worse since the step, at any step", () => {
    for (const currentStep of [0, 1, 2]) {
      expect(reenablementMove({ ...plan, currentStep }, "FAST_FORWARD", 3)).toEqual({ kind: "REVERT" });
    }
    expect(reenablementMove(plan, "ABORT", 3)).toEqual({ kind: "REVERT" });
  });

  it("holds up to maxHolds times, then moves on flagged as after holds", () => {
    expect(reenablementMove({ ...plan, stepHolds: 2 }, "HOLD", 3)).toEqual({ kind: "HOLD", stepHolds: 3 });
    expect(reenablementMove({ ...plan, stepHolds: 3 }, "HOLD", 3)).toEqual({
      kind: "STEP",
      currentStep: 1,
      percent: 50,
      afterHolds: true,
    });
    expect(reenablementMove({ ...plan, currentStep: 2 }, "HOLD", 0)).toEqual({ kind: "COMPLETE", afterHolds: true });
  });
});
