import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backtest } from "@/server/domain/backtest";
import { bucketStart } from "@/server/domain/metrics";
import { policySchema, type PolicyInput } from "@/server/domain/policy";
import { updatePolicy } from "@/server/services/config/policies";
import { loadBuckets } from "@/server/services/metrics/bucket-reads";
import { metricSeries, recordMetrics } from "@/server/services/metrics/buckets";
import { backtestPolicy, compareBacktests } from "@/server/services/monitoring/backtest";
import { BUCKET_MS, makeTarget, testDb, traffic } from "../helpers";

const db = testDb();
const MINUTE = 60_000;
const T = Date.UTC(2027, 2, 1);
const settings = { bucketWidthMs: BUCKET_MS };

/** Four hours: healthy, a latency incident, an error burst, a slow recovery. */
async function incidentTarget() {
  const target = await makeTarget(db, { currentSnapshotId: "snap-new", knownGoodSnapshotId: "snap-good" });
  const parts = [
    traffic(T, 3_600, { perSecond: 2, latencyMs: 800, errorEvery: 50 }),
    traffic(T + 60 * MINUTE + 25_000, 1_500, { perSecond: 2, latencyMs: 4_000, errorEvery: 40 }),
    traffic(T + 90 * MINUTE, 2_400, { perSecond: 3, latencyMs: 900, errorEvery: 4 }),
    traffic(T + 130 * MINUTE + 5_000, 6_600, { perSecond: 1, latencyMs: 1_500, errorEvery: 15 }),
  ];
  for (const events of parts) {
    await recordMetrics(db, { targetId: target.id, events }, { ...settings, now: new Date(T + 4 * 3_600_000) });
  }
  return target;
}

const policyArbitrary = fc.record({
  evaluationWindowSeconds: fc.constantFrom(60, 120, 300),
  verificationWindowSeconds: fc.constant(600),
  minRequests: fc.constantFrom(10, 100),
  consecutiveViolations: fc.integer({ min: 1, max: 4 }),
  maxP95LatencyMs: fc.constantFrom(1_000, 2_000, 5_000),
  maxErrorRate: fc.constantFrom(0.02, 0.05, 0.2),
  emergencyMultiplier: fc.constantFrom(2, 10),
  burnRate: fc.oneof(
    fc.constant({ enabled: false }),
    fc.record({
      enabled: fc.constant(true),
      longWindowSeconds: fc.constantFrom(600, 3_600),
      shortWindowSeconds: fc.constantFrom(60, 300),
    }),
  ),
}) satisfies fc.Arbitrary<PolicyInput>;

describe("backtests on rollups", () => {
  it("decide what a replay of the buckets one by one decides, for any policy of whole-minute windows", async () => {
    const target = await incidentTarget();
    await fc.assert(
      fc.asyncProperty(
        policyArbitrary,
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 30, max: 240 }),
        async (input, fromMinute, minutes) => {
          const policy = policySchema.parse(input);
          const from = T + fromMinute * MINUTE;
          const to = Math.min(T + 4 * 3_600_000, from + minutes * MINUTE);
          const viaRollups = await backtestPolicy(
            db,
            { targetId: target.id, from: new Date(from), to: new Date(to), policy: input, cycleSeconds: 60 },
            settings,
          );
          // The straightforward replay: every bucket, as the backtest read them before rollups.
          const lookback = Math.max(policy.evaluationWindowSeconds, policy.burnRate.longWindowSeconds) * 1000;
          const buckets = await loadBuckets(db, target.id, { from: new Date(from - lookback), to: new Date(to) });
          const expected = backtest({
            buckets,
            policy,
            from,
            to,
            cycleMs: MINUTE,
            initialTarget: {
              currentSnapshotId: "snap-new",
              knownGoodSnapshotId: "snap-good",
              lastRollbackAt: null,
              automationPaused: false,
            },
            recentVerdictLimit: policy.consecutiveViolations,
            configChanges: { at: [], bucketWidthMs: BUCKET_MS },
          });
          expect(viaRollups.ticks).toBe(expected.ticks);
          expect(viaRollups.verdictCounts).toEqual(expected.verdictCounts);
          expect(viaRollups.decisionCounts).toEqual(expected.decisionCounts);
          expect(viaRollups.firstBreachAt).toEqual(expected.firstBreachAt);
          expect(viaRollups.events.map((event) => event.verdict)).toEqual(
            expected.events.slice(0, viaRollups.events.length).map((event) => event.verdict),
          );
        },
      ),
      { numRuns: 25 },
    );
  });

  it("compare the current policy and a draft, with the chart, as separate reads would", async () => {
    const target = await incidentTarget();
    const strict: PolicyInput = { evaluationWindowSeconds: 120, minRequests: 10, maxP95LatencyMs: 2_000 };
    await updatePolicy(db, { actorId: null, targetId: target.id, policy: strict }, new Date(0));
    const draft: PolicyInput = { ...strict, maxP95LatencyMs: 5_000, maxErrorRate: 0.1 };
    const range = { targetId: target.id, from: new Date(T + 30 * MINUTE), to: new Date(T + 4 * 3_600_000) };
    for (const maxPoints of [400, 1_000]) {
      const comparison = await compareBacktests(db, { ...range, policy: draft, maxPoints }, settings);
      expect(comparison.current).toEqual(await backtestPolicy(db, range, settings));
      expect(comparison.draft).toEqual(await backtestPolicy(db, { ...range, policy: draft }, settings));
      expect(comparison.series).toEqual(await metricSeries(db, { ...range, maxPoints }, settings));
      expect(comparison.current.decisionCounts.PROPOSE_ROLLBACK).toBeGreaterThan(0);
    }
    const alone = await compareBacktests(db, range, settings);
    expect(alone.draft).toBeNull();
    expect(alone.series.points.length).toBeLessThanOrEqual(400);
    expect(bucketStart(alone.series.points[0]?.start.getTime() ?? NaN, alone.series.stepMs)).toBe(
      alone.series.points[0]?.start.getTime(),
    );
  });
});
