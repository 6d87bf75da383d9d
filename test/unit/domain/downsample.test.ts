import { describe, expect, it } from "vitest";
import { chartStepMs, downsampleSeries, type MetricBucket } from "@/server/domain/metrics";
import { LatencySketch } from "@/server/domain/sketch";

const WIDTH = 10_000;

function bucket(start: number, requestCount: number, errorCount: number, latencies: number[]): MetricBucket {
  const latency = LatencySketch.empty();
  for (const ms of latencies) latency.add(ms);
  return {
    start,
    provider: null,
    model: null,
    requestCount,
    errorCount,
    costMicros: requestCount * 100,
    inputTokens: 0,
    outputTokens: 0,
    latency,
    ttft: LatencySketch.empty(),
  };
}

describe("chartStepMs", () => {
  it("keeps whole buckets, whole rollups past a minute, and at most maxPoints points", () => {
    expect(chartStepMs({ from: 0, to: 3_600_000 }, WIDTH, 1_000)).toBe(WIDTH);
    // 6 h at 1,000 points: 21.6 s, so 30 s (3 buckets); a day: 86.4 s, so 2 minutes (whole 1-minute rollups).
    expect(chartStepMs({ from: 0, to: 6 * 3_600_000 }, WIDTH, 1_000)).toBe(30_000);
    expect(chartStepMs({ from: 0, to: 86_400_000 }, WIDTH, 1_000)).toBe(120_000);
    for (const days of [7, 30]) {
      const span = days * 86_400_000;
      const step = chartStepMs({ from: 0, to: span }, WIDTH, 1_000);
      // Whole 10-minute rollups, the fewest that keep within 1,000 points: 20 minutes for 7 days, 50 for 30.
      expect(step % 600_000).toBe(0);
      expect(Math.ceil(span / step)).toBeLessThanOrEqual(1_000);
      expect(Math.ceil(span / (step - 600_000))).toBeGreaterThan(1_000);
    }
    // Buckets that no rollup holds whole (15 minutes) keep whole buckets only.
    expect(chartStepMs({ from: 0, to: 30 * 86_400_000 }, 900_000, 1_000)).toBe(2_700_000);
  });
});

describe("downsampleSeries", () => {
  it("merges buckets per step, keeps empty steps as gaps and sums exactly", () => {
    const buckets = [
      bucket(0, 10, 1, [100]),
      bucket(10_000, 10, 0, [200]),
      bucket(20_000, 20, 4, [300, 900]),
      // 30_000–40_000 has no traffic
      bucket(50_000, 5, 5, [50]),
    ];
    const points = downsampleSeries(buckets, { from: 0, to: 60_000 }, 20_000);
    expect(points.map((point) => point.from)).toEqual([0, 20_000, 40_000]);
    expect(points.map((point) => point.requestCount)).toEqual([20, 20, 5]);
    expect(points[0]?.errorRate).toBeCloseTo(1 / 20);
    expect(points[1]?.errorRate).toBeCloseTo(4 / 20);
    expect(points[2]?.errorRate).toBe(1);
    expect(points[1]?.p95Ms).toBe(LatencySketch.merge([buckets[2]!.latency]).quantile(0.95));
    expect(points[0]?.p95Ms).toBe(LatencySketch.merge([buckets[0]!.latency, buckets[1]!.latency]).quantile(0.95));
    const gaps = downsampleSeries(buckets, { from: 0, to: 60_000 }, 10_000);
    expect(gaps[3]).toMatchObject({
      from: 30_000,
      requestCount: 0,
      errorRate: null,
      p95Ms: null,
      costPerRequestUsd: null,
    });
    const total = (points: { requestCount: number }[]) => points.reduce((sum, point) => sum + point.requestCount, 0);
    expect(total(points)).toBe(total(gaps));
  });

  it("aligns steps to the step width so a refreshed chart keeps its points", () => {
    const buckets = [bucket(40_000, 1, 0, [10]), bucket(60_000, 1, 0, [10])];
    const points = downsampleSeries(buckets, { from: 45_000, to: 80_000 }, 20_000);
    expect(points.map((point) => point.from)).toEqual([40_000, 60_000]);
  });
});
