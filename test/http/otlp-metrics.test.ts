// OTLP/HTTP metrics over real HTTP, sent by the official OpenTelemetry JS SDK and its metric exporters (protobuf and
// JSON, delta and cumulative temporality, explicit-bucket and exponential histograms, configured in code and by the
// OTEL_* environment): the GenAI metrics land in the target's buckets (requests, errors, P95 within the stated
// accuracy, TTFT, tokens, snapshot versions); cumulative exports become deltas and a repeated export counts once;
// input Rewind cannot take is refused with the documented status and writes nothing.
import { gzipSync } from "node:zlib";
import { diag, DiagLogLevel, type Attributes, type Meter } from "@opentelemetry/api";
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonMetricExporter,
} from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtobufMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AggregationType,
  DataPointType,
  InstrumentType,
  MeterProvider,
  MetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { exponentialSketchAccuracy } from "@/server/domain/intake/otlp-histograms";
import { LatencySketch } from "@/server/domain/sketch";
import { otlpMetricTypes } from "@/server/services/intake/otlp-proto";
import { api, makeKey, makeTarget, testDb, type TestKey } from "./helpers";

const db = testDb();
const PATH = "/api/v1/otlp/v1/metrics";
const url = () => `${inject("baseUrl")}${PATH}`;
let publisher: TestKey;
const warnings: string[] = [];

beforeAll(async () => {
  publisher = await makeKey(db, { scopes: ["snapshots:write"], signed: false });
  // The exporters report a partial success only through OTel's diagnostic log.
  diag.setLogger(
    {
      error: () => undefined,
      warn: (...args: unknown[]) => void warnings.push(args.map(String).join(" ")),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  );
});
afterAll(() => diag.disable());
afterEach(() => void warnings.splice(0));

/** A reader that collects when asked: each `collect()` is one export's worth, as a periodic reader's tick. */
class ManualReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The conventions' advised boundaries (seconds) for the duration and TTFT histograms. */
const DURATION_BOUNDS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TOKEN_BOUNDS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

interface GenAiInstruments {
  record: (call: { latencyMs: number; ttftMs?: number; error?: string; input?: number; output?: number }) => void;
}

/** The instruments a GenAI client instrumentation creates, with the conventions' names, units and attributes. */
function instruments(meter: Meter, attributes: Attributes): GenAiInstruments {
  const duration = meter.createHistogram("gen_ai.client.operation.duration", {
    unit: "s",
    advice: { explicitBucketBoundaries: DURATION_BOUNDS },
  });
  const ttft = meter.createHistogram("gen_ai.client.operation.time_to_first_chunk", {
    unit: "s",
    advice: { explicitBucketBoundaries: DURATION_BOUNDS },
  });
  const tokens = meter.createHistogram("gen_ai.client.token.usage", {
    unit: "{token}",
    advice: { explicitBucketBoundaries: TOKEN_BOUNDS },
  });
  const base = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    ...attributes,
  };
  return {
    record: (call) => {
      duration.record(call.latencyMs / 1000, { ...base, ...(call.error && { "error.type": call.error }) });
      if (call.ttftMs !== undefined) ttft.record(call.ttftMs / 1000, base);
      if (call.input !== undefined) tokens.record(call.input, { ...base, "gen_ai.token.type": "input" });
      if (call.output !== undefined) tokens.record(call.output, { ...base, "gen_ai.token.type": "output" });
    },
  };
}

function setup(
  exporter: PushMetricExporter & { selectAggregation?: (type: InstrumentType) => unknown },
  resource: Attributes,
  histograms: "explicit" | "exponential",
) {
  const reader = new ManualReader({
    aggregationTemporalitySelector: (type) => exporter.selectAggregationTemporality!(type),
    ...(histograms === "exponential" && {
      aggregationSelector: (type: InstrumentType) =>
        type === InstrumentType.HISTOGRAM
          ? { type: AggregationType.EXPONENTIAL_HISTOGRAM as const }
          : { type: AggregationType.DEFAULT as const },
    }),
  });
  const provider = new MeterProvider({ resource: resourceFromAttributes(resource), readers: [reader] });
  const meter = provider.getMeter("rewind-otlp-metrics-test");
  return { reader, provider, instruments: (attributes: Attributes = {}) => instruments(meter, attributes) };
}

async function collect(reader: MetricReader): Promise<ResourceMetrics> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics;
}

function exportMetrics(exporter: PushMetricExporter, metrics: ResourceMetrics) {
  return new Promise<{ code: number; error?: Error & { code?: number; data?: string } }>((resolve) =>
    exporter.export(metrics, resolve),
  );
}

async function stored(targetId: string, row: { snapshotVersion?: number } = {}) {
  const rows = await db.metricBucket.findMany({
    where: { targetId, provider: "", model: "", snapshotVersion: row.snapshotVersion ?? 0 },
    select: {
      requestCount: true,
      errorCount: true,
      inputTokens: true,
      outputTokens: true,
      sketch: true,
      ttftSketch: true,
    },
  });
  const sum = (pick: (r: (typeof rows)[number]) => number | bigint) => rows.reduce((s, r) => s + Number(pick(r)), 0);
  return {
    requests: sum((r) => r.requestCount),
    errors: sum((r) => r.errorCount),
    inputTokens: sum((r) => r.inputTokens),
    outputTokens: sum((r) => r.outputTokens),
    latency: LatencySketch.merge(rows.map((r) => LatencySketch.decode(r.sketch))),
    ttft: LatencySketch.merge(rows.flatMap((r) => (r.ttftSketch ? [LatencySketch.decode(r.ttftSketch)] : []))),
  };
}

/** The value at rank floor(q × (n − 1)), the sketch's definition of a quantile. */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

/** Latencies spread over 200 ms – 3 s, deterministic. */
const latencies = (count: number, offset = 0) =>
  Array.from({ length: count }, (_, i) => 200 + (((i + offset) * 397) % 2_800));

describe("OTLP metrics from the official SDK's exporters", () => {
  it("writes delta explicit-bucket histograms sent as protobuf, configured by the OTEL_* variables", async () => {
    const target = await makeTarget(db);
    const key = await makeKey(db, { scopes: ["ingest"], signed: false });
    const snapshot = await api("POST", `/api/v1/targets/${target.slug}/snapshots`, {
      key: publisher,
      body: { config: { model: "gpt-4o" } },
    });
    const variables = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `${inject("baseUrl")}/api/v1/otlp`,
      OTEL_EXPORTER_OTLP_HEADERS: `X-API-Key=${key.key}`,
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "delta",
    };
    Object.assign(process.env, variables);
    let exporter: ProtobufMetricExporter;
    try {
      exporter = new ProtobufMetricExporter();
    } finally {
      for (const name of Object.keys(variables)) delete process.env[name];
    }
    const {
      reader,
      provider,
      instruments: make,
    } = setup(
      exporter,
      {
        "service.name": "chat-api",
        "rewind.target": target.slug,
        "rewind.snapshot_version": String(snapshot.body.version),
      },
      "explicit",
    );
    const genai = make();
    const first = latencies(40);
    first.forEach((latencyMs, i) =>
      genai.record({
        latencyMs,
        ...(i % 10 === 3 && { error: "timeout" }),
        ...(i < 10 && { ttftMs: 120 }),
        input: 100,
        output: 20,
      }),
    );
    const exported = await collect(reader);
    expect(exported.scopeMetrics[0]?.metrics[0]?.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect((await exportMetrics(exporter, exported)).code).toBe(0);
    expect(warnings).toEqual([]);

    const all = await stored(target.id);
    expect(all).toMatchObject({ requests: 40, errors: 4, inputTokens: 4_000, outputTokens: 800 });
    expect(all.latency.count).toBe(40);
    // Explicit buckets: the P95 lies in the bucket that holds the exact one (the stated bound).
    const exact = exactQuantile(first, 0.95);
    const upper = DURATION_BOUNDS.find((bound) => exact / 1000 <= bound)! * 1000;
    const lower = upper / 2;
    expect(all.latency.quantile(0.95)).toBeGreaterThanOrEqual(lower * 0.99);
    expect(all.latency.quantile(0.95)).toBeLessThanOrEqual(upper * 1.01);
    // TTFT 120 ms, in bucket (80, 160] ms, narrowed to min = max = 120 ms.
    expect(all.ttft.count).toBe(10);
    expect(Math.abs(all.ttft.quantile(0.5)! - 120) / 120).toBeLessThanOrEqual(0.01);
    expect(await stored(target.id, { snapshotVersion: snapshot.body.version })).toMatchObject({
      requests: 40,
      errors: 4,
    });

    // Delta: the next export holds only what was recorded since.
    latencies(5, 40).forEach((latencyMs) => genai.record({ latencyMs }));
    expect((await exportMetrics(exporter, await collect(reader))).code).toBe(0);
    expect(await stored(target.id)).toMatchObject({ requests: 45, errors: 4 });
    await provider.shutdown();
    await exporter.shutdown();
  });

  it("turns cumulative exponential histograms sent as JSON into deltas, and counts a repeated export once", async () => {
    const target = await makeTarget(db);
    const key = await makeKey(db, { scopes: ["ingest"], targets: [target.slug], signed: false });
    const exporter = new JsonMetricExporter({
      url: url(),
      headers: { Authorization: `Bearer ${key.key}` },
      temporalityPreference: AggregationTemporalityPreference.CUMULATIVE,
    });
    const {
      reader,
      provider,
      instruments: make,
    } = setup(exporter, { "service.name": "chat-api", "service.instance.id": `test-${target.slug}` }, "exponential");
    const genai = make();
    const sent: number[] = [];
    const record = (values: number[], error?: string) => {
      values.forEach((latencyMs) => genai.record({ latencyMs, ...(error && { error }), ttftMs: 50, output: 7 }));
      sent.push(...values);
    };

    record(latencies(30));
    const first = await collect(reader);
    expect((await exportMetrics(exporter, first)).code).toBe(0);
    expect(await stored(target.id)).toMatchObject({ requests: 30, errors: 0, outputTokens: 210 });

    record(latencies(50, 30));
    record([900, 1_100], "rate_limited");
    const second = await collect(reader);
    expect((await exportMetrics(exporter, second)).code).toBe(0);
    expect(warnings).toEqual([]);
    const all = await stored(target.id);
    expect(all).toMatchObject({ requests: 82, errors: 2, outputTokens: 574 });
    expect(all.ttft.count).toBe(82);

    // The same cumulative points again (a retry, a Collector sending twice): refused, nothing counted twice.
    expect((await exportMetrics(exporter, second)).code).toBe(0);
    expect(warnings).toHaveLength(1);
    const partial = JSON.parse(warnings[0]!.slice(warnings[0]!.indexOf("{"))) as Record<string, unknown>;
    // OTLP/JSON spells int64 as text. Duration, TTFT and output tokens: 3 streams, each refused once.
    expect(Number(partial.rejectedDataPoints)).toBeGreaterThanOrEqual(3);
    expect(partial.errorMessage).toMatch(/Not newer than the stream's last point/);
    // A later collection with nothing new recorded adds nothing either.
    expect((await exportMetrics(exporter, await collect(reader))).code).toBe(0);
    const after = await stored(target.id);
    expect(after).toMatchObject({ requests: 82, errors: 2, outputTokens: 574 });

    // P95 within the accuracy the docs state for the exponential histogram's scale.
    const histogram = second.scopeMetrics[0]!.metrics.find(
      (metric) => metric.descriptor.name === "gen_ai.client.operation.duration",
    )!;
    expect(histogram.dataPointType).toBe(DataPointType.EXPONENTIAL_HISTOGRAM);
    const scales = histogram.dataPoints.map((point) => (point.value as { scale: number }).scale);
    const accuracy = exponentialSketchAccuracy(Math.min(...scales));
    const exact = exactQuantile(sent, 0.95);
    expect(Math.abs(after.latency.quantile(0.95)! - exact) / exact).toBeLessThanOrEqual(accuracy);
    await provider.shutdown();
    await exporter.shutdown();
  });

  it("refuses points naming an unknown target (partial success) and writes the rest", async () => {
    const target = await makeTarget(db);
    const key = await makeKey(db, { scopes: ["ingest"], signed: false });
    const exporter = new ProtobufMetricExporter({ url: url(), headers: { "X-API-Key": key.key } });
    const { reader, provider, instruments: make } = setup(exporter, { "rewind.target": target.slug }, "explicit");
    make().record({ latencyMs: 300 });
    make({ "rewind.target": "no-such-target" }).record({ latencyMs: 400 });
    expect((await exportMetrics(exporter, await collect(reader))).code).toBe(0);
    expect(warnings).toHaveLength(1);
    const partial = JSON.parse(warnings[0]!.slice(warnings[0]!.indexOf("{"))) as Record<string, unknown>;
    expect(partial).toMatchObject({
      rejectedDataPoints: 1,
      errorMessage: expect.stringMatching(/No such target: no-such-target/),
    });
    expect(await stored(target.id)).toMatchObject({ requests: 1 });
    await provider.shutdown();
    await exporter.shutdown();
  });
});

describe("OTLP metrics the route refuses", () => {
  let key: TestKey;
  let target: Awaited<ReturnType<typeof makeTarget>>;
  beforeAll(async () => {
    target = await makeTarget(db);
    key = await makeKey(db, { scopes: ["ingest"], targets: [target.slug], signed: false });
  });

  async function post(body: Uint8Array | string, headers: Record<string, string>) {
    const response = await fetch(url(), {
      method: "POST",
      headers: { "X-API-Key": key.key, ...headers },
      body: typeof body === "string" ? body : new Uint8Array(body),
    });
    return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
  }
  const json = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, any>;
  const decodeStatus = (bytes: Uint8Array) => otlpMetricTypes().status.toObject(otlpMetricTypes().status.decode(bytes));

  /** A delta duration histogram, its bucket counts as given (count: their sum unless stated). */
  function request(point: { bucketCounts: number[]; count?: number; cumulative?: boolean }) {
    const end = BigInt(Date.now() - 15_000) * 1_000_000n;
    return {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: "service.instance.id", value: { stringValue: `raw-${target.slug}` } }] },
          scopeMetrics: [
            {
              scope: { name: "raw" },
              metrics: [
                {
                  name: "gen_ai.client.operation.duration",
                  unit: "s",
                  histogram: {
                    aggregationTemporality: point.cumulative ? 2 : 1,
                    dataPoints: [
                      {
                        attributes: [{ key: "gen_ai.request.model", value: { stringValue: "gpt-4o" } }],
                        startTimeUnixNano: String(end - 10_000_000_000n),
                        timeUnixNano: String(end),
                        count: String(point.count ?? point.bucketCounts.reduce((a, b) => a + b, 0)),
                        sum: 1,
                        bucketCounts: point.bucketCounts.map(String),
                        explicitBounds: [0.5, 1],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
  }

  it("answers a well-formed request in its own encoding, gzip or not", async () => {
    const reply = await post(gzipSync(JSON.stringify(request({ bucketCounts: [1, 2, 0] }))), {
      "Content-Type": "application/json",
      "Content-Encoding": "gzip",
    });
    expect([reply.status, json(reply.bytes)]).toEqual([200, {}]);
    const { request: type, response } = otlpMetricTypes();
    const protobuf = type.encode(type.fromObject(request({ bucketCounts: [0, 0, 1] }))).finish();
    const binary = await post(protobuf, { "Content-Type": "application/x-protobuf" });
    expect([binary.status, binary.headers.get("content-type")]).toEqual([200, "application/x-protobuf"]);
    expect(response.toObject(response.decode(binary.bytes))).toEqual({});
    expect((await stored(target.id)).requests).toBe(4);
  });

  it("refuses input it cannot take with the documented status, and writes nothing", async () => {
    const before = await stored(target.id);
    const streams = await db.otlpMetricStream.count();
    const { request: type } = otlpMetricTypes();
    const protobuf = type.encode(type.fromObject(request({ bucketCounts: [1, 2, 0], cumulative: true }))).finish();

    const truncated = await post(protobuf.slice(0, protobuf.length - 7), { "Content-Type": "application/x-protobuf" });
    expect(truncated.status).toBe(400);
    expect(decodeStatus(truncated.bytes)).toMatchObject({ code: 3, message: expect.stringMatching(/not a protobuf/) });

    const text = await post("{}", { "Content-Type": "text/plain" });
    expect([text.status, json(text.bytes).message]).toEqual([
      415,
      "Content-Type text/plain is not accepted here: send application/x-protobuf or application/json",
    ]);

    const bomb = await post(gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x20)), {
      "Content-Type": "application/json",
      "Content-Encoding": "gzip",
    });
    expect([bomb.status, json(bomb.bytes).message]).toEqual([413, expect.stringMatching(/inflates past 32 MB/)]);

    const unknown = await post(protobuf, {
      "Content-Type": "application/x-protobuf",
      "X-Rewind-Target": "no-such-target",
    });
    expect([unknown.status, decodeStatus(unknown.bytes).code]).toEqual([403, 7]);
    const wide = await makeKey(db, { scopes: ["ingest"], signed: false });
    const missing = await post(protobuf, {
      "Content-Type": "application/x-protobuf",
      "X-Rewind-Target": "no-such-target",
      "X-API-Key": wide.key,
    });
    expect([missing.status, decodeStatus(missing.bytes)]).toEqual([
      404,
      { code: 5, message: "No such target: no-such-target" },
    ]);

    const inconsistent = await post(JSON.stringify(request({ bucketCounts: [1, 2, 0], count: 5, cumulative: true })), {
      "Content-Type": "application/json",
    });
    expect([inconsistent.status, json(inconsistent.bytes)]).toEqual([
      200,
      {
        partialSuccess: {
          rejectedDataPoints: "1",
          errorMessage:
            "1 data point refused: resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.0: bucketCounts sum to 3, not the point's count 5",
        },
      },
    ]);

    const after = await stored(target.id);
    expect([after.requests, after.latency.count]).toEqual([before.requests, before.latency.count]);
    // Neither the 404 (its stream claim undone) nor the refused point left a stream behind.
    expect(await db.otlpMetricStream.count()).toBe(streams);
  });
});
