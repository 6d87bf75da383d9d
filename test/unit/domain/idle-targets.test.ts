import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide } from "@/server/domain/decision";
import { evaluate } from "@/server/domain/evaluation";
import { isIdle, type IdleInput } from "@/server/domain/idle-targets";
import { emptyTotals, toWindowMetrics } from "@/server/domain/metrics";
import { policy, T0 } from "./fixtures";

const now = new Date(T0);
const MINUTE = 60_000;

const idle = (overrides: Partial<IdleInput> = {}): IdleInput => ({
  state: { lastVerdictAt: new Date(T0 - MINUTE), lastStatus: "INSUFFICIENT_DATA", policyVersion: 2 },
  policy: policy(),
  policyVersion: 2,
  configChangedAt: new Date(T0 - 60 * MINUTE),
  hasTraffic: false,
  pulledSource: false,
  rollbackUnderWay: false,
  now,
  ...overrides,
});

describe("isIdle", () => {
  it("skips a target with no traffic whose newest verdict is INSUFFICIENT_DATA under the same policy", () => {
    expect(isIdle(idle())).toBe(true);
    expect(isIdle(idle({ configChangedAt: null }))).toBe(true);
  });

  it("judges it when anything could make its verdict or what follows from it differ", () => {
    expect(isIdle(idle({ state: null }))).toBe(false);
    for (const lastStatus of ["HEALTHY", "VIOLATION", "BREACH"] as const) {
      expect(isIdle(idle({ state: { ...idle().state!, lastStatus } }))).toBe(false);
    }
    expect(isIdle(idle({ hasTraffic: true }))).toBe(false);
    expect(isIdle(idle({ pulledSource: true }))).toBe(false);
    expect(isIdle(idle({ rollbackUnderWay: true }))).toBe(false);
    expect(isIdle(idle({ policyVersion: 3 }))).toBe(false);
    expect(isIdle(idle({ policyVersion: null }))).toBe(false);
    expect(isIdle(idle({ configChangedAt: new Date(T0 - MINUTE) }))).toBe(false);
    expect(isIdle(idle({ configChangedAt: new Date(T0 - 30_000) }))).toBe(false);
    // A rerun of the instant of the newest verdict, or a clock that went back.
    expect(isIdle(idle({ now: new Date(T0 - MINUTE) }))).toBe(false);
    expect(isIdle(idle({ now: new Date(T0 - 2 * MINUTE) }))).toBe(false);
  });

  it("rests on this: an empty window is INSUFFICIENT_DATA and decided NONE, whatever the policy and the target", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.boolean(),
        fc.record({
          hasActiveRollback: fc.boolean(),
          currentSnapshotId: fc.constantFrom(null, "a", "b"),
          knownGoodSnapshotId: fc.constantFrom(null, "a", "b"),
          lastRollbackAt: fc.constantFrom(null, new Date(T0 - MINUTE)),
          autoRollbacksInLastHour: fc.integer({ min: 0, max: 5 }),
          automationPaused: fc.boolean(),
        }),
        fc.array(fc.constantFrom("INSUFFICIENT_DATA", "HEALTHY", "VIOLATION", "BREACH" as const), { maxLength: 5 }),
        (minRequests, consecutiveViolations, burn, target, recent) => {
          const p = policy({ minRequests, consecutiveViolations, burnRate: { enabled: burn } });
          const window = toWindowMetrics(emptyTotals(), { from: T0 - 5 * MINUTE, to: T0 });
          const empty = toWindowMetrics(emptyTotals(), { from: T0 - 60 * MINUTE, to: T0 });
          const verdict = evaluate({
            window,
            policy: p,
            recentVerdicts: recent.map((status) => ({ status })),
            burnRate: { longWindow: empty, shortWindow: window },
          });
          expect(verdict.status).toBe("INSUFFICIENT_DATA");
          expect(decide({ verdict, policy: p, now, target }).kind).toBe("NONE");
        },
      ),
    );
  });
});
