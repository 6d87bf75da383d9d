// OTLP/HTTP traces over real HTTP, sent by the official OpenTelemetry JS SDK and its exporters (protobuf and JSON,
// configured in code and through the OTEL_* environment as docs/INTEGRATIONS.md shows): GenAI spans land in the
// target's buckets (requests, errors, P95, cost, tokens, TTFT, snapshot versions), other spans are ignored, spans
// Rewind cannot take are refused through OTLP's partial success and the rest is written; gzip; and every refusal
// the OTLP spec names (400, 401, 403, 413, 415, 429) as a google.rpc.Status in the request's encoding.
import { gzipSync } from "node:zlib";
import { diag, DiagLogLevel, SpanKind, SpanStatusCode, type Attributes, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { detectResources, envDetector, resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { LatencySketch } from "@/server/domain/sketch";
import { otlpTraceTypes } from "@/server/services/intake/otlp-proto";
import { api, makeKey, makeTarget, testDb, type TestKey } from "./helpers";

const db = testDb();
const PATH = "/api/v1/otlp/v1/traces";
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

/** Finished spans as the SDK hands them to an exporter. */
function recordSpans(resource: Attributes | Resource, build: (tracer: Tracer) => void): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: "merge" in resource ? (resource as Resource) : resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  build(provider.getTracer("rewind-otlp-test"));
  return memory.getFinishedSpans();
}

interface Call {
  latencyMs: number;
  endMsAgo?: number;
  model?: string;
  error?: "status" | "error.type";
  ttftSeconds?: number;
  attributes?: Attributes;
}

/** A model call as GenAI instrumentations record it: `{operation} {model}`, a client span, gen_ai.* attributes. */
function chatSpan(tracer: Tracer, call: Call): void {
  const model = call.model ?? "gpt-4o";
  const end = Date.now() - (call.endMsAgo ?? 15_000);
  const span = tracer.startSpan(`chat ${model}`, {
    kind: SpanKind.CLIENT,
    startTime: new Date(end - call.latencyMs),
    attributes: {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": model,
      "gen_ai.response.model": `${model}-2024-08-06`,
      "gen_ai.usage.input_tokens": 100,
      "gen_ai.usage.output_tokens": 20,
      "gen_ai.cost.total_cost": 0.002,
      ...(call.ttftSeconds !== undefined && { "gen_ai.response.time_to_first_chunk": call.ttftSeconds }),
      ...(call.error === "error.type" && { "error.type": "timeout" }),
      ...call.attributes,
    },
  });
  if (call.error === "status") span.setStatus({ code: SpanStatusCode.ERROR, message: "upstream 500" });
  span.end(new Date(end));
}

function exportSpans(exporter: SpanExporter, spans: ReadableSpan[]) {
  return new Promise<{ code: number; error?: Error & { code?: number; data?: string } }>((resolve) =>
    exporter.export(spans, resolve),
  );
}

async function stored(targetId: string, row: { provider?: string; model?: string; snapshotVersion?: number } = {}) {
  const rows = await db.metricBucket.findMany({
    where: {
      targetId,
      provider: row.provider ?? "",
      model: row.model ?? "",
      snapshotVersion: row.snapshotVersion ?? 0,
    },
    select: {
      requestCount: true,
      errorCount: true,
      costMicros: true,
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
    costUsd: sum((r) => r.costMicros) / 1e6,
    inputTokens: sum((r) => r.inputTokens),
    outputTokens: sum((r) => r.outputTokens),
    latency: LatencySketch.merge(rows.map((r) => LatencySketch.decode(r.sketch))),
    ttft: LatencySketch.merge(rows.flatMap((r) => (r.ttftSketch ? [LatencySketch.decode(r.ttftSketch)] : []))),
  };
}

const url = () => `${inject("baseUrl")}${PATH}`;

async function post(body: Uint8Array | string, headers: Record<string, string>) {
  const response = await fetch(url(), {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

const json = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, any>;

function decodeStatus(bytes: Uint8Array) {
  const { status } = otlpTraceTypes();
  return status.toObject(status.decode(bytes));
}

function decodeResponse(bytes: Uint8Array) {
  const { response } = otlpTraceTypes();
  return response.toObject(response.decode(bytes), { longs: Number });
}

/** An OTLP/JSON request as the spec writes it: hex ids, int64 as strings, enums as integers. */
function jsonRequest(spans: { attributes?: Record<string, string | number>; endMsAgo?: number; latencyMs?: number }[]) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "chat-api" } }] },
        scopeSpans: [
          {
            scope: { name: "raw" },
            spans: spans.map((span, i) => {
              const end = BigInt(Date.now() - (span.endMsAgo ?? 15_000)) * 1_000_000n;
              return {
                traceId: "5b8efff798038103d269b633813fc60c",
                spanId: `eee19b7ec3c1b17${i}`,
                name: "chat gpt-4o",
                kind: 3,
                startTimeUnixNano: String(end - BigInt(span.latencyMs ?? 500) * 1_000_000n),
                endTimeUnixNano: String(end),
                attributes: Object.entries({ "gen_ai.request.model": "gpt-4o", ...span.attributes }).map(
                  ([key, value]) => ({
                    key,
                    value: typeof value === "string" ? { stringValue: value } : { intValue: String(value) },
                  }),
                ),
                status: {},
              };
            }),
          },
        ],
      },
    ],
  };
}

describe("OTLP traces from the official SDK's exporters", () => {
  it("writes GenAI spans sent as protobuf: requests, errors, P95, cost, tokens, TTFT, snapshot version; ignores others", async () => {
    const target = await makeTarget(db);
    // A key with a signing secret: the OTLP route takes it unsigned (docs/INTEGRATIONS.md, the trade-off).
    const key = await makeKey(db, { scopes: ["ingest"], targets: [target.slug] });
    const snapshot = await api("POST", `/api/v1/targets/${target.slug}/snapshots`, {
      key: publisher,
      body: { config: { model: "gpt-4o" } },
    });
    expect(snapshot.status).toBe(201);
    const latencies = Array.from({ length: 20 }, (_, i) => 100 * (i + 1));
    const spans = recordSpans(
      { "service.name": "chat-api", "rewind.snapshot_version": String(snapshot.body.version) },
      (tracer) => {
        latencies.forEach((latencyMs, i) =>
          chatSpan(tracer, {
            latencyMs,
            endMsAgo: 10_000 + i * 1_000,
            ...(i === 3 && { error: "status" as const }),
            ...(i === 7 && { error: "error.type" as const }),
            ...(i < 5 && { ttftSeconds: 0.05 }),
          }),
        );
        const http = tracer.startSpan("POST /v1/chat/completions", { attributes: { "http.request.method": "POST" } });
        http.end();
        const agent = tracer.startSpan("invoke_agent planner", {
          attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner" },
        });
        agent.end();
      },
    );
    const exporter = new ProtobufTraceExporter({ url: url(), headers: { Authorization: `Bearer ${key.key}` } });
    const result = await exportSpans(exporter, spans);
    await exporter.shutdown();
    expect(result.error).toBeUndefined();
    expect(result.code).toBe(0);
    expect(warnings).toEqual([]);

    const all = await stored(target.id);
    expect(all).toMatchObject({ requests: 20, errors: 2, inputTokens: 2_000, outputTokens: 400 });
    expect(all.costUsd).toBeCloseTo(0.04, 9);
    expect(all.latency.quantile(0.95)).toBe(LatencySketch.of(latencies).quantile(0.95));
    expect(all.ttft.count).toBe(5);
    expect(Math.abs(all.ttft.quantile(1)! - 50)).toBeLessThan(0.5);
    // The breakdown row is the requested model; the version row holds all 20 attributed requests.
    expect((await stored(target.id, { provider: "openai", model: "gpt-4o" })).requests).toBe(20);
    expect(await stored(target.id, { snapshotVersion: snapshot.body.version })).toMatchObject({
      requests: 20,
      errors: 2,
    });
  });

  it("writes spans sent as OTLP/JSON by the HTTP exporter, to the target each span names", async () => {
    const [chat, embeddings] = [await makeTarget(db), await makeTarget(db)];
    const key = await makeKey(db, { scopes: ["ingest"], signed: false });
    const spans = recordSpans({ "rewind.target": chat.slug }, (tracer) => {
      chatSpan(tracer, { latencyMs: 400 });
      chatSpan(tracer, { latencyMs: 600, error: "status" });
      chatSpan(tracer, {
        latencyMs: 80,
        model: "text-embedding-3-small",
        attributes: { "gen_ai.operation.name": "embeddings", "rewind.target": embeddings.slug },
      });
    });
    const exporter = new JsonTraceExporter({ url: url(), headers: { "X-API-Key": key.key } });
    const result = await exportSpans(exporter, spans);
    await exporter.shutdown();
    expect(result.code).toBe(0);
    expect(await stored(chat.id)).toMatchObject({ requests: 2, errors: 1 });
    expect(await stored(embeddings.id, { provider: "openai", model: "text-embedding-3-small" })).toMatchObject({
      requests: 1,
      errors: 0,
    });
  });

  it("is configured by the OTEL_* variables as the docs show: endpoint, key, gzip, target and snapshot version", async () => {
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
      OTEL_RESOURCE_ATTRIBUTES: `service.name=chat-api,rewind.target=${target.slug},rewind.snapshot_version=${snapshot.body.version}`,
    };
    Object.assign(process.env, variables);
    let exporter: ProtobufTraceExporter;
    let resource: Resource;
    try {
      exporter = new ProtobufTraceExporter();
      resource = detectResources({ detectors: [envDetector] });
    } finally {
      for (const name of Object.keys(variables)) delete process.env[name];
    }
    const spans = recordSpans(resource, (tracer) =>
      [300, 500, 700].forEach((latencyMs) => chatSpan(tracer, { latencyMs })),
    );
    const result = await exportSpans(exporter, spans);
    await exporter.shutdown();
    expect(result.code).toBe(0);
    expect(await stored(target.id)).toMatchObject({ requests: 3, errors: 0, inputTokens: 300 });
    expect((await stored(target.id, { snapshotVersion: snapshot.body.version })).requests).toBe(3);
  });

  it("refuses spans naming an unknown target or a snapshot the target lacks, and writes the rest (partial success)", async () => {
    const target = await makeTarget(db);
    const key = await makeKey(db, { scopes: ["ingest"], targets: [target.slug], signed: false });
    const spans = recordSpans({}, (tracer) => {
      chatSpan(tracer, { latencyMs: 200 });
      chatSpan(tracer, { latencyMs: 250, attributes: { "rewind.target": "no-such-target" } });
      chatSpan(tracer, { latencyMs: 300, attributes: { "rewind.snapshot_version": 99 } });
      chatSpan(tracer, { latencyMs: 350 });
    });
    const exporter = new ProtobufTraceExporter({ url: url(), headers: { "X-API-Key": key.key } });
    const result = await exportSpans(exporter, spans);
    await exporter.shutdown();
    // A partial success is a success for the exporter (it must not retry); it logs what was refused.
    expect(result.code).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Partial Success/);
    const partial = JSON.parse(warnings[0]!.slice(warnings[0]!.indexOf("{"))) as Record<string, unknown>;
    expect(partial).toMatchObject({ rejectedSpans: 2 });
    expect(partial.errorMessage).toMatch(
      /^2 spans refused: resourceSpans\.0\.scopeSpans\.0\.spans\.1: API key .* may not use target no-such-target; .*spans\.2\.attributes\.rewind\.snapshot_version: Snapshot version 99 is not a snapshot/,
    );
    expect(await stored(target.id)).toMatchObject({ requests: 2 });
  });

  it("reports the refusals the real client sees: 401 for a missing key, 403 for a key without ingest", async () => {
    const spans = recordSpans({}, (tracer) => chatSpan(tracer, { latencyMs: 100 }));
    const anonymous = new ProtobufTraceExporter({ url: url() });
    const unauthenticated = await exportSpans(anonymous, spans);
    await anonymous.shutdown();
    expect(unauthenticated.code).toBe(1);
    expect(unauthenticated.error?.code).toBe(401);

    const reader = await makeKey(db, { scopes: ["config:read"], signed: false });
    const forbidden = new ProtobufTraceExporter({ url: url(), headers: { "X-API-Key": reader.key } });
    const refused = await exportSpans(forbidden, spans);
    await forbidden.shutdown();
    expect(refused.error?.code).toBe(403);
  });
});

describe("OTLP traces over raw HTTP", () => {
  let key: TestKey;
  let target: Awaited<ReturnType<typeof makeTarget>>;
  beforeAll(async () => {
    target = await makeTarget(db);
    key = await makeKey(db, { scopes: ["ingest"], targets: [target.slug], signed: false });
  });

  it("decodes gzip bodies of both encodings and answers in the request's encoding", async () => {
    const request = jsonRequest([{ latencyMs: 700 }, { latencyMs: 900, attributes: { "error.type": "rate_limited" } }]);
    const jsonReply = await post(gzipSync(JSON.stringify(request)), {
      "Content-Type": "application/json",
      "Content-Encoding": "gzip",
      "X-API-Key": key.key,
    });
    expect(jsonReply.status).toBe(200);
    expect(jsonReply.headers.get("content-type")).toBe("application/json");
    expect(json(jsonReply.bytes)).toEqual({});
    expect(jsonReply.headers.get("x-rewind-accepted-spans")).toBe("2");

    const { request: type } = otlpTraceTypes();
    const protobuf = type.encode(type.fromObject(jsonRequest([{ latencyMs: 100 }]))).finish();
    const protobufReply = await post(gzipSync(protobuf), {
      "Content-Type": "application/x-protobuf",
      "Content-Encoding": "gzip",
      Authorization: `Bearer ${key.key}`,
    });
    expect(protobufReply.status).toBe(200);
    expect(protobufReply.headers.get("content-type")).toBe("application/x-protobuf");
    expect(decodeResponse(protobufReply.bytes)).toEqual({});
    expect(await stored(target.id)).toMatchObject({ requests: 3, errors: 1 });
  });

  it("names refused spans by path in partialSuccess, and warns when no span was a model call", async () => {
    const old = await post(
      JSON.stringify(
        jsonRequest([
          { latencyMs: 100 },
          { latencyMs: 100, endMsAgo: 40 * 86_400_000 },
          { latencyMs: 100, attributes: { "gen_ai.usage.input_tokens": -1 } },
        ]),
      ),
      { "Content-Type": "application/json", "X-API-Key": key.key },
    );
    expect(old.status).toBe(200);
    expect(json(old.bytes)).toEqual({
      partialSuccess: {
        rejectedSpans: "2",
        errorMessage:
          "2 spans refused: resourceSpans.0.scopeSpans.0.spans.1.endTimeUnixNano: Older than the 30-day retention; " +
          "resourceSpans.0.scopeSpans.0.spans.2.attributes.gen_ai.usage.input_tokens: Input tokens must not be negative",
      },
    });
    const request = jsonRequest([]);
    request.resourceSpans[0]!.scopeSpans[0]!.spans.push({ name: "GET /", status: {} } as never);
    const quiet = await post(JSON.stringify(request), { "Content-Type": "application/json", "X-API-Key": key.key });
    expect(json(quiet.bytes)).toEqual({
      partialSuccess: { rejectedSpans: "0", errorMessage: expect.stringMatching(/No GenAI model call among 1 span/) },
    });
    expect(quiet.headers.get("x-rewind-ignored-spans")).toBe("1");
  });

  it("refuses spans with no target anywhere when the key may use several", async () => {
    const wide = await makeKey(db, { scopes: ["ingest"], signed: false });
    const reply = await post(JSON.stringify(jsonRequest([{ latencyMs: 100 }])), {
      "Content-Type": "application/json",
      "X-API-Key": wide.key,
    });
    expect(json(reply.bytes).partialSuccess).toEqual({
      rejectedSpans: "1",
      errorMessage: expect.stringMatching(
        /spans\.0: No target: set the rewind\.target attribute, send X-Rewind-Target/,
      ),
    });
  });

  it("refuses what it cannot read with the OTLP statuses and a Status body in the request's encoding", async () => {
    const before = (await stored(target.id)).requests;
    const protobufHeaders = { "Content-Type": "application/x-protobuf", "X-API-Key": key.key };
    const jsonHeaders = { "Content-Type": "application/json", "X-API-Key": key.key };

    const noKey = await post("{}", { "Content-Type": "application/json" });
    expect([noKey.status, noKey.headers.get("www-authenticate")]).toEqual([401, 'Bearer realm="rewind"']);
    expect(json(noKey.bytes)).toEqual({ code: 16, message: expect.stringMatching(/Send an API key/) });
    const badKey = await post(new Uint8Array(), { ...protobufHeaders, "X-API-Key": "rwd_nope" });
    expect([badKey.status, decodeStatus(badKey.bytes)]).toEqual([401, { code: 16, message: "Unknown API key" }]);

    const other = await makeTarget(db);
    const forbidden = await post("{}", { ...jsonHeaders, "X-Rewind-Target": other.slug });
    expect([forbidden.status, json(forbidden.bytes).code]).toEqual([403, 7]);

    const text = await post("hello", { "Content-Type": "text/plain", "X-API-Key": key.key });
    expect([text.status, json(text.bytes).message]).toEqual([
      415,
      "Content-Type text/plain is not accepted here: send application/x-protobuf or application/json",
    ]);
    const brotli = await post("{}", { ...jsonHeaders, "Content-Encoding": "br" });
    expect(brotli.status).toBe(415);

    const garbage = await post(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), protobufHeaders);
    expect(garbage.status).toBe(400);
    expect(decodeStatus(garbage.bytes)).toMatchObject({ code: 3, message: expect.stringMatching(/not a protobuf/) });
    const notJson = await post("{", jsonHeaders);
    expect([notJson.status, json(notJson.bytes).message]).toEqual([400, expect.stringMatching(/not valid JSON/)]);
    const wrongShape = await post(
      JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ endTimeUnixNano: "soon" }] }] }] }),
      jsonHeaders,
    );
    expect(json(wrongShape.bytes).message).toMatch(/resourceSpans\.0\.scopeSpans\.0\.spans\.0\.endTimeUnixNano/);
    const notGzip = await post("{}", { ...jsonHeaders, "Content-Encoding": "gzip" });
    expect([notGzip.status, json(notGzip.bytes).message]).toEqual([400, expect.stringMatching(/not valid gzip/)]);

    const tooLarge = await post(new Uint8Array(2 * 1024 * 1024 + 1), protobufHeaders);
    expect([tooLarge.status, decodeStatus(tooLarge.bytes).code]).toEqual([413, 8]);
    const bomb = await post(gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x20)), {
      ...jsonHeaders,
      "Content-Encoding": "gzip",
    });
    expect([bomb.status, json(bomb.bytes).message]).toEqual([413, expect.stringMatching(/inflates past 32 MB/)]);
    expect((await stored(target.id)).requests).toBe(before);
  });

  it("answers 429 with Retry-After past the key's rate limit, which exporters retry", async () => {
    const busy = await makeKey(db, { scopes: ["ingest"], targets: [target.slug], signed: false });
    // A media type not taken: the cheapest request past the limiter (415), so the burst is spent fast.
    const replies = await Promise.all(
      Array.from({ length: 300 }, () => post("{}", { "Content-Type": "text/plain", "X-API-Key": busy.key })),
    );
    expect(replies.filter((reply) => reply.status === 415).length).toBeGreaterThanOrEqual(100);
    const throttled = replies.find((reply) => reply.status === 429);
    expect(throttled).toBeDefined();
    expect(Number(throttled!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(json(throttled!.bytes)).toMatchObject({ code: 8 });
  });
});
