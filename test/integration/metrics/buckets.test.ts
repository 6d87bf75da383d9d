import { describe, expect, it } from "vitest";
import { LatencySketch } from "@/server/domain/sketch";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { loadBreakdown, loadBuckets } from "@/server/services/metrics/bucket-reads";
import { BUCKET_MS, callerFor, makeTarget, makeUser, testDb, traffic } from "../helpers";

const db = testDb();
const T0 = Date.UTC(2026, 2, 2, 12, 0, 0);
const options = { bucketWidthMs: BUCKET_MS, now: new Date(T0) };
const range = { from: new Date(T0 - 3_600_000), to: new Date(T0 + 3_600_000) };

describe("recordMetrics", () => {
  it("takes a batch that spans more than 999 buckets (once over Prisma's SQLite parameter limit)", async () => {
    const target = await makeTarget(db);
    const buckets = 1_200;
    // One event per bucket over the 3 h 20 min before T0, sent twice: created, then merged into.
    const events = Array.from({ length: buckets }, (_, index) => ({
      ts: T0 - (index + 1) * BUCKET_MS,
      latencyMs: 200,
      ok: true,
    }));
    expect(await recordMetrics(db, { targetId: target.id, events }, options)).toMatchObject({ buckets });
    expect(await recordMetrics(db, { targetId: target.id, events }, options)).toMatchObject({ buckets });
    const stored = await loadBuckets(db, target.id, { from: new Date(T0 - buckets * BUCKET_MS), to: new Date(T0) });
    expect(stored).toHaveLength(buckets);
    expect(stored.every((bucket) => bucket.requestCount === 2)).toBe(true);
  });

  it("puts a batch of events into its buckets, with provider/model breakdown rows", async () => {
    const target = await makeTarget(db);
    const events = [
      ...traffic(T0, 20, { errorEvery: 4, provider: "openai", model: "gpt-4o" }),
      ...traffic(T0 + 5_000, 10, { provider: "anthropic" }),
      ...traffic(T0 + 12_000, 1),
    ];
    const result = await recordMetrics(db, { targetId: target.id, events }, options);
    expect(result).toEqual({ events: 31, windows: 0, buckets: 6 });

    const buckets = await loadBuckets(db, target.id, range);
    expect(buckets.map((b) => [b.start - T0, b.requestCount, b.errorCount, b.provider, b.model])).toEqual([
      [0, 15, 3, null, null],
      [10_000, 16, 2, null, null],
    ]);
    expect(buckets[0]?.latency.count).toBe(15);
    expect(buckets[0]?.costMicros).toBe(15_000);
    expect(buckets[1]?.inputTokens).toBe(160);
    const breakdown = await loadBreakdown(db, target.id, range);
    expect(breakdown.map((b) => [b.start - T0, b.provider, b.model, b.requestCount])).toEqual([
      [0, "anthropic", null, 5],
      [0, "openai", "gpt-4o", 10],
      [10_000, "anthropic", null, 5],
      [10_000, "openai", "gpt-4o", 10],
    ]);
  });

  it("merges later batches and pre-aggregated windows into the same buckets", async () => {
    const target = await makeTarget(db);
    await recordMetrics(db, { targetId: target.id, events: traffic(T0, 10, { latencyMs: 500 }) }, options);
    const sketch = LatencySketch.of([9_000, 9_100, 9_200]).toData();
    await recordMetrics(
      db,
      {
        targetId: target.id,
        events: traffic(T0 + 1_000, 2),
        windows: [
          { start: T0, requestCount: 3, errorCount: 1, costUsd: 0.5, sketch, provider: "openai" },
          { start: new Date(T0 + 10_000).toISOString(), requestCount: 3, errorCount: 3, costUsd: 0, sketch },
        ],
      },
      options,
    );
    const [first, second] = await loadBuckets(db, target.id, range);
    expect(first).toMatchObject({ requestCount: 15, errorCount: 1, costMicros: 512_000, inputTokens: 120 });
    expect(first?.latency.count).toBe(15);
    expect(first?.latency.quantile(1)).toBeCloseTo(9_200, -2);
    expect(second).toMatchObject({ start: T0 + 10_000, requestCount: 3, errorCount: 3 });
    expect(await loadBreakdown(db, target.id, range)).toMatchObject([
      { start: T0, provider: "openai", model: null, requestCount: 3, costMicros: 500_000 },
    ]);
  });

  it("loses nothing when ten clients merge into the same bucket at once", async () => {
    const target = await makeTarget(db);
    const clients = Array.from({ length: 10 }, () => testDb());
    await Promise.all(
      clients.map((client, i) =>
        recordMetrics(
          client,
          { targetId: target.id, events: traffic(T0, 5, { perSecond: i + 1, errorEvery: 5, provider: `p${i % 2}` }) },
          options,
        ),
      ),
    );
    const [bucket] = await loadBuckets(db, target.id, range);
    const expected = Array.from({ length: 10 }, (_, i) => 5 * (i + 1));
    expect(bucket?.requestCount).toBe(expected.reduce((a, b) => a + b, 0));
    expect(bucket?.errorCount).toBe(expected.reduce((a, n) => a + Math.ceil(n / 5), 0));
    expect(bucket?.latency.count).toBe(bucket?.requestCount);
    const breakdown = await loadBreakdown(db, target.id, range);
    expect(breakdown.map((b) => [b.provider, b.requestCount])).toEqual([
      ["p0", 5 * (1 + 3 + 5 + 7 + 9)],
      ["p1", 5 * (2 + 4 + 6 + 8 + 10)],
    ]);
  });

  it("writes nothing from a batch with one invalid event or window, and says what is wrong", async () => {
    const target = await makeTarget(db);
    const events = traffic(T0, 5);
    await expect(
      recordMetrics(db, { targetId: target.id, events: [...events, { ts: T0, latencyMs: -1, ok: true }] }, options),
    ).rejects.toMatchObject({
      code: "VALIDATION",
      details: { issues: { "events.5.latencyMs": "Latency must not be negative" } },
    });
    const sketch = LatencySketch.of([1]).toData();
    await expect(
      recordMetrics(
        db,
        {
          targetId: target.id,
          events,
          windows: [{ start: T0 + 5, requestCount: 1, errorCount: 0, costUsd: 0, sketch }],
        },
        options,
      ),
    ).rejects.toMatchObject({
      code: "VALIDATION",
      details: { issues: { "windows.0.start": expect.stringContaining("10 s") as unknown } },
    });
    await expect(
      recordMetrics(
        db,
        { targetId: target.id, windows: [{ start: T0, requestCount: 1, errorCount: 2, costUsd: 0, sketch: "!!" }] },
        options,
      ),
    ).rejects.toMatchObject({
      details: {
        issues: {
          "windows.0.sketch": "Sketch must be an object with keys, counts and zeroCount (see docs/METRICS.md)",
        },
      },
    });
    await expect(
      recordMetrics(
        db,
        {
          targetId: target.id,
          windows: [
            { start: T0, requestCount: 2, errorCount: 0, costUsd: 0, sketch: { keys: [9, 3], counts: [1, 1] } },
          ],
        },
        options,
      ),
    ).rejects.toMatchObject({ details: { issues: { "windows.0.sketch.keys": "keys must be strictly ascending" } } });
    await expect(recordMetrics(db, { targetId: "missing", events }, options)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await db.metricBucket.count({ where: { targetId: target.id } })).toBe(0);
  });
});

describe("metrics router", () => {
  it("summarises a range for viewers, in total and per provider", async () => {
    const target = await makeTarget(db);
    await recordMetrics(
      db,
      { targetId: target.id, events: traffic(T0, 60, { errorEvery: 10, provider: "openai" }) },
      options,
    );
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    const input = { targetId: target.id, from: new Date(T0), to: new Date(T0 + 60_000) };
    const summary = await viewer.metrics.summary(input);
    expect(summary.window).toMatchObject({ requestCount: 60, errorCount: 6, errorRate: 0.1 });
    expect(summary.breakdown).toMatchObject([{ provider: "openai", model: null, requestCount: 60 }]);
    const series = await viewer.metrics.series(input);
    expect(series.points.map((point) => point.requestCount)).toEqual([10, 10, 10, 10, 10, 10]);
    const week = await viewer.metrics.series({ ...input, to: new Date(T0 + 7 * 86_400_000) });
    expect(week.points.length).toBeLessThanOrEqual(1_000);
    // Whole 10-minute rollups per point: 20 minutes for a week, 50 for 30 days (the longest range).
    expect(week.stepMs).toBe(20 * 60_000);
    expect(week.points.reduce((total, point) => total + point.requestCount, 0)).toBe(60);
    const month = await viewer.metrics.series({ ...input, to: new Date(T0 + 30 * 86_400_000) });
    expect(month.stepMs).toBe(50 * 60_000);
    expect(month.points.reduce((total, point) => total + point.requestCount, 0)).toBe(60);
    await expect(viewer.metrics.series({ ...input, to: new Date(T0 + 31 * 86_400_000) })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});
