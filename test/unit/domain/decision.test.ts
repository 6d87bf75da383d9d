import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, type DecisionTarget } from "@/server/domain/decision";
import { evaluate, type Verdict } from "@/server/domain/evaluation";
import type { Policy } from "@/server/domain/policy";
import { policy, T0, windowOf } from "./fixtures";

const now = new Date(T0);
const MINUTE = 60_000;

const target = (overrides: Partial<DecisionTarget> = {}): DecisionTarget => ({
  hasActiveRollback: false,
  currentSnapshotId: "snap-2",
  knownGoodSnapshotId: "snap-1",
  lastRollbackAt: null,
  autoRollbacksInLastHour: 0,
  automationPaused: false,
  ...overrides,
});

const verdicts = {
  insufficient: evaluate({ window: windowOf({ requestCount: 10 }), policy: policy(), recentVerdicts: [] }),
  healthy: evaluate({ window: windowOf(), policy: policy(), recentVerdicts: [] }),
  violation: evaluate({ window: windowOf({ p95Ms: 9_000 }), policy: policy(), recentVerdicts: [] }),
  critical: evaluate({
    window: windowOf({ p95Ms: 9_000 }),
    policy: policy(),
    recentVerdicts: [{ status: "VIOLATION" }, { status: "VIOLATION" }],
  }),
  emergency: evaluate({ window: windowOf({ errorCount: 500 }), policy: policy(), recentVerdicts: [] }),
} satisfies Record<string, Verdict>;

const automatic = policy({ mode: "AUTOMATIC" });

describe("decide: what each verdict asks for", () => {
  it.each([
    ["insufficient", "NONE"],
    ["healthy", "NONE"],
    ["violation", "NOTIFY"],
    ["critical", "PROPOSE_ROLLBACK"],
    ["emergency", "EMERGENCY_ROLLBACK"],
  ] as const)("%s → %s under an approval policy", (name, kind) => {
    expect(decide({ verdict: verdicts[name], target: target(), policy: policy(), now }).kind).toBe(kind);
  });

  it("rolls back automatically on a critical breach under an automatic policy", () => {
    expect(decide({ verdict: verdicts.critical, target: target(), policy: automatic, now }).kind).toBe("AUTO_ROLLBACK");
  });

  it("pages on an emergency rollback and explains with the verdict", () => {
    const decision = decide({ verdict: verdicts.emergency, target: target(), policy: policy(), now });
    expect(decision.escalate).toBe(true);
    expect(decision.explanation).toBe(
      "Emergency: error rate 50% > 15% (3× the 5% limit) over the last 5 min. " +
        "Roll back to the known-good snapshot at once: Over 3× a threshold: no approval, no gradual steps.",
    );
  });
});

describe("decide: guards", () => {
  it("does nothing more while a rollback of the target is active, but still pages on an emergency", () => {
    const active = target({ hasActiveRollback: true });
    expect(decide({ verdict: verdicts.critical, target: active, policy: automatic, now })).toMatchObject({
      kind: "NONE",
      escalate: false,
      reasons: ["A rollback of this target is already active"],
    });
    expect(decide({ verdict: verdicts.emergency, target: active, policy: automatic, now })).toMatchObject({
      kind: "NOTIFY",
      escalate: true,
    });
  });

  it.each([
    ["no known-good snapshot", { knownGoodSnapshotId: null }],
    ["known-good is the current snapshot", { knownGoodSnapshotId: "snap-2" }],
  ])("notifies and escalates with %s", (_name, overrides) => {
    for (const verdict of [verdicts.critical, verdicts.emergency]) {
      expect(decide({ verdict, target: target(overrides), policy: automatic, now })).toMatchObject({
        kind: "NOTIFY",
        escalate: true,
        reasons: ["No known-good snapshot other than the current one to roll back to"],
      });
    }
  });

  it("only notifies while automation is paused", () => {
    for (const verdict of [verdicts.critical, verdicts.emergency]) {
      for (const p of [policy(), automatic]) {
        expect(decide({ verdict, target: target({ automationPaused: true }), policy: p, now }).kind).toBe("NOTIFY");
      }
    }
  });

  it("takes no automatic action inside the cooldown and turns it into a proposal, right up to its end", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 60, max: 7 * 86_400 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.constantFrom(verdicts.critical, verdicts.emergency),
        (cooldownSeconds, elapsedShare, verdict) => {
          const p = policy({ mode: "AUTOMATIC", cooldownSeconds });
          const lastRollbackAt = new Date(T0 - Math.floor(elapsedShare * cooldownSeconds * 1000));
          const decision = decide({ verdict, target: target({ lastRollbackAt }), policy: p, now });
          expect(decision).toMatchObject({ kind: "PROPOSE_ROLLBACK", escalate: true });
          const after = new Date(T0 - cooldownSeconds * 1000);
          expect(decide({ verdict, target: target({ lastRollbackAt: after }), policy: p, now }).kind).not.toBe(
            "PROPOSE_ROLLBACK",
          );
        },
      ),
    );
  });

  it("still proposes inside the cooldown under an approval policy: a person decides", () => {
    const decision = decide({
      verdict: verdicts.critical,
      target: target({ lastRollbackAt: new Date(T0 - 10 * MINUTE) }),
      policy: policy(),
      now,
    });
    expect(decision).toMatchObject({ kind: "PROPOSE_ROLLBACK", escalate: false });
    expect(decision.reasons).toEqual([
      "Policy needs approval; within the 30 min cooldown after the last rollback (20 min left)",
    ]);
  });

  it("freezes automatic rollbacks at the hourly cap", () => {
    const capped = target({ autoRollbacksInLastHour: 2 });
    for (const verdict of [verdicts.critical, verdicts.emergency]) {
      const decision = decide({ verdict, target: capped, policy: automatic, now });
      expect(decision).toMatchObject({ kind: "NOTIFY", escalate: true });
      expect(decision.reasons[0]).toMatch(/^Automatic rollbacks frozen: 2 in the last hour \(cap 2\)/);
    }
    expect(
      decide({
        verdict: verdicts.critical,
        target: target({ autoRollbacksInLastHour: 1 }),
        policy: automatic,
        now,
      }).kind,
    ).toBe("AUTO_ROLLBACK");
    expect(decide({ verdict: verdicts.critical, target: capped, policy: policy(), now }).kind).toBe("PROPOSE_ROLLBACK");
  });
});

describe("decide: invariants over every combination", () => {
  const verdictArb = fc.constantFrom(...Object.values(verdicts));
  const targetArb = fc.record({
    hasActiveRollback: fc.boolean(),
    currentSnapshotId: fc.constantFrom("a", "b", null),
    knownGoodSnapshotId: fc.constantFrom("a", "b", null),
    lastRollbackAt: fc.option(fc.integer({ min: -7_200, max: 7_200 }).map((s) => new Date(T0 - s * 1000))),
    autoRollbacksInLastHour: fc.nat({ max: 5 }),
    automationPaused: fc.boolean(),
  });
  const policyArb = fc
    .record({
      mode: fc.constantFrom("APPROVAL" as const, "AUTOMATIC" as const),
      cooldownSeconds: fc.integer({ min: 0, max: 3_600 }),
      maxAutoRollbacksPerHour: fc.nat({ max: 4 }),
    })
    .map((overrides): Policy => policy(overrides));

  it("acts automatically only when every guard allows it, and never below a breach", () => {
    fc.assert(
      fc.property(verdictArb, targetArb, policyArb, (verdict, t, p) => {
        const decision = decide({ verdict, target: t, policy: p, now });
        if (verdict.status !== "BREACH") expect(["NONE", "NOTIFY"]).toContain(decision.kind);
        if (verdict.status === "HEALTHY" || verdict.status === "INSUFFICIENT_DATA") expect(decision.kind).toBe("NONE");
        if (
          decision.kind === "AUTO_ROLLBACK" ||
          decision.kind === "EMERGENCY_ROLLBACK" ||
          decision.kind === "PROPOSE_ROLLBACK"
        ) {
          expect(t.hasActiveRollback).toBe(false);
          expect(t.automationPaused).toBe(false);
          expect(t.knownGoodSnapshotId).not.toBeNull();
          expect(t.knownGoodSnapshotId).not.toBe(t.currentSnapshotId);
        }
        if (decision.kind === "AUTO_ROLLBACK" || decision.kind === "EMERGENCY_ROLLBACK") {
          expect(t.autoRollbacksInLastHour).toBeLessThan(p.maxAutoRollbacksPerHour);
          const sinceLast = t.lastRollbackAt === null ? Infinity : T0 - t.lastRollbackAt.getTime();
          expect(sinceLast).toBeGreaterThanOrEqual(p.cooldownSeconds * 1000);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("is deterministic for the same input", () => {
    fc.assert(
      fc.property(verdictArb, targetArb, policyArb, (verdict, t, p) => {
        const input = { verdict, target: t, policy: p, now };
        expect(decide(structuredClone(input))).toEqual(decide(input));
      }),
    );
  });
});
