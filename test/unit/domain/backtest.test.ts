import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backtest, mergePeriods, type BacktestInput, type BacktestPeriod } from "@/server/domain/backtest";
import { mergeWindow, type MetricBucket } from "@/server/domain/metrics";
import { LatencySketch } from "@/server/domain/sketch";
import { logNormal, policy, rng, T0 } from "./fixtures";

const MINUTE = 60_000;

/** One-minute buckets from T0; minutes for which `degraded` is true answer about 10× slower. */
function series(minutes: number, degraded: (minute: number) => boolean, requestsPerMinute = 100): MetricBucket[] {
  const random = rng(42);
  return Array.from({ length: minutes }, (_, minute) => {
    const median = degraded(minute) ? 10_000 : 800;
    const sigma = degraded(minute) ? 0.3 : 0.5;
    return {
      start: T0 + minute * MINUTE,
      provider: null,
      model: null,
      requestCount: requestsPerMinute,
      errorCount: 0,
      costMicros: requestsPerMinute * 5_000,
      inputTokens: 0,
      outputTokens: 0,
      latency: LatencySketch.of(
        Array.from({ length: requestsPerMinute }, () => logNormal(random, Math.log(median), sigma)),
      ),
      ttft: LatencySketch.empty(),
    };
  });
}

const between = (from: number, to: number) => (minute: number) => minute >= from && minute < to;

function run(buckets: MetricBucket[], overrides: Partial<BacktestInput> = {}) {
  return backtest({
    buckets,
    policy: policy(),
    from: T0,
    to: T0 + buckets.length * MINUTE,
    cycleMs: 10_000,
    initialTarget: {
      currentSnapshotId: "snap-2",
      knownGoodSnapshotId: "snap-1",
      lastRollbackAt: null,
      automationPaused: false,
    },
    ...overrides,
  });
}

const rollbacks = (result: ReturnType<typeof run>) =>
  result.events
    .filter((e) => e.decision.kind !== "NONE" && e.decision.kind !== "NOTIFY")
    .map((e) => [(e.at.getTime() - T0) / 1000, e.decision.kind]);

describe("backtest", () => {
  it("finds a degradation on the third tick after it starts, and proposes one rollback for it", () => {
    const result = run(series(360, between(180, 240)));
    expect(result.ticks).toBe(360 * 6);
    expect(result.firstBreachAt).toEqual(new Date(T0 + 180 * MINUTE + 30_000));
    expect(rollbacks(result)).toEqual([[180 * 60 + 30, "PROPOSE_ROLLBACK"]]);
    expect(result.events[0]?.verdict.explanation).toMatch(
      /^P95 latency [\d.]+ s > 8 s over the last 5 min \(1st consecutive violation/,
    );
    expect(result.events.every((e) => e.at.getTime() > T0 + 180 * MINUTE && e.at.getTime() < T0 + 245 * MINUTE)).toBe(
      true,
    );
  });

  it("clips replayed windows at configuration changes, as the live cycle does", () => {
    // Degraded from minute 60 until a change at minute 90 fixed it (a rollback completing, say).
    const buckets = series(180, between(60, 90));
    const fixedAt = T0 + 90 * MINUTE;
    const after = (result: ReturnType<typeof run>) =>
      result.events.filter((e) => e.at.getTime() > fixedAt && e.verdict.status !== "HEALTHY");
    // Unclipped, the 5-minute windows after the fix still hold the degraded minutes and keep judging them.
    expect(after(run(buckets)).length).toBeGreaterThan(0);
    const clipped = run(buckets, { configChanges: { at: [fixedAt], bucketWidthMs: MINUTE } });
    // Clipped, the first windows after the fix are too short to judge, then only the fixed traffic counts.
    expect(after(clipped).every((e) => e.verdict.status === "INSUFFICIENT_DATA")).toBe(true);
    // Before the change nothing moves: the degradation is found exactly as without clipping.
    expect(clipped.firstBreachAt).toEqual(run(buckets).firstBreachAt);
  });

  it("treats two degradations with a recovery between them as two incidents", () => {
    const result = run(series(300, (m) => between(60, 90)(m) || between(180, 210)(m)));
    expect(rollbacks(result)).toEqual([
      [60 * 60 + 30, "PROPOSE_ROLLBACK"],
      [180 * 60 + 30, "PROPOSE_ROLLBACK"],
    ]);
  });

  it("turns an automatic rollback inside the cooldown into a proposal", () => {
    const result = run(
      series(120, (m) => between(60, 70)(m) || between(80, 90)(m)),
      { policy: policy({ mode: "AUTOMATIC" }) },
    );
    expect(rollbacks(result)).toEqual([
      [60 * 60 + 30, "AUTO_ROLLBACK"],
      [80 * 60 + 30, "PROPOSE_ROLLBACK"],
    ]);
  });

  it("freezes automatic rollbacks past the hourly cap", () => {
    const degraded = (m: number) => [10, 25, 40].some((start) => between(start, start + 5)(m));
    const result = run(series(60, degraded), { policy: policy({ mode: "AUTOMATIC", cooldownSeconds: 0 }) });
    expect(rollbacks(result)).toEqual([
      [10 * 60 + 30, "AUTO_ROLLBACK"],
      [25 * 60 + 30, "AUTO_ROLLBACK"],
    ]);
    const frozen = result.events.find((e) => e.decision.reasons[0]?.startsWith("Automatic rollbacks frozen"));
    expect(frozen?.at).toEqual(new Date(T0 + 40 * MINUTE + 30_000));
    expect(frozen?.decision.escalate).toBe(true);
  });

  it("never breaches on thin traffic", () => {
    const result = run(series(120, between(30, 90), 5));
    expect(result.verdictCounts).toEqual({ INSUFFICIENT_DATA: 720, HEALTHY: 0, VIOLATION: 0, BREACH: 0 });
    expect(result.firstBreachAt).toBeNull();
  });

  it("merges the same window as mergeWindow at every tick, whatever the bucket and tick spacing", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gap: fc.integer({ min: 1, max: 5 }),
            requests: fc.integer({ min: 1, max: 20 }),
            seed: fc.integer(),
          }),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        fc.integer({ min: 1, max: 7 }).map((k) => k * 15_000),
        (specs, cycleMs) => {
          let start = T0;
          const buckets: MetricBucket[] = specs.map(({ gap, requests, seed }) => {
            start += gap * MINUTE;
            const random = rng(seed);
            const values = Array.from({ length: requests }, () => logNormal(random, 7, 1));
            return {
              start,
              provider: null,
              model: null,
              requestCount: requests,
              errorCount: 0,
              costMicros: 0,
              inputTokens: 0,
              outputTokens: 0,
              latency: LatencySketch.of(values),
              ttft: LatencySketch.empty(),
            };
          });
          // Every tick with data is a violation, so every merged window shows up in the events.
          const everything = policy({ minRequests: 1, maxP95LatencyMs: 0.001, emergencyMultiplier: 100 });
          const result = run(buckets, { policy: everything, to: start + 10 * MINUTE, cycleMs });
          for (const { at, verdict } of result.events) {
            const t = at.getTime();
            const expected = mergeWindow(buckets, { from: t - 300_000, to: t });
            expect([verdict.observed.requestCount, verdict.observed.p95Ms]).toEqual([
              expected.requestCount,
              expected.p95Ms,
            ]);
          }
          expect(result.verdictCounts.INSUFFICIENT_DATA + result.events.length).toBe(result.ticks);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("lists every rollback it would start and the periods of violation, whatever the event list holds", () => {
    const result = run(series(300, (m) => between(60, 90)(m) || between(180, 210)(m)));
    expect(result.actions.map((a) => [(a.at.getTime() - T0) / 1000, a.kind])).toEqual(rollbacks(result));
    expect(result.actions[0]?.explanation).toMatch(/Propose a rollback/);
    // Each degradation is one period: from its first violating tick to the tick after its last bad one.
    expect(result.periods.map((p) => [p.level, (p.from.getTime() - T0) / MINUTE])).toEqual([
      ["BREACH", 60 + 1 / 6],
      ["BREACH", 180 + 1 / 6],
    ]);
    const badTicks = result.verdictCounts.VIOLATION + result.verdictCounts.BREACH;
    const covered = result.periods.reduce((sum, p) => sum + (p.to.getTime() - p.from.getTime()) / 10_000, 0);
    expect(covered).toBe(badTicks);
  });

  it("marks a period an emergency when any of its ticks was one, and ends the last period at the range end", () => {
    const result = run(series(30, between(20, 30)), { policy: policy({ emergencyMultiplier: 1.1 }) });
    expect(result.periods).toHaveLength(1);
    expect(result.periods[0]?.level).toBe("EMERGENCY");
    expect(result.periods[0]?.to).toEqual(new Date(T0 + 30 * MINUTE));
    expect(result.actions.map((a) => a.kind)).toEqual(["EMERGENCY_ROLLBACK"]);
  });
});

describe("mergePeriods", () => {
  const period = (from: number, to: number, level: BacktestPeriod["level"]): BacktestPeriod => ({
    from: new Date(from * MINUTE),
    to: new Date(to * MINUTE),
    level,
  });

  it("joins periods closer than the gap and keeps the worst level, leaving its input alone", () => {
    const input = [period(0, 1, "VIOLATION"), period(2, 3, "EMERGENCY"), period(10, 11, "BREACH")];
    expect(mergePeriods(input, 2 * MINUTE)).toEqual([period(0, 3, "EMERGENCY"), period(10, 11, "BREACH")]);
    expect(mergePeriods(input, MINUTE)).toEqual(input);
    expect(input[0]).toEqual(period(0, 1, "VIOLATION"));
  });

  it("leaves at most one period per gap length of the range", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 60 }),
        (gaps, gap) => {
          let at = 0;
          const periods = gaps.map((g) => {
            at += g;
            return period(at, ++at, "VIOLATION");
          });
          const merged = mergePeriods(periods, gap * MINUTE);
          for (let i = 1; i < merged.length; i++) {
            expect(merged[i]!.from.getTime() - merged[i - 1]!.to.getTime()).toBeGreaterThanOrEqual(gap * MINUTE);
          }
          expect(merged.reduce((sum, p) => sum + p.to.getTime() - p.from.getTime(), 0)).toBeGreaterThanOrEqual(
            periods.length * MINUTE,
          );
        },
      ),
    );
  });
});
