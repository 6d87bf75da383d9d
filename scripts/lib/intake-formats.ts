// The simulator's requests in the shapes other senders use (`npm run simulate -- --via otlp|otlp-metrics|litellm`): an
// OTLP/HTTP JSON export of GenAI client spans, as an OpenTelemetry SDK sends it; a protobuf export of the GenAI client
// metrics (delta exponential histograms), as an SDK's periodic reader sends it; and a batch of LiteLLM
// StandardLoggingPayloads, as its generic_api callback posts it. All carry the serving snapshot's version where
// docs/INTEGRATIONS.md reads it; none has a place for per-request flags, so flag arms are only reported through
// /api/v1/ingest.
import { randomBytes } from "node:crypto";
import { otlpMetricTypes } from "../../server/services/intake/otlp-proto";
import type { RequestEvent } from "./traffic";

export const VIAS = ["ingest", "otlp", "otlp-metrics", "litellm"] as const;
export type Via = (typeof VIAS)[number];

/** Where each format is posted, below the base URL. */
export const VIA_PATHS: Record<Via, string> = {
  ingest: "/api/v1/ingest",
  otlp: "/api/otlp/v1/traces",
  "otlp-metrics": "/api/otlp/v1/metrics",
  litellm: "/api/integrations/litellm",
};

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number };

function attribute(key: string, value: string | number, kind: "int" | "double" = "double") {
  const wrapped: AnyValue =
    typeof value === "string"
      ? { stringValue: value }
      : kind === "int"
        ? { intValue: String(Math.round(value)) }
        : { doubleValue: value };
  return { key, value: wrapped };
}

const nanos = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

/** One ExportTraceServiceRequest (OTLP/JSON): a resource for the target, a span per model call. */
export function otlpTraces(slug: string, events: readonly RequestEvent[]) {
  const spans = events.map((event) => ({
    traceId: randomBytes(16).toString("hex"),
    spanId: randomBytes(8).toString("hex"),
    name: `chat ${event.model}`,
    kind: 3, // CLIENT
    startTimeUnixNano: nanos(event.ts - event.latencyMs),
    endTimeUnixNano: nanos(event.ts),
    attributes: [
      attribute("gen_ai.operation.name", "chat"),
      attribute("gen_ai.provider.name", event.provider),
      attribute("gen_ai.request.model", event.model),
      attribute("gen_ai.usage.input_tokens", event.inputTokens, "int"),
      attribute("gen_ai.usage.output_tokens", event.outputTokens, "int"),
      attribute("gen_ai.cost.total_cost", event.costUsd),
      ...(event.ttftMs === undefined ? [] : [attribute("gen_ai.response.time_to_first_chunk", event.ttftMs / 1000)]),
      ...(event.snapshotVersion === undefined
        ? []
        : [attribute("rewind.snapshot_version", event.snapshotVersion, "int")]),
      ...(event.ok ? [] : [attribute("error.type", "provider_error")]),
    ],
    status: event.ok ? { code: 0 } : { code: 2, message: "the provider refused the request" },
  }));
  return {
    resourceSpans: [
      {
        resource: { attributes: [attribute("service.name", "rewind-simulator"), attribute("rewind.target", slug)] },
        scopeSpans: [{ scope: { name: "rewind-simulator" }, spans }],
      },
    ],
  };
}

/** The batch LiteLLM's generic_api callback posts: one StandardLoggingPayload per call (the fields Rewind reads). */
export function liteLlmPayloads(events: readonly RequestEvent[]) {
  return events.map((event) => {
    const startTime = (event.ts - event.latencyMs) / 1000;
    const endTime = event.ts / 1000;
    return {
      id: `chatcmpl-${randomBytes(12).toString("hex")}`,
      call_type: "acompletion",
      status: event.ok ? "success" : "failure",
      startTime,
      endTime,
      stream: event.ttftMs !== undefined,
      // LiteLLM sets it to the end of a call that did not stream.
      completionStartTime: event.ttftMs === undefined ? endTime : startTime + event.ttftMs / 1000,
      model: event.model,
      model_group: event.model,
      custom_llm_provider: event.provider,
      prompt_tokens: event.inputTokens,
      completion_tokens: event.outputTokens,
      total_tokens: event.inputTokens + event.outputTokens,
      response_cost: event.costUsd,
      metadata: {
        requester_metadata:
          event.snapshotVersion === undefined ? {} : { rewind_snapshot_version: event.snapshotVersion },
      },
    };
  });
}

// ---- OTLP metrics ------------------------------------------------------------------------------------------------

/** Rewind's default bucket width (METRIC_BUCKET_SECONDS): each point covers one bucket's calls, ending at its last. */
export const OTLP_METRICS_BUCKET_MS = 10_000;
/** The JS SDK's default for exponential histograms: at most 160 buckets, starting at scale 20. */
const MAX_BUCKETS = 160;
const MAX_SCALE = 20;
const DELTA = 1;

/**
 * An exponential histogram of positive values as the OpenTelemetry SDK records it: bucket i holds (b^i, b^(i+1)] with
 * b = 2^(2^−scale), the scale lowered until the values span at most 160 buckets; zeros in `zeroCount`.
 */
export function exponentialHistogram(values: readonly number[]) {
  const positive = values.filter((value) => value > 0);
  let scale = MAX_SCALE;
  let indexes = positive.map((value) => Math.ceil(Math.log2(value) * 2 ** scale) - 1);
  const span = () => (indexes.length === 0 ? 0 : Math.max(...indexes) - Math.min(...indexes) + 1);
  while (span() > MAX_BUCKETS) {
    // One scale down merges bucket pairs: index >> 1, as the SDK downscales.
    scale--;
    indexes = indexes.map((index) => Math.floor(index / 2));
  }
  const offset = indexes.length === 0 ? 0 : Math.min(...indexes);
  const bucketCounts = new Array<number>(span()).fill(0);
  for (const index of indexes) bucketCounts[index - offset] = (bucketCounts[index - offset] ?? 0) + 1;
  return {
    count: String(values.length),
    sum: values.reduce((total, value) => total + value, 0),
    scale,
    zeroCount: String(values.length - positive.length),
    positive: { offset, bucketCounts: bucketCounts.map(String) },
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

type PointGroup = { attributes: ReturnType<typeof attribute>[]; events: RequestEvent[] };

/**
 * One ExportMetricsServiceRequest (OTLP/JSON's shape, which protobufjs encodes as is) of a target's calls since its
 * last export, delta temporality: per bucket of `bucketMs` and per provider, model, snapshot version (and, for the
 * duration, error.type) one point each of `gen_ai.client.operation.duration` (s), the time to first chunk (s, calls
 * that streamed), `gen_ai.client.token.usage` by `gen_ai.token.type`, and `gen_ai.usage.cost` (USD, a sum). A point
 * spans its bucket's start to its last call, so each lands in the bucket its calls were in.
 */
export function otlpMetrics(slug: string, events: readonly RequestEvent[], bucketMs = OTLP_METRICS_BUCKET_MS) {
  const groups = new Map<string, PointGroup & { start: number; end: number }>();
  for (const event of events) {
    const start = Math.floor(event.ts / bucketMs) * bucketMs;
    const key = JSON.stringify([start, event.provider, event.model, event.snapshotVersion ?? null, event.ok]);
    const group = groups.get(key);
    if (group) group.events.push(event);
    else {
      groups.set(key, {
        start,
        end: start,
        events: [event],
        attributes: [
          attribute("gen_ai.operation.name", "chat"),
          attribute("gen_ai.provider.name", event.provider),
          attribute("gen_ai.request.model", event.model),
          ...(event.snapshotVersion === undefined
            ? []
            : [attribute("rewind.snapshot_version", event.snapshotVersion, "int")]),
        ],
      });
    }
  }
  // Every point of a bucket ends at the bucket's last call.
  const ends = new Map<number, number>();
  for (const { start, events: calls } of groups.values()) {
    ends.set(start, Math.max(ends.get(start) ?? start, ...calls.map((call) => call.ts)));
  }
  const duration: unknown[] = [];
  const ttft: unknown[] = [];
  const tokens: unknown[] = [];
  const cost: unknown[] = [];
  for (const { start, events: calls, attributes } of groups.values()) {
    const times = { startTimeUnixNano: nanos(start), timeUnixNano: nanos(ends.get(start) ?? start) };
    const failed = calls[0]?.ok === false;
    duration.push({
      ...times,
      attributes: [...attributes, ...(failed ? [attribute("error.type", "provider_error")] : [])],
      ...exponentialHistogram(calls.map((call) => call.latencyMs / 1000)),
    });
    const streamed = calls.flatMap((call) => (call.ttftMs === undefined ? [] : [call.ttftMs / 1000]));
    if (streamed.length > 0) ttft.push({ ...times, attributes, ...exponentialHistogram(streamed) });
    for (const type of ["input", "output"] as const) {
      const counts = calls.map((call) => (type === "input" ? call.inputTokens : call.outputTokens));
      tokens.push({
        ...times,
        attributes: [...attributes, attribute("gen_ai.token.type", type)],
        ...exponentialHistogram(counts),
      });
    }
    cost.push({ ...times, attributes, asDouble: calls.reduce((total, call) => total + call.costUsd, 0) });
  }
  const histogram = (name: string, unit: string, dataPoints: unknown[]) => ({
    name,
    unit,
    exponentialHistogram: { aggregationTemporality: DELTA, dataPoints },
  });
  return {
    resourceMetrics: [
      {
        resource: { attributes: [attribute("service.name", "rewind-simulator"), attribute("rewind.target", slug)] },
        scopeMetrics: [
          {
            scope: { name: "rewind-simulator" },
            metrics: [
              histogram("gen_ai.client.operation.duration", "s", duration),
              ...(ttft.length > 0 ? [histogram("gen_ai.client.operation.time_to_first_chunk", "s", ttft)] : []),
              histogram("gen_ai.client.token.usage", "{token}", tokens),
              {
                name: "gen_ai.usage.cost",
                unit: "USD",
                sum: { aggregationTemporality: DELTA, isMonotonic: true, dataPoints: cost },
              },
            ],
          },
        ],
      },
    ],
  };
}

/** The export as the Collector's default encoding sends it: binary protobuf. */
export function encodeOtlpMetrics(request: ReturnType<typeof otlpMetrics>): Uint8Array {
  const type = otlpMetricTypes().request;
  return type.encode(type.fromObject(request)).finish();
}
