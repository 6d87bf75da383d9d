import { describe, expect, it } from "vitest";
import { bucketStart, chartStepMs, downsampleSeries, type MetricBucket } from "@/server/domain/metrics";
import { loadStepSeries } from "@/server/services/metrics/chart-series";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { loadBuckets } from "@/server/services/metrics/bucket-reads";
import { BUCKET_MS, makeTarget, testDb, traffic } from "../helpers";

const db = testDb();
const T0 = Date.UTC(2027, 6, 1, 0, 0, 0);
const MINUTE = 60_000;

/** The points a chart draws, with sketches compared by content. */
function points(buckets: readonly MetricBucket[], range: { from: number; to: number }, stepMs: number) {
  return downsampleSeries(buckets, range, stepMs);
}

describe("loadStepSeries", () => {
  it("sums each step in the database to the same chart points as merging the stored buckets", async () => {
    const target = await makeTarget(db);
    const other = await makeTarget(db);
    const settings = { bucketWidthMs: BUCKET_MS, now: new Date(T0) };
    // Three bursts of traffic across two hours, with gaps, errors, breakdown rows and zero latencies.
    const events = [
      ...traffic(T0 + 3 * MINUTE + 7_000, 200, { perSecond: 2, errorEvery: 7, latencyMs: 3_000, provider: "openai" }),
      ...traffic(T0 + 40 * MINUTE, 90, { errorEvery: 3, latencyMs: 9_000, model: "m1" }),
      ...traffic(T0 + 95 * MINUTE + 3_000, 600, { latencyMs: 700 }),
      { ts: T0 + 41 * MINUTE, latencyMs: 0, ok: false },
    ];
    await recordMetrics(db, { targetId: target.id, events }, settings);
    await recordMetrics(db, { targetId: other.id, events: traffic(T0, 3_600) }, settings);

    for (const [from, to, maxPoints] of [
      [T0, T0 + 2 * 3_600_000, 1_000],
      [T0 + 2 * MINUTE + 13_000, T0 + 110 * MINUTE + 1, 60],
      [T0 + 4 * MINUTE, T0 + 41 * MINUTE, 10],
      [T0 - 7 * 86_400_000 + 3 * MINUTE, T0 + 3 * 3_600_000, 1_000],
    ] as const) {
      const range = { from, to };
      const stepMs = chartStepMs(range, BUCKET_MS, maxPoints);
      const firstStep = bucketStart(from, stepMs);
      const stored = await loadBuckets(db, target.id, { from: new Date(firstStep), to: new Date(to) });
      const steps = await loadStepSeries(db, {
        targetIds: [target.id, other.id],
        from: new Date(firstStep),
        to: new Date(to),
        stepMs,
        bucketWidthMs: BUCKET_MS,
      });
      const expected = points(stored, range, stepMs);
      const actual = points(steps.get(target.id) ?? [], range, stepMs);
      expect(actual).toEqual(expected);
      expect(expected.some((point) => point.requestCount > 0)).toBe(true);
      expect(steps.get(other.id)?.length).toBeGreaterThan(0);
    }
  });

  it("counts each step of each listed target, and reads nothing for no targets", async () => {
    const [first, second] = [await makeTarget(db), await makeTarget(db)];
    const settings = { bucketWidthMs: BUCKET_MS, now: new Date(T0) };
    const day = T0 + 86_400_000;
    await recordMetrics(db, { targetId: first.id, events: traffic(day, 120, { errorEvery: 2 }) }, settings);
    await recordMetrics(db, { targetId: second.id, events: traffic(day + MINUTE, 30) }, settings);
    const range = { from: new Date(day), to: new Date(day + 10 * MINUTE) };
    const steps = await loadStepSeries(db, { ...range, targetIds: [first.id, second.id], stepMs: MINUTE, bucketWidthMs: BUCKET_MS });
    const counts = (id: string) =>
      steps.get(id)?.map((step) => [step.start - day, step.requestCount, step.errorCount, step.latency.count]);
    expect(counts(first.id)).toEqual([
      [0, 60, 30, 60],
      [MINUTE, 60, 30, 60],
    ]);
    expect(counts(second.id)).toEqual([[MINUTE, 30, 0, 30]]);
    expect(await loadStepSeries(db, { ...range, targetIds: [], stepMs: MINUTE, bucketWidthMs: BUCKET_MS })).toEqual(new Map());
  });
});
