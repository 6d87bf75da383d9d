import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluate, verdictSchema, type EvaluationInput, type VerdictStatus } from "@/server/domain/evaluation";
import { policy, T0, windowOf } from "./fixtures";

const status = (s: VerdictStatus) => ({ status: s });
const violations = (n: number) => Array.from({ length: n }, () => status("VIOLATION"));
const slowWindow = windowOf({ p95Ms: 9_412 });
const statusArb = fc.constantFrom<VerdictStatus>("INSUFFICIENT_DATA", "HEALTHY", "VIOLATION", "BREACH");

function run(input: Partial<EvaluationInput>) {
  return evaluate({ window: windowOf(), policy: policy(), recentVerdicts: [], ...input });
}

describe("evaluate: thin data", () => {
  it("never judges a window below minRequests, however bad it looks", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.nat(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(statusArb, { maxLength: 10 }),
        (minRequests, seed, errorShare, recent) => {
          const requestCount = seed % minRequests;
          const verdict = run({
            policy: policy({ minRequests }),
            window: windowOf({
              requestCount,
              errorCount: Math.round(requestCount * errorShare),
              p95Ms: 1e6,
              costPerRequestUsd: 50,
            }),
            recentVerdicts: recent.map(status),
            burnRate: {
              longWindow: windowOf({ errorCount: 1_000, seconds: 3_600 }),
              shortWindow: windowOf({ errorCount: 1_000 }),
            },
          });
          expect(verdict.status).toBe("INSUFFICIENT_DATA");
        },
      ),
    );
  });

  it("says how many requests it saw and needs", () => {
    expect(run({ window: windowOf({ requestCount: 12 }) }).explanation).toBe(
      "Only 12 requests over the last 5 min; at least 50 are needed for a verdict",
    );
  });
});

describe("evaluate: consecutive violations", () => {
  it("breaches exactly at the policy's count: n − 1 violations are not a breach, n are", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.constantFrom<VerdictStatus>("VIOLATION", "BREACH"), { maxLength: 12 }),
        (n, mix) => {
          const preceding = (k: number) => Array.from({ length: k }, (_, i) => status(mix[i] ?? "VIOLATION"));
          const p = policy({ consecutiveViolations: n });
          if (n > 1) {
            const before = run({ window: slowWindow, policy: p, recentVerdicts: preceding(n - 2) });
            expect(before).toMatchObject({ status: "VIOLATION", consecutiveCount: n - 1 });
          }
          const at = run({ window: slowWindow, policy: p, recentVerdicts: preceding(n - 1) });
          expect(at).toMatchObject({ status: "BREACH", severity: "CRITICAL", consecutiveCount: n });
        },
      ),
    );
  });

  it.each<VerdictStatus>(["HEALTHY", "INSUFFICIENT_DATA"])("restarts the streak after %s", (gap) => {
    const verdict = run({
      window: slowWindow,
      recentVerdicts: [status("VIOLATION"), status(gap), ...violations(5)],
    });
    expect(verdict).toMatchObject({ status: "VIOLATION", consecutiveCount: 2 });
  });

  it("explains which SLO, observed against threshold, over which window and which count", () => {
    expect(run({ window: slowWindow, recentVerdicts: violations(2) }).explanation).toBe(
      "P95 latency 9.41 s > 8 s over the last 5 min (3rd consecutive violation)",
    );
    expect(run({ window: windowOf({ errorCount: 72, costPerRequestUsd: 0.0625 }) }).explanation).toBe(
      "Error rate 7.2% > 5% and cost per request $0.0625 > $0.05 over the last 5 min (1st consecutive violation; 3 make a breach)",
    );
  });

  it("is healthy at the threshold itself", () => {
    const verdict = run({ window: windowOf({ errorCount: 50, p95Ms: 8_000, costPerRequestUsd: 0.05 }) });
    expect(verdict.status).toBe("HEALTHY");
    expect(verdict.explanation).toBe(
      "All SLOs met over the last 5 min: 1,000 requests, error rate 5%, P95 latency 8 s and cost per request $0.05",
    );
  });

  it("skips the latency SLO when the window has requests but no latency samples", () => {
    expect(run({ window: windowOf({ p95Ms: null }) }).status).toBe("HEALTHY");
  });
});

describe("evaluate: emergency", () => {
  it("bypasses the consecutive count once any SLO is over threshold × multiplier", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1.01, max: 20, noNaN: true }),
        fc.double({ min: 1.0001, max: 3, noNaN: true }),
        (multiplier, over) => {
          const p = policy({ emergencyMultiplier: multiplier, consecutiveViolations: 5 });
          const verdict = run({ policy: p, window: windowOf({ p95Ms: 8_000 * multiplier * over }) });
          expect(verdict).toMatchObject({ status: "BREACH", severity: "EMERGENCY", consecutiveCount: 1 });
        },
      ),
    );
  });

  it("is not an emergency at exactly threshold × multiplier", () => {
    expect(run({ window: windowOf({ p95Ms: 24_000 }) }).status).toBe("VIOLATION");
  });

  it("says by how much", () => {
    expect(run({ window: windowOf({ errorCount: 420 }) }).explanation).toBe(
      "Emergency: error rate 42% > 15% (3× the 5% limit) over the last 5 min",
    );
  });
});

describe("evaluate: multi-window burn rate", () => {
  // Error budget 1% with factor 14.4: both windows must exceed 14.4% errors.
  const p = policy({ maxErrorRate: 0.01, emergencyMultiplier: 100, burnRate: { errorBudget: 0.01 } });
  const long = (errorCount: number, requestCount = 10_000) => windowOf({ seconds: 3_600, requestCount, errorCount });
  const short = (errorCount: number, requestCount = 1_000) => windowOf({ seconds: 300, requestCount, errorCount });

  it("breaches on the first violation when both windows burn faster than the factor", () => {
    const verdict = run({
      policy: p,
      window: short(200),
      burnRate: { longWindow: long(1_500), shortWindow: short(200) },
    });
    expect(verdict).toMatchObject({ status: "BREACH", severity: "CRITICAL", consecutiveCount: 1 });
    expect(verdict.status === "BREACH" && verdict.burnRate).toMatchObject({
      longBurn: 15,
      shortBurn: 20,
      factor: 14.4,
    });
    expect(verdict.explanation).toBe(
      "Error rate 20% > 1% over the last 5 min (1st consecutive violation); " +
        "error budget burning 15× over the last 1 h and 20× over the last 5 min (alert above 14.4×)",
    );
  });

  it("catches a slow burn below the rollback threshold", () => {
    // 3% errors for an hour: under the 5% maxErrorRate, but 15× the default 0.2% budget.
    const slow = policy({ emergencyMultiplier: 100 });
    const verdict = run({
      policy: slow,
      window: short(30),
      burnRate: { longWindow: long(300), shortWindow: short(30) },
    });
    expect(verdict).toMatchObject({ status: "BREACH", severity: "CRITICAL", consecutiveCount: 1 });
  });

  it("does not fire on a short spike alone, nor on the long window alone", () => {
    for (const burnRate of [
      { longWindow: long(1_000), shortWindow: short(500) },
      { longWindow: long(5_000), shortWindow: short(100) },
    ]) {
      expect(run({ policy: p, window: short(200), burnRate }).status).toBe("VIOLATION");
    }
  });

  it("needs minRequests in each window and the alert enabled", () => {
    const thinLong = { longWindow: long(40, 49), shortWindow: short(200) };
    expect(run({ policy: p, window: short(200), burnRate: thinLong }).status).toBe("VIOLATION");
    const disabled = policy({
      maxErrorRate: 0.01,
      emergencyMultiplier: 100,
      burnRate: { enabled: false, errorBudget: 0.01 },
    });
    expect(
      run({
        policy: disabled,
        window: short(200),
        burnRate: { longWindow: long(1_500), shortWindow: short(200) },
      }).status,
    ).toBe("VIOLATION");
  });

  it("breaches even when a shorter evaluation window looks healthy, naming the error-rate SLO", () => {
    const verdict = run({
      policy: p,
      window: windowOf({ seconds: 60, errorCount: 0 }),
      burnRate: { longWindow: long(1_500), shortWindow: short(200) },
    });
    expect(verdict).toMatchObject({
      status: "BREACH",
      severity: "CRITICAL",
      violations: [
        {
          slo: "ERROR_RATE",
          observed: expect.closeTo(0.2, 12) as number,
          threshold: expect.closeTo(0.144, 12) as number,
          windowSeconds: 300,
        },
      ],
    });
  });
});

describe("verdictSchema", () => {
  it("parses every kind of verdict back from stored JSON", () => {
    const verdicts = [
      run({ window: windowOf({ requestCount: 3 }) }),
      run({}),
      run({ window: slowWindow }),
      run({ window: slowWindow, recentVerdicts: violations(2) }),
      run({ window: windowOf({ errorCount: 500 }) }),
    ];
    for (const verdict of verdicts) expect(verdictSchema.parse(JSON.parse(JSON.stringify(verdict)))).toEqual(verdict);
  });
});

it("uses the window's own range, not the clock", () => {
  const a = run({ window: windowOf({ to: T0, seconds: 600 }), recentVerdicts: [] });
  const b = run({ window: windowOf({ to: T0 + 86_400_000, seconds: 600 }), recentVerdicts: [] });
  expect(a).toEqual(b);
  expect(a.explanation).toContain("over the last 10 min");
});
