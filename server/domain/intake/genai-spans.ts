// OpenTelemetry traces as Rewind reads them: the OTLP trace data model (in the camelCase shape of OTLP/JSON; the
// protobuf decoder's messages are read into the same normalized spans by server/services/intake/otlp-traces.ts), and
// GenAI spans (semantic conventions `gen_ai.*`) mapped to metric events. Mapping rules: docs/INTEGRATIONS.md.
import { z } from "zod";
import type { MetricEvent } from "../metrics";
import { wholeNumberOf, type IntakeItem, type MappedBatch, type RefusedItem } from "./intake-items";
import type { ServiceRuleLookup, TargetRuleSet } from "./target-rules";

/** Scalars as sent; arrays, maps and bytes read as null: none of the attributes Rewind maps is one. */
export type AttributeValue = string | number | boolean | null;
export type Attributes = ReadonlyMap<string, AttributeValue>;

export interface OtlpSpanEvent {
  name: string;
  /** 0 when unset; a reader may leave it 0 for events other than `FIRST_TOKEN_EVENTS`, whose time alone is read. */
  timeUnixNano: bigint;
  /** Not read by the mapping. */
  attributes?: Attributes;
}

export interface OtlpSpan {
  name: string;
  /** 0 when the sender left it unset. */
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** All of the span's attributes, or (a reader that skips the rest) at least `SPAN_ATTRIBUTES_READ`. */
  attributes: Attributes;
  /** Whether any attribute's name starts with `gen_ai.`; unset: found by looking at `attributes`. */
  genAi?: boolean;
  events: OtlpSpanEvent[];
  /** 0 UNSET, 1 OK, 2 ERROR. */
  statusCode: number;
}

export interface OtlpResourceSpans {
  resourceAttributes: Attributes;
  scopeSpans: { spans: OtlpSpan[] }[];
}

/** Status.StatusCode ERROR in the OTLP trace proto. */
export const STATUS_CODE_ERROR = 2;

export function anyValueOf(value: unknown): AttributeValue {
  if (typeof value !== "object" || value === null) return null;
  const { stringValue, boolValue, intValue, doubleValue } = value as Record<string, unknown>;
  if (typeof stringValue === "string") return stringValue;
  if (typeof boolValue === "boolean") return boolValue;
  // int64 is a decimal string in OTLP/JSON (and in what the protobuf decoder returns); some senders send numbers.
  if (typeof intValue === "number") return intValue;
  if (typeof intValue === "string" && /^-?\d+$/.test(intValue)) return Number(intValue);
  if (typeof doubleValue === "number") return doubleValue;
  if (typeof doubleValue === "string" && doubleValue.trim() !== "" && !Number.isNaN(Number(doubleValue))) {
    return Number(doubleValue);
  }
  return null;
}

/** fixed64 nanoseconds: a decimal string (OTLP/JSON, the protobuf decoder) or a number. */
export const unixNanoSchema = z
  .union([
    z.string().regex(/^\d{1,20}$/, "Must be a whole number of nanoseconds"),
    // Numbers past 2^53 are not exact (nor safe integers): a sender's number is taken as the integer it reads as.
    z.number().nonnegative("Must not be negative").refine(Number.isInteger, "Must be a whole number of nanoseconds"),
  ])
  .transform((value) => BigInt(value))
  .refine((value) => value < 2n ** 64n, "Must fit in 64 bits")
  .optional()
  .transform((value) => value ?? 0n);

export const attributesSchema = z
  .array(z.object({ key: z.string({ error: "Attribute key must be text" }), value: z.unknown().optional() }), {
    error: "Attributes must be a list of { key, value }",
  })
  .nullish()
  .transform((list): Attributes => {
    const attributes = new Map<string, AttributeValue>();
    // Keys are unique per the spec; should one repeat, the first wins.
    for (const { key, value } of list ?? []) if (!attributes.has(key)) attributes.set(key, anyValueOf(value));
    return attributes;
  });

/** An integer as the spec asks; the enum's names are accepted too. */
const statusCodeSchema = z
  .union([z.number().int(), z.enum(["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"])])
  .nullish()
  .transform((code) =>
    typeof code === "string" ? ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"].indexOf(code) : (code ?? 0),
  );

const list = <T extends z.ZodType>(item: T, label: string) =>
  z
    .array(item, { error: `${label} must be a list` })
    .nullish()
    .transform((items) => items ?? []);

const spanSchema = z.object({
  name: z
    .string()
    .nullish()
    .transform((name) => name ?? ""),
  startTimeUnixNano: unixNanoSchema,
  endTimeUnixNano: unixNanoSchema,
  attributes: attributesSchema,
  events: list(
    z.object({
      name: z
        .string()
        .nullish()
        .transform((name) => name ?? ""),
      timeUnixNano: unixNanoSchema,
      attributes: attributesSchema,
    }),
    "Events",
  ),
  status: z
    .object({ code: statusCodeSchema })
    .nullish()
    .transform((status) => status?.code ?? 0),
});

/**
 * `ExportTraceServiceRequest` in OTLP/JSON's shape (lowerCamelCase keys, int64 as strings or numbers, enums as
 * integers), normalized to what the mapping reads. Unknown fields are ignored, as the spec asks of receivers;
 * trace and span ids are not read at all.
 */
export const exportTraceRequestSchema = z
  .object({
    resourceSpans: list(
      z.object({
        resource: z.object({ attributes: attributesSchema }).nullish(),
        scopeSpans: list(z.object({ spans: list(spanSchema, "Spans") }), "Scope spans"),
      }),
      "Resource spans",
    ),
  })
  .transform(({ resourceSpans }): OtlpResourceSpans[] =>
    resourceSpans.map((resourceSpan) => ({
      resourceAttributes: resourceSpan.resource?.attributes ?? new Map<string, AttributeValue>(),
      scopeSpans: resourceSpan.scopeSpans.map(({ spans }) => ({
        spans: spans.map(({ status, ...span }): OtlpSpan => ({ ...span, statusCode: status })),
      })),
    })),
  );

const OPERATION_ATTRIBUTE = "gen_ai.operation.name";

/** Agent and tool spans carry gen_ai.* attributes but are not model calls: their model calls are child spans. */
export const NOT_MODEL_CALLS: ReadonlySet<string> = new Set([
  "invoke_agent",
  "create_agent",
  "execute_tool",
  "invoke_workflow",
]);

/** A model call: a span with gen_ai.* attributes whose operation is not an agent's or a tool's. */
export function isModelCallSpan(span: Pick<OtlpSpan, "attributes" | "genAi">): boolean {
  let genAi = span.genAi ?? false;
  if (span.genAi === undefined) {
    for (const key of span.attributes.keys()) {
      if (key.startsWith("gen_ai.")) {
        genAi = true;
        break;
      }
    }
  }
  const operation = span.attributes.get(OPERATION_ATTRIBUTE);
  return genAi && !(typeof operation === "string" && NOT_MODEL_CALLS.has(operation));
}

/** Attribute names read, first present wins: the current semantic conventions first, older or vendor names after. */
export const GENAI_ATTRIBUTES = {
  provider: ["gen_ai.provider.name", "gen_ai.system"],
  // The requested model: the name a configuration chooses, and present on failed calls too.
  model: ["gen_ai.request.model", "gen_ai.response.model"],
  inputTokens: ["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"],
  outputTokens: ["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"],
  // LiteLLM's (and its v2 name), then OpenLIT's.
  costUsd: ["gen_ai.cost.total_cost", "litellm.cost.total", "gen_ai.usage.cost"],
  /** Seconds. */
  ttftSeconds: [
    "gen_ai.response.time_to_first_chunk",
    "gen_ai.response.time_to_first_token",
    "gen_ai.server.time_to_first_token",
  ],
  errorType: ["error.type"],
  target: ["rewind.target"],
  snapshotVersion: ["rewind.snapshot_version"],
} as const;

/**
 * Every attribute the mapping reads, on a span and on its resource: a reader may keep these and drop the rest (with
 * `genAi` set), which maps the same.
 */
export const SPAN_ATTRIBUTES_READ: ReadonlySet<string> = new Set([
  ...Object.values(GENAI_ATTRIBUTES).flat(),
  OPERATION_ATTRIBUTE,
]);
export const RESOURCE_ATTRIBUTES_READ: ReadonlySet<string> = new Set([
  ...GENAI_ATTRIBUTES.target,
  ...GENAI_ATTRIBUTES.snapshotVersion,
  "service.name",
]);

/** Span events marking the first token or chunk of a streamed response, for senders that record one. */
export const FIRST_TOKEN_EVENTS: ReadonlySet<string> = new Set([
  "gen_ai.first_chunk",
  "gen_ai.first_token",
  "first_token",
]);

interface Found {
  value: string | number | boolean;
  source: string;
}

/** The first of `names` set to something other than null or "" (LiteLLM sends "" for a missing value). */
function firstOf(attributes: Attributes, names: readonly string[], at: string): Found | undefined {
  for (const name of names) {
    const value = attributes.get(name);
    if (value !== undefined && value !== null && value !== "") return { value, source: `${at}.attributes.${name}` };
  }
  return undefined;
}

const NANOS_PER_MS = 1_000_000n;

function ttftOf(span: OtlpSpan, path: string, latencyMs: number): Found | undefined {
  const attribute = firstOf(span.attributes, GENAI_ATTRIBUTES.ttftSeconds, path);
  let found: Found | undefined;
  if (attribute && typeof attribute.value === "number") found = { ...attribute, value: attribute.value * 1000 };
  else {
    const index = span.events.findIndex((event) => FIRST_TOKEN_EVENTS.has(event.name));
    const event = span.events[index];
    if (event && event.timeUnixNano >= span.startTimeUnixNano) {
      found = {
        value: Number(event.timeUnixNano - span.startTimeUnixNano) / 1e6,
        source: `${path}.events.${index}.timeUnixNano`,
      };
    }
  }
  // A first token after the end (clock skew, a misnamed attribute in ms) is left out rather than refusing the call.
  if (!found || typeof found.value !== "number" || !(found.value >= 0 && found.value <= latencyMs)) return undefined;
  return found;
}

/** The name of the first of `names` set to something other than null or "": `firstOf` without its objects. */
function firstName(attributes: Attributes, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = attributes.get(name);
    if (value !== undefined && value !== null && value !== "") return name;
  }
  return undefined;
}

const costOf = (value: unknown): unknown =>
  typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value;

/** Event fields read from one attribute of the span, with their conversion. */
const SPAN_FIELDS: readonly [keyof MetricEvent, readonly string[], ((value: unknown) => unknown) | null][] = [
  ["provider", GENAI_ATTRIBUTES.provider, null],
  ["model", GENAI_ATTRIBUTES.model, null],
  ["inputTokens", GENAI_ATTRIBUTES.inputTokens, wholeNumberOf],
  ["outputTokens", GENAI_ATTRIBUTES.outputTokens, wholeNumberOf],
  ["costUsd", GENAI_ATTRIBUTES.costUsd, costOf],
];

// Runs once per span of every request (1,000 in a Collector's batch): plain loops and lookups, no closures or
// intermediate objects, since its garbage is most of what a request costs after decoding.
function mapSpan(
  span: OtlpSpan,
  resource: Attributes,
  path: string,
  resourcePath: string,
  rules: ServiceRuleLookup | null,
): IntakeItem | RefusedItem {
  if (span.startTimeUnixNano === 0n || span.endTimeUnixNano === 0n) {
    const field = span.startTimeUnixNano === 0n ? "startTimeUnixNano" : "endTimeUnixNano";
    return { path: `${path}.${field}`, reason: "A model call span needs its start and end time" };
  }
  if (span.endTimeUnixNano < span.startTimeUnixNano) {
    return { path: `${path}.endTimeUnixNano`, reason: "The span ends before it starts" };
  }
  const attributes = span.attributes;
  const latencyMs = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6;
  const end = `${path}.endTimeUnixNano`;
  const event: Record<string, unknown> = {
    ts: Number(span.endTimeUnixNano / NANOS_PER_MS),
    latencyMs,
    ok: span.statusCode !== STATUS_CODE_ERROR && firstName(attributes, GENAI_ATTRIBUTES.errorType) === undefined,
  };
  const sources: IntakeItem["sources"] = { ts: end, latencyMs: end };
  const own = `${path}.attributes.`;
  for (const [field, names, convert] of SPAN_FIELDS) {
    const name = firstName(attributes, names);
    if (name === undefined) continue;
    const value = attributes.get(name);
    event[field] = convert ? convert(value) : value;
    sources[field] = own + name;
  }
  const ttft = ttftOf(span, path, latencyMs);
  if (ttft) {
    event.ttftMs = ttft.value;
    sources.ttftMs = ttft.source;
  }
  // Rewind's own attributes may sit on the span or, for a whole service, on its resource.
  let versionName = firstName(attributes, GENAI_ATTRIBUTES.snapshotVersion);
  if (versionName !== undefined) {
    event.snapshotVersion = wholeNumberOf(attributes.get(versionName));
    sources.snapshotVersion = own + versionName;
  } else if ((versionName = firstName(resource, GENAI_ATTRIBUTES.snapshotVersion)) !== undefined) {
    event.snapshotVersion = wholeNumberOf(resource.get(versionName));
    sources.snapshotVersion = `${resourcePath}.attributes.${versionName}`;
  }
  const targetName = firstName(attributes, GENAI_ATTRIBUTES.target);
  const targetResource = targetName === undefined ? firstName(resource, GENAI_ATTRIBUTES.target) : undefined;
  const slug =
    targetName !== undefined
      ? attributes.get(targetName)
      : targetResource !== undefined
        ? resource.get(targetResource)
        : undefined;
  if (slug !== undefined && typeof slug !== "string") {
    const source = targetName !== undefined ? own + targetName : `${resourcePath}.attributes.${targetResource}`;
    return { path: source, reason: "rewind.target must be a target's slug (text)" };
  }
  if (typeof slug === "string") return { path, target: slug.trim(), event, sources };
  const rule = rules?.(textOf(attributes.get(OPERATION_ATTRIBUTE)), textOf(event.model));
  if (rule) return { path, target: rule.target, targetRule: rule.rule, event, sources };
  return { path, target: null, event, sources };
}

const textOf = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * Every span of an export request, in order: model calls (see `isModelCallSpan`) become items; other spans are
 * counted as ignored; model calls that cannot become an event (no start or end time) are refused by path.
 *
 * An item's event: `ts` the span's end (epoch ms), `latencyMs` end − start, `ok` unless the status is ERROR or
 * `error.type` is set, provider, model, tokens and cost from `GENAI_ATTRIBUTES`, `ttftMs` from a time-to-first-token
 * attribute (seconds) or a first-token span event, `snapshotVersion` from `rewind.snapshot_version`; its target from
 * `rewind.target`. Those two are read from the span, else from its resource. A span naming no target gets the one of
 * the most specific target mapping rule matching its resource's `service.name`, its `gen_ai.operation.name` and its
 * model (the event's), if any.
 */
export function mapGenAiSpans(
  resourceSpans: readonly OtlpResourceSpans[],
  options: { targetRules?: TargetRuleSet } = {},
): MappedBatch {
  const batch: MappedBatch = { items: [], refused: [], ignored: 0 };
  const rules = options.targetRules;
  for (let r = 0; r < resourceSpans.length; r++) {
    const { resourceAttributes, scopeSpans } = resourceSpans[r] as OtlpResourceSpans;
    const lookup = rules && rules.size > 0 ? rules.forService(resourceAttributes.get("service.name")) : null;
    const resourcePath = `resourceSpans.${r}.resource`;
    for (let s = 0; s < scopeSpans.length; s++) {
      const spans = (scopeSpans[s] as { spans: OtlpSpan[] }).spans;
      const prefix = `resourceSpans.${r}.scopeSpans.${s}.spans.`;
      for (let i = 0; i < spans.length; i++) {
        const span = spans[i] as OtlpSpan;
        if (!isModelCallSpan(span)) {
          batch.ignored++;
          continue;
        }
        const mapped = mapSpan(span, resourceAttributes, prefix + i, resourcePath, lookup);
        if ("reason" in mapped) batch.refused.push(mapped);
        else batch.items.push(mapped);
      }
    }
  }
  return batch;
}
