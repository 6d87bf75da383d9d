import { describe, expect, it } from "vitest";
import { fieldIssues } from "@/server/domain/errors";
import { defaultPolicy, policySchema, type PolicyInput } from "@/server/domain/policy";

function errorsOf(input: PolicyInput | Record<string, unknown>) {
  const result = policySchema.safeParse(input);
  if (result.success) throw new Error("expected the policy to be rejected");
  return fieldIssues(result.error);
}

describe("policySchema defaults", () => {
  it("fills every field with the LLM-traffic defaults", () => {
    expect(defaultPolicy).toEqual({
      maxErrorRate: 0.05,
      maxP95LatencyMs: 8_000,
      maxCostPerRequestUsd: 0.05,
      evaluationWindowSeconds: 300,
      minRequests: 50,
      consecutiveViolations: 3,
      cooldownSeconds: 1_800,
      emergencyMultiplier: 3,
      maxAutoRollbacksPerHour: 2,
      mode: "APPROVAL",
      approvalsRequired: 1,
      approvalTimeoutSeconds: 900,
      steps: [25, 50, 100],
      stepIntervalSeconds: 120,
      stepMinRequests: 100,
      stepSignificance: 0.05,
      stepMaxHoldIntervals: 3,
      configPickupSeconds: 30,
      bakeTimeSeconds: 1_800,
      verificationWindowSeconds: 600,
      burnRate: { enabled: true, errorBudget: 0.002, longWindowSeconds: 3_600, shortWindowSeconds: 300, factor: 14.4 },
    });
  });

  it("keeps the other burn-rate defaults when only one burn-rate field is given", () => {
    expect(policySchema.parse({ burnRate: { factor: 6 } }).burnRate).toEqual({
      ...defaultPolicy.burnRate,
      factor: 6,
    });
  });
});

describe("policySchema rules, reported on the field they concern", () => {
  it.each([
    [[50, 25, 100], "steps"],
    [[25, 50], "steps"],
    [[25, 25, 100], "steps"],
  ])("steps %j: must ascend and end at 100", (steps, path) => {
    expect(errorsOf({ steps })).toEqual({ [path]: "Steps must ascend and end at 100" });
  });

  it("names the step that is not a whole percentage", () => {
    expect(errorsOf({ steps: [10, 0, 100] })).toEqual({ "steps.1": "Each step must be at least 1" });
  });

  it.each([300, 3_600])("short window %i s not shorter than the long window", (shortWindowSeconds) => {
    expect(errorsOf({ burnRate: { shortWindowSeconds, longWindowSeconds: 300 } })).toEqual({
      "burnRate.shortWindowSeconds": "Short window must be shorter than the long window",
    });
  });

  it("rejects negative thresholds with a message per field", () => {
    expect(errorsOf({ maxErrorRate: -0.1, maxP95LatencyMs: -5, maxCostPerRequestUsd: -1 })).toEqual({
      maxErrorRate: "Max error rate must be greater than 0",
      maxP95LatencyMs: "Max P95 latency must be greater than 0",
      maxCostPerRequestUsd: "Max cost per request must be greater than 0",
    });
  });

  it("treats the error rate as a fraction, not a percentage", () => {
    expect(errorsOf({ maxErrorRate: 5 })).toEqual({
      maxErrorRate: "Max error rate is a fraction and must be at most 1 (100%)",
    });
  });

  it("needs an emergency multiplier above 1 and a known mode", () => {
    expect(errorsOf({ emergencyMultiplier: 1, mode: "YOLO" })).toEqual({
      emergencyMultiplier: "Emergency multiplier must be greater than 1",
      mode: "Mode must be APPROVAL or AUTOMATIC",
    });
  });

  it("refuses a burn-rate factor that could never fire for the error budget", () => {
    expect(errorsOf({ burnRate: { errorBudget: 0.1 } })).toEqual({
      "burnRate.factor": "Burn-rate factor × error budget must be below 100%, or the burn-rate alert could never fire",
    });
    expect(policySchema.safeParse({ burnRate: { enabled: false, errorBudget: 0.1 } }).success).toBe(true);
  });

  it("needs a verification window at least as long as the evaluation window", () => {
    expect(errorsOf({ evaluationWindowSeconds: 900 })).toEqual({
      verificationWindowSeconds: "Verification window must be at least as long as the evaluation window",
    });
  });

  it("reports cross-field rules together with unrelated field errors, so a form shows them all at once", () => {
    expect(
      errorsOf({
        approvalsRequired: 3,
        steps: [50, 20],
        evaluationWindowSeconds: 900,
        burnRate: { shortWindowSeconds: 7_200 },
      }),
    ).toEqual({
      approvalsRequired: "Approvals required must be 1 or 2",
      steps: "Steps must ascend and end at 100",
      verificationWindowSeconds: "Verification window must be at least as long as the evaluation window",
      "burnRate.shortWindowSeconds": "Short window must be shorter than the long window",
    });
  });

  it("does not pile a cross-field message on a field that is already invalid", () => {
    expect(errorsOf({ evaluationWindowSeconds: "five minutes" })).toEqual({
      evaluationWindowSeconds: "Evaluation window must be a number",
    });
  });
});
