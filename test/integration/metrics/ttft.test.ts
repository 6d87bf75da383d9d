// Time to first token in storage: the TTFT sketch column beside the latency sketch, written by events and
// windows, merged on the ingest path, NULL where nothing streamed, and read back by every reader (buckets,
// breakdown, summary, chart steps summed in SQL, the overview's sparklines).
import { describe, expect, it } from "vitest";
import { bucketStart, chartStepMs, downsampleSeries } from "@/server/domain/metrics";
import { LatencySketch } from "@/server/domain/sketch";
import { getOverview, SPARKLINE_RANGE_MS } from "@/server/services/dashboard/overview";
import { loadStepSeries } from "@/server/services/metrics/chart-series";
import { metricSeries, metricsSummary, recordMetrics } from "@/server/services/metrics/buckets";
import { loadBreakdown, loadBuckets } from "@/server/services/metrics/bucket-reads";
import { BUCKET_MS, makeTarget, testDb, traffic } from "../helpers";

const db = testDb();
const T0 = Date.UTC(2027, 8, 1, 12, 0, 0);
const MINUTE = 60_000;
const options = { bucketWidthMs: BUCKET_MS, now: new Date(T0) };
const range = { from: new Date(T0 - 3_600_000), to: new Date(T0 + 3_600_000) };

/** Streamed traffic: `traffic` with each request's first token after `share` of its latency. */
function streamed(from: number, seconds: number, share: number, extra: Parameters<typeof traffic>[2] = {}) {
  return traffic(from, seconds, extra).map((event) => ({ ...event, ttftMs: Math.round(event.latencyMs * share) }));
}

function storedTtft(targetId: string) {
  return db.metricBucket.findMany({
    where: { targetId },
    select: { start: true, provider: true, model: true, ttftSketch: true },
    orderBy: [{ start: "asc" }, { provider: "asc" }, { model: "asc" }],
  });
}

describe("recordMetrics with time to first token", () => {
  it("stores a TTFT sketch per bucket, all-traffic and breakdown rows alike, and NULL where nothing streamed", async () => {
    const target = await makeTarget(db);
    const events = [
      // Bucket 0: 10 streamed requests on openai, 10 not streamed without provider.
      ...streamed(T0, 10, 0.5, { latencyMs: 1_000, provider: "openai" }),
      ...traffic(T0, 10, { latencyMs: 1_000 }),
      // Bucket 1: nothing streamed.
      ...traffic(T0 + 10_000, 10),
    ];
    expect(await recordMetrics(db, { targetId: target.id, events }, options)).toMatchObject({ buckets: 3 });

    const [first, second] = await loadBuckets(db, target.id, range);
    expect(first).toMatchObject({ requestCount: 20 });
    expect(first?.latency.count).toBe(20);
    expect(first?.ttft.count).toBe(10);
    // Latencies 100…1,000 ms, first tokens at half: the largest is 500 ms (within the sketch's 1%).
    expect(first?.ttft.quantile(1)).toBeCloseTo(500, -1);
    expect(second?.ttft.count).toBe(0);
    const [openai] = await loadBreakdown(db, target.id, range);
    expect(openai).toMatchObject({ provider: "openai", requestCount: 10 });
    expect(openai?.ttft.count).toBe(10);

    // Buckets without TTFT keep the column NULL rather than an empty sketch.
    expect(
      (await storedTtft(target.id)).map((row) => [row.start.getTime() - T0, row.provider, row.ttftSketch]),
    ).toEqual([
      [0, "", expect.stringContaining('"keys"')],
      [0, "openai", expect.stringContaining('"keys"')],
      [10_000, "", null],
    ]);
  });

  it("merges later events and windows' ttftSketch into stored buckets, with or without a TTFT sketch yet", async () => {
    const target = await makeTarget(db);
    // A bucket that streamed and one that did not.
    await recordMetrics(
      db,
      { targetId: target.id, events: [...streamed(T0, 5, 0.5), ...traffic(T0 + 10_000, 5)] },
      options,
    );
    const ttftSketch = LatencySketch.of([4_000, 4_100, 4_200]).toData();
    const sketch = LatencySketch.of([5_000, 5_100, 5_200]).toData();
    await recordMetrics(
      db,
      {
        targetId: target.id,
        events: streamed(T0 + 10_000, 2, 0.25),
        windows: [
          { start: T0, requestCount: 3, errorCount: 0, costUsd: 0, sketch, ttftSketch, model: "m1" },
          { start: T0 + 10_000, requestCount: 3, errorCount: 0, costUsd: 0, sketch, ttftSketch },
          // A window without ttftSketch leaves the TTFT sketch as it was.
          { start: T0 + 20_000, requestCount: 3, errorCount: 0, costUsd: 0, sketch },
        ],
      },
      options,
    );

    const [first, second, third] = await loadBuckets(db, target.id, range);
    expect([first?.requestCount, first?.latency.count, first?.ttft.count]).toEqual([8, 8, 8]);
    expect(first?.ttft.quantile(1)).toBeCloseTo(4_200, -2);
    expect([second?.requestCount, second?.latency.count, second?.ttft.count]).toEqual([10, 10, 5]);
    expect(second?.ttft.quantile(0)).toBeCloseTo(25, 0);
    expect([third?.requestCount, third?.ttft.count]).toEqual([3, 0]);
    expect(await loadBreakdown(db, target.id, range)).toMatchObject([{ start: T0, model: "m1", requestCount: 3 }]);
    expect((await storedTtft(target.id)).map((row) => row.ttftSketch === null)).toEqual([false, false, false, true]);
  });

  it("reads TTFT P95 into the summary, its breakdown and the chart points", async () => {
    const target = await makeTarget(db);
    await recordMetrics(
      db,
      {
        targetId: target.id,
        events: [
          ...streamed(T0, 60, 0.8, { latencyMs: 2_000, model: "streaming" }),
          ...traffic(T0, 60, { latencyMs: 2_000, model: "batch" }),
          ...traffic(T0 + 2 * MINUTE, 60),
        ],
      },
      options,
    );
    const summary = await metricsSummary(db, {
      targetId: target.id,
      from: new Date(T0),
      to: new Date(T0 + 3 * MINUTE),
    });
    // 60 streamed first tokens at 0.8 × 100…2,000 ms (cycling): P95 ≈ 0.8 × 1,900.
    expect(summary.window.ttftP95Ms).toBeCloseTo(1_520, -2);
    expect(summary.breakdown.map((row) => [row.model, row.ttftP95Ms === null])).toEqual([
      ["batch", true],
      ["streaming", false],
    ]);

    const series = await metricSeries(
      db,
      { targetId: target.id, from: new Date(T0), to: new Date(T0 + 5 * MINUTE), maxPoints: 10 },
      { bucketWidthMs: BUCKET_MS },
    );
    expect(series.stepMs).toBe(30_000);
    expect(series.points.map((point) => [point.requestCount, point.ttftP95Ms === null])).toEqual([
      [60, false],
      [60, false],
      [0, true],
      [0, true],
      [30, true],
      [30, true],
      ...Array.from({ length: 4 }, () => [0, true]),
    ]);
    expect(series.points[0]?.p95Ms).toBeGreaterThan(0);
    expect(series.points[0]?.costPerRequestUsd).toBe(0.001);
  });

  it("sums TTFT sketches per chart step in the database to the same points as merging the stored buckets", async () => {
    const target = await makeTarget(db);
    const events = [
      ...streamed(T0 + 3_000, 300, 0.3, { perSecond: 2, latencyMs: 3_000 }),
      // Four minutes without streaming: whole 2-minute chart steps (read from rollups) with no TTFT.
      ...traffic(T0 + 6 * MINUTE, 240, { latencyMs: 700 }),
      ...streamed(T0 + 10 * MINUTE, 100, 0.9, { latencyMs: 9_000 }),
      { ts: T0 + 12 * MINUTE, latencyMs: 10, ttftMs: 0, ok: true },
    ];
    await recordMetrics(db, { targetId: target.id, events }, options);
    for (const maxPoints of [1_000, 60, 10]) {
      const chartRange = { from: T0, to: T0 + 15 * MINUTE };
      const stepMs = chartStepMs(chartRange, BUCKET_MS, maxPoints);
      const firstStep = new Date(bucketStart(chartRange.from, stepMs));
      const to = new Date(chartRange.to);
      const stored = await loadBuckets(db, target.id, { from: firstStep, to });
      const steps = await loadStepSeries(db, {
        targetIds: [target.id],
        from: firstStep,
        to,
        stepMs,
        bucketWidthMs: BUCKET_MS,
      });
      const expected = downsampleSeries(stored, chartRange, stepMs);
      expect(downsampleSeries(steps.get(target.id) ?? [], chartRange, stepMs)).toEqual(expected);
      expect(expected.some((point) => point.ttftP95Ms !== null)).toBe(true);
      expect(expected.some((point) => point.requestCount > 0 && point.ttftP95Ms === null)).toBe(true);
    }
  });
});

describe("the overview's sparklines", () => {
  it("carry a TTFT P95 series beside error rate and P95, null where nothing streamed", async () => {
    const target = await makeTarget(db);
    const now = T0 + 86_400_000;
    const hourAgo = now - SPARKLINE_RANGE_MS;
    await recordMetrics(
      db,
      {
        targetId: target.id,
        events: [...streamed(hourAgo + 10 * MINUTE, 120, 0.5, { latencyMs: 2_000 }), ...traffic(now - 5 * MINUTE, 60)],
      },
      { bucketWidthMs: BUCKET_MS, now: new Date(now) },
    );
    const overview = await getOverview(db, { now: new Date(now), bucketWidthMs: BUCKET_MS }, { search: target.slug });
    const card = overview.targets.find((candidate) => candidate.id === target.id);
    const { sparklines } = card ?? { sparklines: null };
    expect(sparklines?.ttftP95Ms).toHaveLength(sparklines?.p95Ms.length ?? -1);
    const streamedSteps = sparklines?.ttftP95Ms.filter((value) => value !== null) ?? [];
    expect(streamedSteps.length).toBeGreaterThan(0);
    // Whole milliseconds, like the P95 series; first tokens at half the latencies' ≈ 1,900 ms P95.
    expect(streamedSteps.every((value) => Number.isInteger(value) && value > 800 && value < 1_100)).toBe(true);
    const latencySteps = sparklines?.p95Ms.filter((value) => value !== null) ?? [];
    expect(latencySteps.length).toBeGreaterThan(streamedSteps.length);
  });
});
