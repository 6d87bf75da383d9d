// OTLP benchmarks (`npm run bench -- --only otlp`): spans/s through POST /api/otlp/v1/traces (protobuf,
// 1,000-span batches, the Collector's default encoding) against events/s through the JSON ingest on the same
// server in the same run, taking turns; and the P95 read from an exponential histogram (OTLP metrics) against the
// exact one.
import { exponentialSketchAccuracy, exponentialToSketch } from "@/server/domain/intake/otlp-histograms";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { logNormal, MODELS, seededRandom, simulateRequest, type Random } from "../../scripts/lib/traffic";
import {
  BatchSource,
  chat,
  describeRefused,
  drive,
  forEachDatabase,
  makeKey,
  makeTargets,
  withApp,
  type BodySource,
  type LoadResult,
} from "./ingest";
import type { Figure } from "./lib";

const BATCH = 1_000;
const CLIENTS = 4;
/** Turns each of JSON and OTLP gets, and the seconds measured in each. */
const ROUNDS = 4;
const ROUND_MS = 4_000;

/** Rounds as one result: events over the whole measured time; the median round's p50 and the worst p99. */
function combined(results: readonly LoadResult[]): LoadResult {
  const refused = new Map<number, { count: number; example: string }>();
  for (const result of results) {
    for (const [status, seen] of result.refused) {
      const total = refused.get(status) ?? { count: 0, example: seen.example };
      total.count += seen.count;
      refused.set(status, total);
    }
  }
  const p50s = results.map((result) => result.p50Ms).sort((a, b) => a - b);
  return {
    eventsPerSecond: results.reduce((sum, result) => sum + result.eventsPerSecond, 0) / results.length,
    requests: results.reduce((sum, result) => sum + result.requests, 0),
    p50Ms: p50s[Math.floor(p50s.length / 2)] ?? Number.NaN,
    p99Ms: Math.max(...results.map((result) => result.p99Ms)),
    refused,
  };
}

/**
 * Protobuf ExportTraceServiceRequests of the simulator's chat traffic, as the OpenTelemetry JS SDK records the spans
 * and its OTLP/HTTP exporter encodes them (`ProtobufTraceSerializer`, the serializer of
 * @opentelemetry/exporter-trace-otlp-proto): ids, kind, scope, status and all. Built between turns (`refresh`), since
 * recording 1,000 spans through the SDK costs the client more than it should spend during a measured one.
 */
class OtlpSource implements BodySource {
  readonly contentType = "application/x-protobuf";
  readonly acceptedStatus = 200;
  readonly signed = false;
  #pool: Uint8Array<ArrayBuffer>[] = [];
  #sent = 0;

  constructor(
    private readonly slug: string,
    readonly size: number,
    private readonly random: Random,
  ) {}

  next(): Uint8Array<ArrayBuffer> {
    if (this.#pool.length === 0) this.refresh();
    return this.#pool[this.#sent++ % this.#pool.length] as Uint8Array<ArrayBuffer>;
  }

  refresh(): void {
    const now = Date.now();
    const memory = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "rewind-bench", "rewind.target": this.slug }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    }).getTracer("rewind-bench");
    this.#pool = Array.from({ length: 3 }, () => {
      memory.reset();
      for (let i = 0; i < this.size; i++) {
        const model = this.random() < 0.7 ? MODELS["openai/gpt-4o"] : MODELS["anthropic/claude-sonnet-4"];
        const call = simulateRequest(model, chat, {
          ts: now - 1 - Math.floor((i * 2_000) / this.size),
          timeoutMs: 30_000,
          random: this.random,
        });
        const span = tracer.startSpan(`chat ${call.model}`, {
          kind: SpanKind.CLIENT,
          startTime: call.ts - call.latencyMs,
          attributes: {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": call.provider,
            "gen_ai.request.model": call.model,
            "gen_ai.usage.input_tokens": call.inputTokens,
            "gen_ai.usage.output_tokens": call.outputTokens,
            "gen_ai.cost.total_cost": call.costUsd,
            ...(call.ttftMs !== undefined && { "gen_ai.response.time_to_first_chunk": call.ttftMs / 1000 }),
            ...(!call.ok && { "error.type": "provider_error" }),
          },
        });
        if (!call.ok) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end(call.ts);
      }
      const body = ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans()) ?? new Uint8Array();
      // A copy over its own ArrayBuffer, as fetch's body types want.
      return new Uint8Array(body);
    });
  }
}

export async function otlpThroughput(): Promise<Figure[]> {
  const figures: Figure[] = [];
  await forEachDatabase(async (database) => {
    const random = seededRandom(7);
    const [json, otlp] = await withApp(database, async (app) => {
      const kinds = ["json", "otlp"] as const;
      const loads = await Promise.all(
        kinds.map(async (kind) => {
          const slugs = await makeTargets(database.db, CLIENTS);
          return Promise.all(
            slugs.map(async (slug) => ({
              key: await makeKey(database.db, app, ["ingest"], kind === "json"),
              source: kind === "json" ? new BatchSource(slug, BATCH, random) : new OtlpSource(slug, BATCH, random),
            })),
          );
        }),
      );
      // The two take turns, a few seconds each: on a machine whose other load comes and goes, a ratio of two runs
      // back to back measures that load as much as the routes.
      const rounds: [LoadResult[], LoadResult[]] = [[], []];
      for (let round = 0; round < ROUNDS; round++) {
        for (const [k, kind] of kinds.entries()) {
          for (const { source } of loads[k] ?? []) if (source instanceof OtlpSource) source.refresh();
          const path = kind === "json" ? "/api/v1/ingest" : "/api/otlp/v1/traces";
          const result = await drive(`${app.baseUrl}${path}`, loads[k] ?? [], {
            warmupMs: 1_000,
            measureMs: ROUND_MS,
          });
          console.error(
            `  ${database.name} round ${round + 1} ${path}: ${Math.round(result.eventsPerSecond)} per second`,
          );
          rounds[k]?.push(result);
        }
      }
      return rounds.map(combined) as [LoadResult, LoadResult];
    });
    const name = `OTLP traces vs JSON ingest, ${database.name}, ${BATCH.toLocaleString("en-US")}-item batches, ${CLIENTS} clients`;
    const notes = (r: LoadResult) =>
      `request p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms` +
      (r.refused.size > 0 ? `; refused: ${describeRefused(r)}` : "");
    figures.push(
      {
        benchmark: name,
        metric: "POST /api/v1/ingest (signed JSON)",
        value: json.eventsPerSecond,
        unit: "events/s",
        note: notes(json),
      },
      {
        benchmark: name,
        metric: "POST /api/otlp/v1/traces (protobuf)",
        value: otlp.eventsPerSecond,
        unit: "spans/s",
        note: notes(otlp),
      },
      {
        benchmark: name,
        metric: "OTLP / JSON ingest",
        value: (100 * otlp.eventsPerSecond) / json.eventsPerSecond,
        unit: "%",
        note: "goal ≥ 70%",
      },
    );
  });
  return figures;
}

/** An exponential histogram of `valuesSeconds` at `scale`, as an OTLP SDK would record it (bucket i: (b^i, b^(i+1)]). */
function exponentialHistogram(valuesSeconds: readonly number[], scale: number) {
  const factor = 2 ** scale;
  const indexes = valuesSeconds.map((value) => Math.ceil(Math.log2(value) * factor) - 1);
  const offset = Math.min(...indexes);
  const bucketCounts = new Array<number>(Math.max(...indexes) - offset + 1).fill(0);
  for (const index of indexes) bucketCounts[index - offset] = (bucketCounts[index - offset] ?? 0) + 1;
  return {
    kind: "exponential" as const,
    count: valuesSeconds.length,
    sum: valuesSeconds.reduce((total, value) => total + value, 0),
    scale,
    zeroCount: 0,
    zeroThreshold: 0,
    offset,
    bucketCounts,
    min: Math.min(...valuesSeconds),
    max: Math.max(...valuesSeconds),
  };
}

export function otlpHistogramAccuracy(): Figure[] {
  const random = seededRandom(11);
  // Chat latencies: median 800 ms, a long tail (sigma 0.6), in seconds as gen_ai.client.operation.duration has them.
  const values = Array.from({ length: 50_000 }, () => logNormal(random, 0.8, 0.6));
  const sorted = [...values].sort((a, b) => a - b);
  const exactMs = (sorted[Math.ceil(0.95 * sorted.length) - 1] as number) * 1000;
  return [20, 8, 5, 2].map((scale) => {
    const p95 = exponentialToSketch(exponentialHistogram(values, scale), 1000).quantile(0.95) ?? Number.NaN;
    return {
      benchmark: "P95 from an OTLP exponential histogram (50,000 log-normal latencies, median 800 ms)",
      metric: `scale ${scale}: relative error`,
      value: (100 * Math.abs(p95 - exactMs)) / exactMs,
      unit: "%",
      note: `exact ${exactMs.toFixed(0)} ms, read ${p95.toFixed(0)} ms; stated bound ${(100 * exponentialSketchAccuracy(scale)).toFixed(1)}%`,
    };
  });
}

export async function otlp(): Promise<Figure[]> {
  return [...otlpHistogramAccuracy(), ...(await otlpThroughput())];
}
