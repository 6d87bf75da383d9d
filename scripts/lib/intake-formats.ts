// The simulator's requests in the shapes other senders use (`npm run simulate -- --via otlp|litellm`): an OTLP/HTTP
// JSON export of GenAI client spans, as an OpenTelemetry SDK sends it, and a batch of LiteLLM StandardLoggingPayloads,
// as its generic_api callback posts it. Both carry the serving snapshot's version where docs/INTEGRATIONS.md reads
// it; neither has a place for per-request flags, so flag arms are only reported through /api/v1/ingest.
import { randomBytes } from "node:crypto";
import type { RequestEvent } from "./traffic";

export const VIAS = ["ingest", "otlp", "litellm"] as const;
export type Via = (typeof VIAS)[number];

/** Where each format is posted, below the base URL. */
export const VIA_PATHS: Record<Via, string> = {
  ingest: "/api/v1/ingest",
  otlp: "/api/v1/otlp/v1/traces",
  litellm: "/api/v1/intake/litellm",
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
