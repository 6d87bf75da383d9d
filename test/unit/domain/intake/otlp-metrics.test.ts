// OTLP metrics as Rewind reads them, without a server: the request's points checked, histograms turned into the
// latency sketch (and how accurate that is on known distributions), cumulative points turned into deltas, and delta
// points folded into windows. The real exporters and the server: test/http/otlp-metrics.test.ts.
import { describe, expect, it } from "vitest";
import { metricWindowSchema } from "@/server/domain/metrics";
import {
  explicitToSketch,
  exponentialSketchAccuracy,
  exponentialToSketch,
} from "@/server/domain/intake/otlp-histograms";
import {
  exportMetricsRequestSchema,
  readMetricPoints,
  type MetricPoint,
  type PointValue,
} from "@/server/domain/intake/otlp-metrics";
import { cumulativeToDelta, FIRST_POINT_MAX_SPAN_NS } from "@/server/domain/intake/otlp-temporality";
import { mapMetricPoints } from "@/server/domain/intake/otlp-windows";

const SECOND_NS = 1_000_000_000n;
const T0 = 1_777_636_800n * SECOND_NS;

/** A deterministic log-normal sample (median `medianMs`), as latencies are. */
function logNormal(count: number, medianMs: number, sigma: number, seed = 7): number[] {
  let state = seed;
  const uniform = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state + 0.5) / 2 ** 31;
  };
  return Array.from({ length: count }, () => {
    const gaussian = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    return medianMs * Math.exp(sigma * gaussian);
  });
}

/** The value at rank floor(q × (n − 1)), the sketch's definition of a quantile. */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

/** An exponential histogram of `values` (seconds) at `scale`, as an SDK builds one. */
function exponentialOf(valuesSeconds: readonly number[], scale: number): Extract<PointValue, { kind: "exponential" }> {
  const counts = new Map<number, number>();
  for (const value of valuesSeconds) {
    const index = Math.ceil(Math.log2(value) * 2 ** scale) - 1;
    counts.set(index, (counts.get(index) ?? 0) + 1);
  }
  const offset = Math.min(...counts.keys());
  const last = Math.max(...counts.keys());
  return {
    kind: "exponential",
    count: valuesSeconds.length,
    sum: valuesSeconds.reduce((a, b) => a + b, 0),
    scale,
    zeroCount: 0,
    zeroThreshold: 0,
    offset,
    bucketCounts: Array.from({ length: last - offset + 1 }, (_, i) => counts.get(offset + i) ?? 0),
    min: Math.min(...valuesSeconds),
    max: Math.max(...valuesSeconds),
  };
}

function explicitOf(valuesSeconds: readonly number[], bounds: number[], minMax = true) {
  const bucketCounts = Array.from({ length: bounds.length + 1 }, () => 0);
  for (const value of valuesSeconds) {
    const index = bounds.findIndex((bound) => value <= bound);
    bucketCounts[index === -1 ? bounds.length : index]! += 1;
  }
  return {
    kind: "explicit" as const,
    count: valuesSeconds.length,
    sum: valuesSeconds.reduce((a, b) => a + b, 0),
    bounds,
    bucketCounts,
    min: minMax ? Math.min(...valuesSeconds) : null,
    max: minMax ? Math.max(...valuesSeconds) : null,
  };
}

/** The GenAI conventions' advised boundaries for gen_ai.client.operation.duration (seconds). */
const DURATION_BOUNDS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

describe("exponential histogram → sketch", () => {
  it.each([
    [20, 800, 0.4],
    [8, 300, 0.8],
    [4, 1200, 0.6],
    [2, 50, 1.2],
    [0, 900, 0.5],
  ])("keeps P50/P95/P99 within the stated accuracy at scale %i", (scale, medianMs, sigma) => {
    const latencies = logNormal(5_000, medianMs, sigma);
    const sketch = exponentialToSketch(
      exponentialOf(
        latencies.map((ms) => ms / 1000),
        scale,
      ),
      1000,
    );
    expect(sketch.count).toBe(latencies.length);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = exactQuantile(latencies, q);
      const error = Math.abs(sketch.quantile(q)! - exact) / exact;
      expect(error).toBeLessThanOrEqual(exponentialSketchAccuracy(scale) + 1e-9);
    }
  });

  it("states the accuracy: the bucket's (b − 1)/(b + 1) compounded with the sketch's 1%", () => {
    expect(exponentialSketchAccuracy(20)).toBeCloseTo(0.01, 5);
    expect(exponentialSketchAccuracy(4)).toBeCloseTo((1 + (2 ** (1 / 16) - 1) / (2 ** (1 / 16) + 1)) * 1.01 - 1, 12);
    expect(exponentialSketchAccuracy(0)).toBeCloseTo((4 / 3) * 1.01 - 1, 12);
  });

  it("puts the zero bucket at 0 and keeps values within min and max", () => {
    const sketch = exponentialToSketch(
      {
        kind: "exponential",
        count: 3,
        sum: 1,
        scale: 0,
        zeroCount: 1,
        zeroThreshold: 0,
        offset: -1,
        bucketCounts: [2],
        min: 0,
        max: 0.6,
      },
      1000,
    );
    // Bucket (0.5, 1] s: 2LU/(L+U) = 667 ms, past max 600 ms, so 600 ms (within the sketch's 1%).
    expect(sketch.quantile(0)).toBe(0);
    expect(Math.abs(sketch.quantile(1)! - 600) / 600).toBeLessThanOrEqual(0.01);
  });
});

describe("explicit-bucket histogram → sketch", () => {
  it("spreads each bucket's values evenly: one value sits at its bucket's midpoint", () => {
    const sketch = explicitToSketch(
      { kind: "explicit", count: 1, sum: null, bounds: [1, 2], bucketCounts: [0, 1, 0], min: null, max: null },
      1000,
    );
    expect(Math.abs(sketch.quantile(0.5)! - 1500) / 1500).toBeLessThanOrEqual(0.01);
  });

  it("keeps P95 within the bucket that holds the exact P95 (the stated bound) on the conventions' boundaries", () => {
    for (const [medianMs, sigma] of [
      [800, 0.4],
      [300, 0.8],
      [2_000, 0.3],
    ] as const) {
      const latencies = logNormal(5_000, medianMs, sigma, 11);
      const sketch = explicitToSketch(
        explicitOf(
          latencies.map((ms) => ms / 1000),
          DURATION_BOUNDS,
        ),
        1000,
      );
      const exact = exactQuantile(latencies, 0.95);
      const index = DURATION_BOUNDS.findIndex((bound) => exact / 1000 <= bound);
      const lower = (DURATION_BOUNDS[index - 1] ?? 0) * 1000;
      const upper = DURATION_BOUNDS[index]! * 1000;
      const estimate = sketch.quantile(0.95)!;
      expect(estimate).toBeGreaterThanOrEqual(lower * 0.99);
      expect(estimate).toBeLessThanOrEqual(upper * 1.01);
    }
  });

  it("ends the open last bucket at max, or at its lower bound without max", () => {
    const value = { kind: "explicit" as const, count: 2, sum: null, bounds: [1], bucketCounts: [0, 2] };
    expect(explicitToSketch({ ...value, min: null, max: 3 }, 1000).quantile(1)).toBeGreaterThan(2000);
    const open = explicitToSketch({ ...value, min: null, max: null }, 1000);
    expect(Math.abs(open.quantile(1)! - 1000) / 1000).toBeLessThanOrEqual(0.01);
  });

  it("shares a large count among at most 100 positions per bucket", () => {
    const sketch = explicitToSketch(
      {
        kind: "explicit",
        count: 1_000_000,
        sum: null,
        bounds: [1],
        bucketCounts: [1_000_000, 0],
        min: null,
        max: null,
      },
      1000,
    );
    expect(sketch.count).toBe(1_000_000);
    expect(Math.abs(sketch.quantile(0.5)! - 500) / 500).toBeLessThan(0.02);
  });
});

const attribute = (key: string, value: string | number) => ({
  key,
  value: typeof value === "string" ? { stringValue: value } : { intValue: String(value) },
});

function request(metrics: unknown[], resource: Record<string, string> = {}) {
  return exportMetricsRequestSchema.parse({
    resourceMetrics: [
      {
        resource: { attributes: Object.entries(resource).map(([key, value]) => attribute(key, value)) },
        scopeMetrics: [{ scope: { name: "genai" }, metrics }],
      },
    ],
  });
}

const chat = [attribute("gen_ai.operation.name", "chat"), attribute("gen_ai.request.model", "gpt-4o")];

function durationMetric(points: unknown[], temporality = 1, unit = "s") {
  return {
    name: "gen_ai.client.operation.duration",
    unit,
    histogram: { aggregationTemporality: temporality, dataPoints: points },
  };
}

function histogramPoint(counts: number[], extra: Record<string, unknown> = {}) {
  return {
    startTimeUnixNano: String(T0),
    timeUnixNano: String(T0 + 10n * SECOND_NS),
    attributes: chat,
    count: String(counts.reduce((a, b) => a + b, 0)),
    sum: 1,
    bucketCounts: counts.map(String),
    explicitBounds: [0.5, 1, 2],
    ...extra,
  };
}

describe("readMetricPoints", () => {
  it("reads the GenAI metrics, ignores the others, and refuses points it cannot read by path", () => {
    const read = readMetricPoints(
      request([
        durationMetric([
          histogramPoint([1, 2, 0, 0]),
          histogramPoint([1, 2, 0, 0], { count: "5" }),
          histogramPoint([1, 2, 0]),
          { ...histogramPoint([1, 0, 0, 0]), flags: 1 },
        ]),
        { name: "http.server.request.duration", histogram: { aggregationTemporality: 1, dataPoints: [{}, {}] } },
        durationMetric([histogramPoint([1, 0, 0, 0])], 1, "min"),
        {
          name: "gen_ai.client.token.usage",
          histogram: {
            aggregationTemporality: 1,
            dataPoints: [
              histogramPoint([1, 0, 0, 0], { attributes: [...chat, attribute("gen_ai.token.type", "input")] }),
              histogramPoint([1, 0, 0, 0]),
              histogramPoint([1, 0, 0, 0], { attributes: [...chat, attribute("gen_ai.token.type", "cached")] }),
            ],
          },
        },
        { name: "gen_ai.client.operation.duration", summary: { dataPoints: [{}] } },
        {
          name: "gen_ai.client.operation.duration",
          exponentialHistogram: {
            aggregationTemporality: 2,
            dataPoints: [
              {
                ...histogramPoint([]),
                count: "3",
                scale: 3,
                positive: { offset: 0, bucketCounts: ["2"] },
                zeroCount: "1",
              },
              { ...histogramPoint([]), count: "1", scale: 3, negative: { offset: 0, bucketCounts: ["1"] } },
              { ...histogramPoint([]), count: "1", startTimeUnixNano: "0", positive: { bucketCounts: ["1"] } },
            ],
          },
        },
      ]),
    );
    expect(read.points.map((point) => [point.path, point.role, point.temporality])).toEqual([
      ["resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.0", "duration", "delta"],
      ["resourceMetrics.0.scopeMetrics.0.metrics.3.histogram.dataPoints.0", "tokens", "delta"],
      ["resourceMetrics.0.scopeMetrics.0.metrics.5.exponentialHistogram.dataPoints.0", "duration", "cumulative"],
    ]);
    const at = (metric: number, kind: string, point: number) =>
      `resourceMetrics.0.scopeMetrics.0.metrics.${metric}.${kind}.dataPoints.${point}`;
    expect(read.refused).toEqual([
      { path: at(0, "histogram", 1), reason: "bucketCounts sum to 3, not the point's count 5" },
      { path: at(0, "histogram", 2), reason: "bucketCounts has 3 buckets for 3 bounds (must be one more)" },
      { path: at(2, "histogram", 0), reason: expect.stringMatching(/^Unit min is not a duration/) as string },
      {
        path: `${at(3, "histogram", 1)}.attributes`,
        reason: "A token usage point needs gen_ai.token.type input or output",
      },
      {
        path: at(4, "summary", 0),
        reason: expect.stringMatching(/as a summary: Rewind reads it as a histogram/) as string,
      },
      { path: at(5, "exponentialHistogram", 1), reason: expect.stringMatching(/^Negative values/) as string },
      {
        path: `${at(5, "exponentialHistogram", 2)}.startTimeUnixNano`,
        reason: "A cumulative point needs its start time",
      },
    ]);
    // The staleness marker, the two points of another metric, the cached tokens.
    expect(read.ignored).toBe(4);
  });

  it("gives points of one stream one identity whatever the attribute order, and other streams another", () => {
    const read = readMetricPoints(
      request(
        [
          durationMetric([
            histogramPoint([1, 0, 0, 0], { attributes: [...chat].reverse() }),
            histogramPoint([1, 0, 0, 0]),
            histogramPoint([1, 0, 0, 0], { attributes: [...chat, attribute("error.type", "timeout")] }),
          ]),
        ],
        { "service.name": "chat" },
      ),
    );
    const [a, b, c] = read.points.map((point) => point.stream);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
});

function point(overrides: Partial<MetricPoint> & { value: PointValue }): MetricPoint {
  return {
    path: "p",
    role: "duration",
    temporality: "cumulative",
    stream: "s",
    startTimeUnixNano: T0,
    timeUnixNano: T0 + 60n * SECOND_NS,
    attributes: new Map(),
    resourceAttributes: new Map(),
    resourcePath: "r",
    unitFactor: 1000,
    ...overrides,
  };
}

const explicit = (bucketCounts: number[], sum = 0): PointValue => ({
  kind: "explicit",
  count: bucketCounts.reduce((a, b) => a + b, 0),
  sum,
  bounds: [1, 2],
  bucketCounts,
  min: null,
  max: null,
});

describe("cumulativeToDelta", () => {
  const first = { startTimeUnixNano: T0, timeUnixNano: T0 + 60n * SECOND_NS, value: explicit([1, 2, 0], 3) };

  it("takes a new stream's first point whole when it spans at most 5 minutes, else keeps it as the baseline", () => {
    expect(cumulativeToDelta(null, first)).toEqual({ kind: "delta", value: first.value });
    const long = { ...first, timeUnixNano: T0 + FIRST_POINT_MAX_SPAN_NS + 1n };
    expect(cumulativeToDelta(null, long)).toEqual({ kind: "baseline" });
  });

  it("subtracts the previous point of the same start time", () => {
    const next = { ...first, timeUnixNano: first.timeUnixNano + 60n * SECOND_NS, value: explicit([4, 2, 1], 10) };
    expect(cumulativeToDelta(first, next)).toEqual({ kind: "delta", value: { ...explicit([3, 0, 1], 7), count: 4 } });
  });

  it("refuses a point not newer than the last one: a duplicate or out of order", () => {
    expect(cumulativeToDelta(first, first)).toMatchObject({ kind: "stale", reason: /already counted/ });
    expect(cumulativeToDelta(first, { ...first, timeUnixNano: first.timeUnixNano - 1n })).toMatchObject({
      kind: "stale",
    });
  });

  it("treats a new start time, or counts that went down, as a reset", () => {
    const restarted = {
      startTimeUnixNano: first.timeUnixNano + SECOND_NS,
      timeUnixNano: first.timeUnixNano + 30n * SECOND_NS,
      value: explicit([1, 0, 0], 0.5),
    };
    expect(cumulativeToDelta(first, restarted)).toEqual({ kind: "delta", value: restarted.value });
    const lower = { ...first, timeUnixNano: first.timeUnixNano + SECOND_NS, value: explicit([0, 1, 0], 1) };
    expect(cumulativeToDelta(first, lower)).toEqual({ kind: "delta", value: lower.value });
  });

  it("subtracts exponential histograms across a scale the SDK lowered", () => {
    const previous = {
      ...first,
      value: {
        kind: "exponential" as const,
        count: 3,
        sum: 3,
        scale: 1,
        zeroCount: 0,
        zeroThreshold: 0,
        offset: 0,
        bucketCounts: [1, 1, 1],
        min: null,
        max: null,
      },
    };
    // Scale 0: previous buckets 0,1 → 0 and 2 → 1.
    const current = {
      ...previous,
      timeUnixNano: first.timeUnixNano + SECOND_NS,
      value: { ...previous.value, count: 8, sum: 10, scale: 0, bucketCounts: [3, 5] },
    };
    expect(cumulativeToDelta(previous, current)).toMatchObject({
      kind: "delta",
      value: { count: 5, sum: 7, scale: 0, offset: 0, bucketCounts: [1, 4] },
    });
  });

  it("subtracts sums", () => {
    const cost = { ...first, value: { kind: "number" as const, value: 1.5 } };
    const next = { ...cost, timeUnixNano: cost.timeUnixNano + SECOND_NS, value: { kind: "number" as const, value: 2 } };
    expect(cumulativeToDelta(cost, next)).toEqual({ kind: "delta", value: { kind: "number", value: 0.5 } });
  });
});

describe("mapMetricPoints", () => {
  const bucketWidthMs = 10_000;
  const end = T0 + 15n * SECOND_NS;
  const attributes = (entries: Record<string, string>) => new Map(Object.entries(entries));
  const model = { "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o" };

  it("folds one bucket's points into a window: requests, errors, latency, TTFT, tokens, cost", () => {
    const batch = mapMetricPoints(
      {
        points: [
          point({ timeUnixNano: end, temporality: "delta", attributes: attributes(model), value: explicit([2, 1, 0]) }),
          point({
            path: "errors",
            timeUnixNano: end,
            temporality: "delta",
            attributes: attributes({ ...model, "error.type": "timeout" }),
            value: explicit([0, 0, 1]),
          }),
          point({ role: "ttft", timeUnixNano: end, attributes: attributes(model), value: explicit([2, 0, 0]) }),
          point({
            role: "tokens",
            unitFactor: 1,
            timeUnixNano: end,
            attributes: attributes({ ...model, "gen_ai.token.type": "input" }),
            value: explicit([4, 0, 0], 1_200),
          }),
          point({
            role: "cost",
            unitFactor: 1,
            timeUnixNano: end,
            attributes: attributes(model),
            value: { kind: "number", value: 0.25 },
          }),
        ],
        refused: [],
        ignored: 2,
      },
      { bucketWidthMs },
    );
    expect(batch.refused).toEqual([]);
    expect(batch.ignored).toBe(2);
    expect(batch.windows).toHaveLength(1);
    const [window] = batch.windows;
    expect(window).toMatchObject({
      path: "p",
      target: null,
      points: 5,
      window: {
        start: Number((T0 + 10n * SECOND_NS) / 1_000_000n),
        provider: "openai",
        model: "gpt-4o",
        requestCount: 4,
        errorCount: 1,
        inputTokens: 1_200,
        outputTokens: 0,
        costUsd: 0.25,
      },
    });
    const parsed = metricWindowSchema.parse(window!.window);
    expect(parsed.sketch.count).toBe(4);
    expect(parsed.ttftSketch?.count).toBe(2);
  });

  it("refuses TTFT values without as many requests in their bucket", () => {
    const batch = mapMetricPoints(
      { points: [point({ role: "ttft", path: "ttft", value: explicit([3, 0, 0]) })], refused: [], ignored: 0 },
      { bucketWidthMs },
    );
    expect(batch.windows).toEqual([]);
    expect(batch.refused).toEqual([
      { path: "ttft", reason: expect.stringMatching(/^3 times to first token but 0/) as string },
    ]);
  });

  it("reads the target and snapshot version from the point, else its resource, into separate windows", () => {
    const batch = mapMetricPoints(
      {
        points: [
          point({
            resourceAttributes: attributes({ "rewind.target": "chat", "rewind.snapshot_version": "3" }),
            value: explicit([1, 0, 0]),
          }),
          point({
            attributes: attributes({ "rewind.target": "search" }),
            resourceAttributes: attributes({ "rewind.target": "chat" }),
            value: explicit([1, 0, 0]),
          }),
        ],
        refused: [],
        ignored: 0,
      },
      { bucketWidthMs },
    );
    expect(
      batch.windows.map(({ target, window, sources }) => [target, window.snapshotVersion, sources.snapshotVersion]),
    ).toEqual([
      ["chat", 3, "r.attributes.rewind.snapshot_version"],
      ["search", undefined, undefined],
    ]);
  });
});
