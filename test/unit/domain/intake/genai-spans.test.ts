// GenAI spans → metric events: the attributes read (current semantic conventions, older names, LiteLLM's), what makes
// a span a model call, Rewind's target and snapshot attributes, and the OTLP/JSON shape both decoders normalize to.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  exportTraceRequestSchema,
  isModelCallSpan,
  mapGenAiSpans,
  type AttributeValue,
  type OtlpResourceSpans,
  type OtlpSpan,
} from "@/server/domain/intake/genai-spans";
import { screenItems } from "@/server/domain/intake/intake-items";

/** Asymmetric matchers typed as the values they stand for (they are `any`). */
const matching = (pattern: RegExp) => expect.stringMatching(pattern) as string;
const anyNumber = expect.any(Number) as number;

const START = 1_777_636_800_000_000_000n; // 2026-05-01T12:00:00Z in ns
const MS = 1_000_000n;
const NOW = new Date(Number(START / MS) + 60_000);
const SPAN_PATH = "resourceSpans.0.scopeSpans.0.spans.0";

function span(overrides: Partial<OtlpSpan> & { attrs?: Record<string, AttributeValue> } = {}): OtlpSpan {
  const { attrs, ...rest } = overrides;
  return {
    name: "chat gpt-4o",
    startTimeUnixNano: START,
    endTimeUnixNano: START + 840n * MS,
    attributes: new Map(
      Object.entries(
        attrs ?? {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "openai",
          "gen_ai.request.model": "gpt-4o",
          "gen_ai.usage.input_tokens": 812,
          "gen_ai.usage.output_tokens": 164,
        },
      ),
    ),
    events: [],
    statusCode: 0,
    ...rest,
  };
}

function request(spans: OtlpSpan[], resource: Record<string, AttributeValue> = {}): OtlpResourceSpans[] {
  return [{ resourceAttributes: new Map(Object.entries(resource)), scopeSpans: [{ spans }] }];
}

const only = (spans: OtlpSpan[], resource?: Record<string, AttributeValue>) => {
  const batch = mapGenAiSpans(request(spans, resource));
  expect(batch.items).toHaveLength(1);
  return batch.items[0]!;
};

describe("mapGenAiSpans", () => {
  it("maps a chat span: end time, duration, provider, requested model, tokens", () => {
    expect(only([span()])).toEqual({
      path: SPAN_PATH,
      target: null,
      event: {
        ts: Number(START / MS) + 840,
        latencyMs: 840,
        ok: true,
        provider: "openai",
        model: "gpt-4o",
        inputTokens: 812,
        outputTokens: 164,
      },
      sources: {
        ts: `${SPAN_PATH}.endTimeUnixNano`,
        latencyMs: `${SPAN_PATH}.endTimeUnixNano`,
        provider: `${SPAN_PATH}.attributes.gen_ai.provider.name`,
        model: `${SPAN_PATH}.attributes.gen_ai.request.model`,
        inputTokens: `${SPAN_PATH}.attributes.gen_ai.usage.input_tokens`,
        outputTokens: `${SPAN_PATH}.attributes.gen_ai.usage.output_tokens`,
      },
    });
  });

  it("keeps sub-millisecond durations and floors the end to whole milliseconds", () => {
    const item = only([span({ endTimeUnixNano: START + 1_234_567n })]);
    expect(item.event).toMatchObject({ ts: Number(START / MS) + 1, latencyMs: 1.234567 });
  });

  it("reads older senders' names: gen_ai.system, prompt/completion tokens, the response model when no request model", () => {
    const item = only([
      span({
        attrs: {
          "gen_ai.system": "anthropic",
          "gen_ai.response.model": "claude-sonnet-4",
          "gen_ai.usage.prompt_tokens": 10,
          "gen_ai.usage.completion_tokens": 20,
        },
      }),
    ]);
    expect(item.event).toMatchObject({
      provider: "anthropic",
      model: "claude-sonnet-4",
      inputTokens: 10,
      outputTokens: 20,
    });
  });

  it("prefers the requested model and the current provider attribute when both names are present", () => {
    const item = only([
      span({
        attrs: {
          "gen_ai.provider.name": "azure.ai.openai",
          "gen_ai.system": "az.ai.openai",
          "gen_ai.request.model": "gpt-4o",
          "gen_ai.response.model": "gpt-4o-2024-08-06",
        },
      }),
    ]);
    expect(item.event).toMatchObject({ provider: "azure.ai.openai", model: "gpt-4o" });
  });

  it("reads LiteLLM's cost (and its v2 name, and OpenLIT's), numbers or numeric text", () => {
    expect(only([span({ attrs: { "gen_ai.system": "openai", "gen_ai.cost.total_cost": 0.0021 } })]).event.costUsd).toBe(
      0.0021,
    );
    expect(only([span({ attrs: { "gen_ai.system": "openai", "litellm.cost.total": "0.5" } })]).event.costUsd).toBe(0.5);
    expect(only([span({ attrs: { "gen_ai.system": "openai", "gen_ai.usage.cost": 0.25 } })]).event.costUsd).toBe(0.25);
  });

  it("ignores empty text as LiteLLM sends for missing values", () => {
    const item = only([span({ attrs: { "gen_ai.system": "", "gen_ai.request.model": "gpt-4o", "error.type": "" } })]);
    expect(item.event).toEqual({ ts: anyNumber, latencyMs: 840, ok: true, model: "gpt-4o" });
  });

  it("is a failure when the status is ERROR or error.type is set", () => {
    expect(only([span({ statusCode: 2 })]).event.ok).toBe(false);
    expect(only([span({ statusCode: 1 })]).event.ok).toBe(true);
    const timeout = span({ attrs: { "gen_ai.request.model": "gpt-4o", "error.type": "timeout" } });
    expect(only([timeout]).event.ok).toBe(false);
  });

  it("reads time to first token from an attribute in seconds, else from a first-token event", () => {
    const attribute = span({ attrs: { "gen_ai.request.model": "m", "gen_ai.response.time_to_first_chunk": 0.31 } });
    expect(only([attribute])).toMatchObject({
      event: { ttftMs: 310 },
      sources: { ttftMs: `${SPAN_PATH}.attributes.gen_ai.response.time_to_first_chunk` },
    });
    const legacy = span({ attrs: { "gen_ai.request.model": "m", "gen_ai.server.time_to_first_token": 0.2 } });
    expect(only([legacy]).event.ttftMs).toBe(200);
    const event = span({
      events: [
        { name: "gen_ai.content.prompt", timeUnixNano: START, attributes: new Map() },
        { name: "gen_ai.first_token", timeUnixNano: START + 120n * MS, attributes: new Map() },
      ],
    });
    expect(only([event])).toMatchObject({
      event: { ttftMs: 120 },
      sources: { ttftMs: `${SPAN_PATH}.events.1.timeUnixNano` },
    });
  });

  it("leaves out a time to first token past the span's end rather than refusing the call", () => {
    const late = span({ attrs: { "gen_ai.request.model": "m", "gen_ai.response.time_to_first_chunk": 310 } });
    expect(only([late]).event).not.toHaveProperty("ttftMs");
    expect(only([span()]).event).not.toHaveProperty("ttftMs");
  });

  it("ignores and counts spans that are not model calls: no gen_ai.* attribute, agent and tool spans", () => {
    const batch = mapGenAiSpans(
      request([
        span({ attrs: { "http.request.method": "POST" } }),
        span(),
        span({ attrs: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner" } }),
        span({ attrs: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search" } }),
        span({ attrs: { "gen_ai.operation.name": "embeddings", "gen_ai.request.model": "text-embedding-3-small" } }),
      ]),
    );
    expect(batch.ignored).toBe(3);
    expect(batch.items.map((item) => item.path)).toEqual([
      "resourceSpans.0.scopeSpans.0.spans.1",
      "resourceSpans.0.scopeSpans.0.spans.4",
    ]);
  });

  it("takes rewind.target and rewind.snapshot_version from the span, else from the resource (text from env vars too)", () => {
    const fromResource = only([span()], { "rewind.target": "chat", "rewind.snapshot_version": "7" });
    expect(fromResource).toMatchObject({
      target: "chat",
      event: { snapshotVersion: 7 },
      sources: { snapshotVersion: "resourceSpans.0.resource.attributes.rewind.snapshot_version" },
    });
    const attrs = { "gen_ai.request.model": "m", "rewind.target": "embeddings", "rewind.snapshot_version": 3 };
    const fromSpan = only([span({ attrs })], { "rewind.target": "chat", "rewind.snapshot_version": "7" });
    expect(fromSpan).toMatchObject({ target: "embeddings", event: { snapshotVersion: 3 } });
  });

  it("refuses model calls without times or ending before they start, and a target that is not text, by path", () => {
    const batch = mapGenAiSpans(
      request([
        span({ startTimeUnixNano: 0n }),
        span({ endTimeUnixNano: START - 1n }),
        span({ attrs: { "gen_ai.request.model": "m", "rewind.target": 42 } }),
      ]),
    );
    expect(batch.items).toEqual([]);
    expect(batch.refused).toEqual([
      { path: "resourceSpans.0.scopeSpans.0.spans.0.startTimeUnixNano", reason: matching(/start and end/) },
      { path: "resourceSpans.0.scopeSpans.0.spans.1.endTimeUnixNano", reason: "The span ends before it starts" },
      { path: "resourceSpans.0.scopeSpans.0.spans.2.attributes.rewind.target", reason: matching(/slug/) },
    ]);
  });

  it("gives every model call one event whose latency, time and outcome follow from the span alone", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 2n ** 62n }),
        fc.bigInt({ min: 0n, max: 3_600_000n * MS }),
        fc.constantFrom(0, 1, 2),
        fc.option(fc.constantFrom("timeout", "500", ""), { nil: undefined }),
        (start, duration, statusCode, errorType) => {
          const attrs: Record<string, AttributeValue> = { "gen_ai.request.model": "m" };
          if (errorType !== undefined) attrs["error.type"] = errorType;
          const { event } = only([
            span({ startTimeUnixNano: start, endTimeUnixNano: start + duration, statusCode, attrs }),
          ]);
          expect(event.latencyMs).toBe(Number(duration) / 1e6);
          expect(event.ts).toBe(Number((start + duration) / MS));
          expect(event.ok).toBe(statusCode !== 2 && !errorType);
        },
      ),
    );
  });
});

describe("screenItems on mapped spans", () => {
  const bounds = { now: NOW, retentionMs: 30 * 86_400_000, maxFutureSkewMs: 60_000 };

  it("passes valid events and refuses the others at the sender's attribute", () => {
    const batch = mapGenAiSpans(
      request([
        span(),
        span({ attrs: { "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 1.5 } }),
        span({ attrs: { "gen_ai.request.model": "m", "gen_ai.cost.total_cost": 5_000 } }),
        span({ attrs: { "gen_ai.request.model": "m\u0000" } }),
      ]),
    );
    const screened = screenItems(batch.items, bounds);
    expect(screened.accepted.map((item) => item.path)).toEqual(["resourceSpans.0.scopeSpans.0.spans.0"]);
    expect(screened.refused).toEqual([
      {
        path: "resourceSpans.0.scopeSpans.0.spans.1.attributes.gen_ai.usage.input_tokens",
        reason: "Input tokens must be a whole number",
      },
      {
        path: "resourceSpans.0.scopeSpans.0.spans.2.attributes.gen_ai.cost.total_cost",
        reason: "Cost above $1,000 for one request",
      },
      {
        path: "resourceSpans.0.scopeSpans.0.spans.3.attributes.gen_ai.request.model",
        reason: matching(/NUL/),
      },
    ]);
  });

  it("refuses spans outside the retention or more than a minute ahead, at their end time", () => {
    const old = START - 31n * 86_400_000n * MS;
    const ahead = START + 10n * 60_000n * MS;
    const batch = mapGenAiSpans(
      request([span({ startTimeUnixNano: old, endTimeUnixNano: old + MS }), span({ endTimeUnixNano: ahead })]),
    );
    expect(screenItems(batch.items, bounds).refused).toEqual([
      { path: "resourceSpans.0.scopeSpans.0.spans.0.endTimeUnixNano", reason: "Older than the 30-day retention" },
      { path: "resourceSpans.0.scopeSpans.0.spans.1.endTimeUnixNano", reason: "More than 1 minute in the future" },
    ]);
  });

  it("remembers where an accepted item's snapshot version came from", () => {
    const batch = mapGenAiSpans(request([span()], { "rewind.snapshot_version": 4 }));
    expect(screenItems(batch.items, bounds).accepted[0]).toMatchObject({
      event: { snapshotVersion: 4 },
      snapshotVersionSource: "resourceSpans.0.resource.attributes.rewind.snapshot_version",
    });
  });
});

describe("exportTraceRequestSchema (OTLP/JSON and the protobuf decoder's output)", () => {
  it("normalizes camelCase OTLP/JSON: int64 as text or numbers, status codes, AnyValue scalars", () => {
    const parsed = exportTraceRequestSchema.parse({
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "chat" } }] },
          scopeSpans: [
            {
              scope: { name: "openai" },
              spans: [
                {
                  traceId: "5b8efff798038103d269b633813fc60c",
                  spanId: "eee19b7ec3c1b174",
                  name: "chat gpt-4o",
                  kind: 3,
                  startTimeUnixNano: "1777636800000000000",
                  endTimeUnixNano: 1777636800840000000,
                  attributes: [
                    { key: "gen_ai.usage.input_tokens", value: { intValue: "812" } },
                    { key: "gen_ai.cost.total_cost", value: { doubleValue: 0.002 } },
                    { key: "stream", value: { boolValue: true } },
                    {
                      key: "gen_ai.response.finish_reasons",
                      value: { arrayValue: { values: [{ stringValue: "stop" }] } },
                    },
                  ],
                  events: [{ name: "gen_ai.first_token", timeUnixNano: "1777636800100000000" }],
                  status: { code: 2, message: "boom" },
                  unknownField: true,
                },
                { name: "GET /", status: { code: "STATUS_CODE_OK" } },
              ],
            },
          ],
        },
      ],
    });
    const [resource] = parsed;
    const [first, second] = resource!.scopeSpans[0]!.spans;
    expect(resource!.resourceAttributes.get("service.name")).toBe("chat");
    expect(first).toMatchObject({
      startTimeUnixNano: 1_777_636_800_000_000_000n,
      statusCode: 2,
      events: [{ name: "gen_ai.first_token", timeUnixNano: 1_777_636_800_100_000_000n }],
    });
    expect(Object.fromEntries(first!.attributes)).toEqual({
      "gen_ai.usage.input_tokens": 812,
      "gen_ai.cost.total_cost": 0.002,
      stream: true,
      "gen_ai.response.finish_reasons": null,
    });
    expect(second).toMatchObject({ startTimeUnixNano: 0n, statusCode: 1, events: [] });
  });

  it("takes an empty request, and refuses a body of the wrong shape with the path", () => {
    expect(exportTraceRequestSchema.parse({})).toEqual([]);
    const wrong = exportTraceRequestSchema.safeParse({
      resourceSpans: [{ scopeSpans: [{ spans: [{ startTimeUnixNano: "x" }] }] }],
    });
    expect(wrong.success).toBe(false);
    expect(wrong.error?.issues[0]?.path).toEqual([
      "resourceSpans",
      0,
      "scopeSpans",
      0,
      "spans",
      0,
      "startTimeUnixNano",
    ]);
  });

  it("tells model calls from other spans by their attributes, never by the span name", () => {
    expect(isModelCallSpan(span({ name: "chat gpt-4o", attrs: { "http.method": "POST" } }))).toBe(false);
    expect(isModelCallSpan(span({ name: "litellm_request", attrs: { "gen_ai.system": "openai" } }))).toBe(true);
  });
});
