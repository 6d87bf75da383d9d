// OTLP benchmarks (`npm run bench -- --only otlp`): spans/s through POST /api/v1/otlp/v1/traces (protobuf,
// 1,000-span batches, the Collector's default encoding) against events/s through the JSON ingest on the same
// server in the same run; and the P95 read from an exponential histogram (OTLP metrics) against the exact one.
import { exponentialSketchAccuracy, exponentialToSketch } from "@/server/domain/intake/otlp-histograms";
import { otlpTraceTypes } from "@/server/services/intake/otlp-proto";
import { otlpTraces } from "../../scripts/lib/intake-formats";
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

/** Protobuf ExportTraceServiceRequests of the simulator's chat traffic, rebuilt every 5 s so timestamps stay recent. */
class OtlpSource implements BodySource {
  readonly contentType = "application/x-protobuf";
  readonly acceptedStatus = 200;
  readonly signed = false;
  #pool: Uint8Array<ArrayBuffer>[] = [];
  #builtAt = 0;
  #sent = 0;

  constructor(
    private readonly slug: string,
    readonly size: number,
    private readonly random: Random,
  ) {}

  next(): Uint8Array<ArrayBuffer> {
    const now = Date.now();
    if (now - this.#builtAt > 5_000) this.#rebuild(now);
    return this.#pool[this.#sent++ % this.#pool.length] as Uint8Array<ArrayBuffer>;
  }

  #rebuild(now: number): void {
    this.#builtAt = now;
    const { request } = otlpTraceTypes();
    this.#pool = Array.from({ length: 5 }, () => {
      const events = Array.from({ length: this.size }, (_, i) =>
        simulateRequest(this.random() < 0.7 ? MODELS["openai/gpt-4o"] : MODELS["anthropic/claude-sonnet-4"], chat, {
          ts: now - 1 - Math.floor((i * 2_000) / this.size),
          timeoutMs: 30_000,
          random: this.random,
        }),
      );
      const json = otlpTraces(this.slug, events);
      // OTLP/JSON writes ids in hex; protobuf carries their bytes.
      for (const span of json.resourceSpans[0]?.scopeSpans[0]?.spans ?? []) {
        Object.assign(span, { traceId: Buffer.from(span.traceId, "hex"), spanId: Buffer.from(span.spanId, "hex") });
      }
      // A copy over its own ArrayBuffer, as fetch's body types want.
      return new Uint8Array(request.encode(request.fromObject(json)).finish());
    });
  }
}

export async function otlpThroughput(): Promise<Figure[]> {
  const figures: Figure[] = [];
  await forEachDatabase(async (database) => {
    const random = seededRandom(7);
    const [json, otlp] = await withApp(database, async (app) => {
      const results: LoadResult[] = [];
      for (const kind of ["json", "otlp"] as const) {
        const slugs = await makeTargets(database.db, CLIENTS);
        const load = await Promise.all(
          slugs.map(async (slug) => ({
            key: await makeKey(database.db, app, ["ingest"], kind === "json"),
            source: kind === "json" ? new BatchSource(slug, BATCH, random) : new OtlpSource(slug, BATCH, random),
          })),
        );
        const path = kind === "json" ? "/api/v1/ingest" : "/api/v1/otlp/v1/traces";
        const result = await drive(`${app.baseUrl}${path}`, load);
        console.error(`  ${database.name} ${path}: ${Math.round(result.eventsPerSecond)} per second`);
        results.push(result);
      }
      return results as [LoadResult, LoadResult];
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
        metric: "POST /api/v1/otlp/v1/traces (protobuf)",
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
