import { describe, expect, it } from "vitest";
import { emptyTotals, type MetricTotals } from "@/server/domain/metrics";
import { LatencySketch } from "@/server/domain/sketch";
import { flagArmsGate, stepGate, windowStepGate, type StepGateInput } from "@/server/domain/step-gate";
import { policy } from "./fixtures";
import { simulateRollbacks } from "./step-gate-simulation";

function arm(requests: number, errors: number, latencies: number[] = [], costPerRequestUsd = 0.004): MetricTotals {
  const filled = latencies.length > 0 ? latencies : Array.from({ length: requests }, (_, i) => 900 + (i % 50) * 10);
  return {
    ...emptyTotals(),
    requestCount: requests,
    errorCount: errors,
    costMicros: Math.round(costPerRequestUsd * 1_000_000 * requests),
    latency: LatencySketch.of(filled),
  };
}

function gate(knownGood: MetricTotals, current: MetricTotals, overrides: Partial<StepGateInput> = {}) {
  return stepGate({
    knownGood,
    current,
    policy: policy(),
    minRequests: 50,
    significance: 0.05,
    looks: 2,
    ...overrides,
  });
}

describe("stepGate", () => {
  it("holds while either arm has fewer requests than the minimum, and tests nothing", () => {
    const check = gate(arm(40, 0), arm(400, 40));
    expect(check.outcome).toBe("HOLD");
    expect(check.explanation).toContain("40 on the known-good arm");
    expect(check.comparisons.every((c) => c.pValue === null && c.worse === null)).toBe(true);
  });

  it("holds on one slow request against a 60-request baseline instead of jumping to 100%", () => {
    const check = gate(arm(60, 0), arm(1, 0, [3_500]));
    expect(check.outcome).toBe("HOLD");
  });

  it("advances when the arms do not differ, with a p-value per tested SLO", () => {
    const check = gate(arm(300, 15), arm(300, 15));
    expect(check.outcome).toBe("ADVANCE");
    const errors = check.comparisons.find((c) => c.slo === "ERROR_RATE");
    expect(errors?.pValue).toBe(1);
    expect(check.comparisons.find((c) => c.slo === "COST_PER_REQUEST")?.pValue).toBeNull();
  });

  it("fast-forwards when the current arm's error rate is significantly higher", () => {
    const check = gate(arm(300, 6), arm(300, 45));
    expect(check.outcome).toBe("FAST_FORWARD");
    const errors = check.comparisons.find((c) => c.slo === "ERROR_RATE");
    expect(errors?.worse).toBe("CURRENT");
    expect(errors?.pValue).toBeLessThan(check.alpha);
    expect(check.explanation).toMatch(
      /^The current snapshot is worse than the known-good one: error rate 15% against 2%/,
    );
  });

  it("aborts when the known-good arm is the slower one, by Mood's test at the pooled P95", () => {
    const fast = Array.from({ length: 400 }, (_, i) => 800 + i);
    const slow = Array.from({ length: 400 }, (_, i) => (i % 5 === 0 ? 9_000 + i : 800 + i));
    const check = gate(arm(400, 0, slow), arm(400, 0, fast));
    expect(check.outcome).toBe("ABORT");
    expect(check.comparisons.find((c) => c.slo === "P95_LATENCY")?.worse).toBe("KNOWN_GOOD");
  });

  it("prefers ABORT when each arm is worse on a different SLO: the rollback target itself is suspect", () => {
    const slow = Array.from({ length: 400 }, (_, i) => (i % 5 === 0 ? 9_000 + i : 800 + i));
    const check = gate(arm(400, 0, slow), arm(400, 80));
    expect(check.outcome).toBe("ABORT");
  });

  it("compares cost by ratio only above the policy's limit", () => {
    const cheap = arm(300, 0, [], 0.04);
    const dear = arm(300, 0, [], 0.07);
    expect(gate(cheap, dear).outcome).toBe("FAST_FORWARD");
    expect(gate(cheap, dear, { policy: policy({ maxCostPerRequestUsd: 0.1 }) }).outcome).toBe("ADVANCE");
    expect(gate(dear, cheap).outcome).toBe("ABORT");
  });

  it("shares the significance among looks and tested SLOs (TTFT only when the policy judges it)", () => {
    expect(gate(arm(300, 0), arm(300, 0)).alpha).toBeCloseTo(0.05 / (2 * 2));
    expect(gate(arm(300, 0), arm(300, 0), { policy: policy({ maxTtftP95Ms: 2_000 }), looks: 3 }).alpha).toBeCloseTo(
      0.05 / (3 * 3),
    );
  });

  it("is fooled by equal arms in at most the significance level of simulated rollbacks", () => {
    const rates = simulateRollbacks({
      runs: 400,
      seed: 7,
      knownGood: { errorRate: 0.05, medianMs: 1_500 },
      current: { errorRate: 0.05, medianMs: 1_500 },
      requestsPerArm: 200,
      looks: 2,
    });
    expect(rates.FAST_FORWARD + rates.ABORT).toBeLessThanOrEqual(0.05);
    expect(rates.HOLD).toBe(0);
  });

  it("catches a current arm with five times the errors nearly always at 200 requests per arm", () => {
    const rates = simulateRollbacks({
      runs: 200,
      seed: 11,
      knownGood: { errorRate: 0.02, medianMs: 1_500 },
      current: { errorRate: 0.1, medianMs: 1_500 },
      requestsPerArm: 200,
      looks: 2,
    });
    expect(rates.FAST_FORWARD).toBeGreaterThan(0.9);
    expect(rates.ABORT).toBeLessThanOrEqual(0.05);
  });
});

describe("windowStepGate (no snapshot versions reported)", () => {
  const windows = (before: MetricTotals, since: MetricTotals) =>
    windowStepGate({ before, since, policy: policy(), minRequests: 50, significance: 0.05, looks: 2 });

  it("holds when either window is thin, and says that time windows were compared", () => {
    const check = windows(arm(60, 0), arm(1, 0, [3_500]));
    expect(check.outcome).toBe("HOLD");
    expect(check.explanation).toBe(
      "No snapshot versions reported: compared time windows, not arms. Not enough traffic to compare: " +
        "1 requests since the step began, 60 in the interval before it; each needs 50",
    );
  });

  it("fast-forwards when the target got significantly worse since the step began", () => {
    const check = windows(arm(300, 6), arm(300, 45));
    expect(check.outcome).toBe("FAST_FORWARD");
    expect(check.explanation).toMatch(/^No snapshot versions reported: .* got worse since the step began: error rate/);
    expect(check.comparisons.find((c) => c.slo === "ERROR_RATE")?.worse).toBe("CURRENT");
  });

  it("advances, never aborts, when the target got better: windows cannot blame the known-good snapshot", () => {
    const check = windows(arm(300, 45), arm(300, 6));
    expect(check.outcome).toBe("ADVANCE");
    expect(check.comparisons.every((c) => c.worse === null)).toBe(true);
    expect(check.explanation).toContain("not worse since the step began (300 requests since the step began");
  });
});

describe("flagArmsGate (events report flags)", () => {
  const flags = (...arms: { flagKey: string; on: MetricTotals; off: MetricTotals }[]) =>
    flagArmsGate({ arms, policy: policy(), minRequests: 50, significance: 0.05, looks: 4 });

  it("advances when no flag's on arm is worse, better ones included, and names every flag", () => {
    const check = flags(
      { flagKey: "chat.streaming", on: arm(300, 6), off: arm(300, 6) },
      { flagKey: "chat.tools", on: arm(300, 3), off: arm(300, 45) },
    );
    expect(check.outcome).toBe("ADVANCE");
    expect(check.comparisons.every((c) => c.worse === null)).toBe(true);
    expect(check.explanation).toContain("Requests with chat.streaming on are not worse");
    expect(check.explanation).toContain("Requests with chat.tools on are not worse");
  });

  it("reports a worse on arm as FAST_FORWARD (the plan reverts), before another flag's thin arms", () => {
    const check = flags(
      { flagKey: "chat.thin", on: arm(10, 0), off: arm(300, 6) },
      { flagKey: "chat.tools", on: arm(300, 45), off: arm(300, 6) },
    );
    expect(check.outcome).toBe("FAST_FORWARD");
    expect(check.explanation).toMatch(
      /^Requests with chat\.tools on are worse than those with it off: error rate 15% against 2%/,
    );
  });

  it("holds while an arm is thin", () => {
    const check = flags({ flagKey: "chat.streaming", on: arm(20, 0), off: arm(300, 6) });
    expect(check.outcome).toBe("HOLD");
    expect(check.explanation).toBe(
      "Not enough traffic to compare chat.streaming on and off: 20 requests with chat.streaming on and 300 with it off; each needs 50",
    );
  });
});
