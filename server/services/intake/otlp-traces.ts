// OTLP/HTTP traces (POST /api/otlp/v1/traces): ExportTraceServiceRequest as binary protobuf or OTLP/JSON, GenAI
// spans mapped to metric events (server/domain/intake/genai-spans.ts), answered as the OTLP spec asks: 200 with an
// ExportTraceServiceResponse (partial success naming refused spans), errors as a google.rpc.Status, each in the
// request's encoding. docs/INTEGRATIONS.md.
import "server-only";
import { describeRefusals } from "../../domain/intake/intake-items";
import {
  exportTraceRequestSchema,
  FIRST_TOKEN_EVENTS,
  mapGenAiSpans,
  RESOURCE_ATTRIBUTES_READ,
  SPAN_ATTRIBUTES_READ,
  type AttributeValue,
  type OtlpResourceSpans,
  type OtlpSpan,
} from "../../domain/intake/genai-spans";
import { fieldIssues } from "../../domain/errors";
import { decodeOtlpBody, decodeProtobuf, encodeOtlp, OTLP_CONTENT_TYPES, otlpRefusal, PROTOBUF } from "./otlp-http";
import { otlpTraceReadType, otlpTraceTypes } from "./otlp-proto";
import { IntakeError, type IntakeAdapter, type IntakeOutcome, type IntakeReply } from "./types";

// ---- Protobuf, read straight from protobufjs's messages ------------------------------------------------------------
// Turning a 1,000-span request into plain objects (toObject) and checking it with the JSON schema cost most of its
// time (docs/PERFORMANCE.md, "OTLP intake"). The decoder's messages are already typed by the .proto, so they are read
// as they are, through a view of the message that declares only the fields read (`otlpTraceReadType`): times from
// their Longs, and of each attribute list only the attributes the mapping reads (`SPAN_ATTRIBUTES_READ`), plus whether
// any was a gen_ai.* one. test/unit/intake/otlp-traces-protobuf.test.ts checks that both readings map every request
// alike.

/** int64 as protobufjs decodes it: a `Long` (with the `long` package, protobufjs's dependency), else a number. */
type Int64 = number | { low: number; high: number; toNumber: () => number };
interface AnyValueMessage {
  stringValue: string;
  boolValue: boolean;
  intValue: Int64;
  doubleValue: number;
}
interface KeyValueMessage {
  key: string;
  value?: AnyValueMessage | null;
}
interface SpanMessage {
  startTimeUnixNano: Int64;
  endTimeUnixNano: Int64;
  attributes: KeyValueMessage[];
  events: { name: string; timeUnixNano: Int64 }[];
  status?: { code: number } | null;
}
interface TraceRequestMessage {
  resourceSpans: { resource?: { attributes: KeyValueMessage[] } | null; scopeSpans: { spans: SpanMessage[] }[] }[];
}

/** fixed64 nanoseconds. */
function unsignedOf(value: Int64): bigint {
  if (typeof value === "number") return BigInt(Math.trunc(value));
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

/**
 * As `anyValueOf` reads OTLP/JSON, in its order: scalars; arrays, maps, bytes and unset values as null. A field is set
 * when it is the message's own (unset ones read the prototype's default); protobufjs's oneof getter (`value`) would
 * list the message's keys for every attribute.
 */
function valueOf(value: AnyValueMessage | null | undefined): AttributeValue {
  if (!value) return null;
  if (Object.hasOwn(value, "stringValue")) return value.stringValue;
  if (Object.hasOwn(value, "boolValue")) return value.boolValue;
  if (Object.hasOwn(value, "intValue")) {
    return typeof value.intValue === "number" ? value.intValue : value.intValue.toNumber();
  }
  if (Object.hasOwn(value, "doubleValue")) return value.doubleValue;
  return null;
}

/** The attributes in `read` (the first of a repeated key, as the JSON reading keeps), and whether any is gen_ai.*. */
function pick(list: readonly KeyValueMessage[], read: ReadonlySet<string>) {
  const attributes = new Map<string, AttributeValue>();
  let genAi = false;
  for (const { key, value } of list) {
    if (!genAi && key.startsWith("gen_ai.")) genAi = true;
    if (read.has(key) && !attributes.has(key)) attributes.set(key, valueOf(value));
  }
  return { attributes, genAi };
}

function spanOf(span: SpanMessage): OtlpSpan {
  const { attributes, genAi } = pick(span.attributes, SPAN_ATTRIBUTES_READ);
  return {
    // Not read by the mapping, and not decoded (the read view skips it).
    name: "",
    startTimeUnixNano: unsignedOf(span.startTimeUnixNano),
    endTimeUnixNano: unsignedOf(span.endTimeUnixNano),
    attributes,
    genAi,
    // Only first-token events' times are read.
    events: span.events.map(({ name, timeUnixNano }) => ({
      name,
      timeUnixNano: FIRST_TOKEN_EVENTS.has(name) ? unsignedOf(timeUnixNano) : 0n,
    })),
    statusCode: span.status?.code ?? 0,
  };
}

function readProtobuf(body: Buffer): OtlpResourceSpans[] {
  const request = decodeProtobuf(otlpTraceReadType(), body, "ExportTraceServiceRequest") as TraceRequestMessage;
  return request.resourceSpans.map((resourceSpans) => ({
    resourceAttributes: pick(resourceSpans.resource?.attributes ?? [], RESOURCE_ATTRIBUTES_READ).attributes,
    scopeSpans: resourceSpans.scopeSpans.map((scopeSpans) => ({ spans: scopeSpans.spans.map(spanOf) })),
  }));
}

function decode(body: Buffer, contentType: string): OtlpResourceSpans[] {
  if (contentType === PROTOBUF) return readProtobuf(body);
  const raw = decodeOtlpBody(otlpTraceTypes(), body, contentType, "ExportTraceServiceRequest");
  const parsed = exportTraceRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = Object.entries(fieldIssues(parsed.error)).slice(0, 5);
    throw new IntakeError(
      400,
      `Body is not an OTLP ExportTraceServiceRequest: ${issues.map(([path, message]) => `${path}: ${message}`).join("; ")}`,
    );
  }
  return parsed.data;
}

function reply(outcome: IntakeOutcome, contentType: string): IntakeReply {
  let partialSuccess: { rejectedSpans: string; errorMessage: string } | undefined;
  if (outcome.refused.length > 0) {
    partialSuccess = {
      rejectedSpans: String(outcome.refused.length),
      errorMessage: describeRefusals(outcome.refused, "span"),
    };
  } else if (outcome.accepted === 0 && outcome.ignored > 0) {
    // The spec's warning form (nothing rejected, a message): a sender that exports only other spans hears why
    // Rewind shows nothing. Requests that mix in GenAI spans pass silently.
    partialSuccess = {
      rejectedSpans: "0",
      errorMessage: `No GenAI model call among ${outcome.ignored} span${outcome.ignored === 1 ? "" : "s"}: spans without gen_ai.* attributes, and agent and tool spans, are ignored`,
    };
  }
  return {
    status: 200,
    ...encodeOtlp(otlpTraceTypes(), "response", partialSuccess ? { partialSuccess } : {}, contentType),
    headers: {
      "X-Rewind-Accepted-Spans": String(outcome.accepted),
      "X-Rewind-Rejected-Spans": String(outcome.refused.length),
      "X-Rewind-Ignored-Spans": String(outcome.ignored),
    },
  };
}

export const otlpTracesAdapter: IntakeAdapter<OtlpResourceSpans[]> = {
  name: "otlp-traces",
  itemNoun: "span",
  contentTypes: OTLP_CONTENT_TYPES,
  partialSuccess: true,
  targetRules: true,
  decode,
  map: mapGenAiSpans,
  reply,
  refusal: (refused, contentType) => otlpRefusal(otlpTraceTypes(), refused, contentType),
};
