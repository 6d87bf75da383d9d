// Target mapping rules over real HTTP: kept as code through GET/PUT /api/v1/intake/rules (signed, replace-all, bad
// input refused by field path with nothing written), and applied to what the official OpenTelemetry exporters send
// with nothing but a service.name on their resource: spans and metric points land on the rule's target.
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { SpanKind } from "@opentelemetry/api";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { api, makeKey, makeTarget, testDb, type TestKey } from "./helpers";

const db = testDb();
const RULES = "/api/v1/intake/rules";
let admin: TestKey;

beforeAll(async () => {
  admin = await makeKey(db, { scopes: ["policies:write", "config:read"] });
});
// Rules are global: leave none behind for the files that run next.
afterAll(async () => {
  expect((await api("PUT", RULES, { key: admin, body: { rules: [] } })).status).toBe(200);
});

const service = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;

async function requests(targetId: string): Promise<number> {
  const rows = await db.metricBucket.findMany({
    where: { targetId, provider: "", model: "", snapshotVersion: 0, flagKey: "" },
    select: { requestCount: true },
  });
  return rows.reduce((sum, row) => sum + row.requestCount, 0);
}

describe("GET/PUT /api/v1/intake/rules", () => {
  it("replaces the rules with a signed PUT, reads them back, and applying them again changes nothing", async () => {
    const [chat, mini] = [await makeTarget(db), await makeTarget(db)];
    const name = service("chat-api");
    const body = {
      rules: [
        { serviceName: name, target: chat.slug },
        { serviceName: name, operationName: "chat", model: "gpt-4o-mini*", target: mini.slug },
      ],
    };
    const put = await api("PUT", RULES, { key: admin, body });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ changed: true });
    // Most specific first: the order they are tried in.
    expect((put.body.rules as { target: string }[]).map((rule) => rule.target)).toEqual([mini.slug, chat.slug]);

    const reader = await makeKey(db, { scopes: ["config:read"], targets: [mini.slug] });
    const read = await api("GET", RULES, { key: reader });
    expect(read.status).toBe(200);
    // A key limited to some targets reads theirs only.
    expect(read.body.rules).toEqual([
      expect.objectContaining({ serviceName: name, operationName: "chat", model: "gpt-4o-mini*", target: mini.slug }),
    ]);
    // The same body again, signed at another second: a replay of the first request would be refused as one.
    const again = await api("PUT", RULES, { key: admin, body, timestamp: Math.floor(Date.now() / 1000) + 1 });
    expect(again.body).toMatchObject({ changed: false });
  });

  it("refuses bad rules by field path (422) and writes nothing; unsigned, wrong scope and limited keys too", async () => {
    const target = await makeTarget(db);
    const before = await api("GET", RULES, { key: admin });
    const bad = await api("PUT", RULES, {
      key: admin,
      body: {
        rules: [
          { serviceName: "", target: target.slug },
          { serviceName: service("x"), model: "*", target: target.slug },
          { serviceName: service("y"), target: "no-such-target" },
        ],
      },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.issues).toMatchObject({
      "rules.0.serviceName": "service.name is required",
      "rules.1.model": expect.stringMatching(/\* alone/) as string,
    });
    const unknown = await api("PUT", RULES, {
      key: admin,
      body: { rules: [{ serviceName: service("z"), target: "no-such-target" }] },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.issues).toEqual({ "rules.0.target": "No such target: no-such-target" });
    expect((await api("PUT", RULES, { key: admin, body: "[]" })).status).toBe(422);
    expect((await api("PUT", RULES, { key: admin, body: "{not json" })).status).toBe(400);

    const valid = { rules: [{ serviceName: service("ok"), target: target.slug }] };
    expect((await api("PUT", RULES, { key: admin, body: valid, signature: false })).status).toBe(401);
    const reader = await makeKey(db, { scopes: ["config:read"] });
    expect((await api("PUT", RULES, { key: reader, body: valid })).status).toBe(403);
    const limited = await makeKey(db, { scopes: ["policies:write"], targets: [target.slug] });
    const refused = await api("PUT", RULES, { key: limited, body: valid });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/use a key for all targets/);

    expect((await api("GET", RULES, { key: admin })).body).toEqual(before.body);
  });
});

describe("rules applied to the official exporters' traffic", () => {
  it("routes spans and metric points whose resource has only a service.name to the rule's target", async () => {
    const [chat, other] = [await makeTarget(db), await makeTarget(db)];
    const name = service("checkout");
    const put = await api("PUT", RULES, {
      key: admin,
      body: { rules: [{ serviceName: name, target: chat.slug }] },
    });
    expect(put.status).toBe(200);
    // A key for every target, no X-Rewind-Target, no rewind.target: the rule decides.
    const sender = await makeKey(db, { scopes: ["ingest"], signed: false });
    const headers = { "X-API-Key": sender.key };
    const resource = resourceFromAttributes({ "service.name": name });

    const memory = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer(
      "t",
    );
    for (let i = 0; i < 5; i++) {
      const end = Date.now() - 15_000 - i * 1_000;
      tracer
        .startSpan("chat gpt-4o", {
          kind: SpanKind.CLIENT,
          startTime: new Date(end - 400),
          attributes: { "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o" },
        })
        .end(new Date(end));
    }
    const traces = new OTLPTraceExporter({ url: `${inject("baseUrl")}/api/otlp/v1/traces`, headers });
    const exported = await new Promise<{ code: number; error?: Error }>((resolve) =>
      traces.export(memory.getFinishedSpans(), resolve),
    );
    await traces.shutdown();
    expect(exported.error).toBeUndefined();
    expect(await requests(chat.id)).toBe(5);

    class Reader extends MetricReader {
      protected onForceFlush(): Promise<void> {
        return Promise.resolve();
      }
      protected onShutdown(): Promise<void> {
        return Promise.resolve();
      }
    }
    const reader = new Reader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
    const meter = new MeterProvider({ resource, readers: [reader] }).getMeter("m");
    const duration = meter.createHistogram("gen_ai.client.operation.duration", { unit: "s" });
    for (let i = 0; i < 3; i++)
      duration.record(0.4, { "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o" });
    const metrics = new OTLPMetricExporter({ url: `${inject("baseUrl")}/api/otlp/v1/metrics`, headers });
    const { resourceMetrics } = await reader.collect();
    const sent = await new Promise<{ code: number; error?: Error }>((resolve) =>
      metrics.export(resourceMetrics, resolve),
    );
    await metrics.shutdown();
    expect(sent.error).toBeUndefined();
    expect(await requests(chat.id)).toBe(8);
    expect(await requests(other.id)).toBe(0);
  });
});
