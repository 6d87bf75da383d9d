// OTLP/HTTP traces (POST /api/v1/otlp/v1/traces): ExportTraceServiceRequest as binary protobuf or OTLP/JSON, GenAI
// spans mapped to metric events (server/domain/intake/genai-spans.ts), answered as the OTLP spec asks: 200 with an
// ExportTraceServiceResponse (partial success naming refused spans), errors as a google.rpc.Status, each in the
// request's encoding. docs/INTEGRATIONS.md.
import "server-only";
import { describeRefusals } from "../../domain/intake/intake-items";
import { exportTraceRequestSchema, mapGenAiSpans, type OtlpResourceSpans } from "../../domain/intake/genai-spans";
import { fieldIssues } from "../../domain/errors";
import { otlpTraceTypes } from "./otlp-proto";
import { IntakeError, type IntakeAdapter, type IntakeOutcome, type IntakeRefusal, type IntakeReply } from "./types";

const PROTOBUF = "application/x-protobuf";
const JSON_TYPE = "application/json";

/** The gRPC code a Status body carries for an HTTP status (the Collector's OTLP/HTTP receiver answers the same). */
function grpcCodeOf(status: number): number {
  switch (status) {
    case 400:
    case 415:
    case 422:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 5; // NOT_FOUND
    case 413:
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return 13; // INTERNAL
  }
}

function decodeProtobuf(body: Buffer): unknown {
  const { request } = otlpTraceTypes();
  try {
    // Strings for int64 and enums as numbers: the very shape of OTLP/JSON, so one schema reads both encodings.
    return request.toObject(request.decode(body), { longs: String, enums: Number, bytes: String });
  } catch (error) {
    throw new IntakeError(
      400,
      `Body is not a protobuf ExportTraceServiceRequest: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function decodeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new IntakeError(400, `Body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function decode(body: Buffer, contentType: string): OtlpResourceSpans[] {
  const raw = contentType === PROTOBUF ? decodeProtobuf(body) : decodeJson(body);
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

function encode(type: "response" | "status", message: Record<string, unknown>, contentType: string | null) {
  if (contentType === PROTOBUF) {
    const messageType = otlpTraceTypes()[type];
    return { body: messageType.encode(messageType.fromObject(message)).finish(), contentType: PROTOBUF };
  }
  return { body: JSON.stringify(message), contentType: JSON_TYPE };
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
    ...encode("response", partialSuccess ? { partialSuccess } : {}, contentType),
    headers: {
      "X-Rewind-Accepted-Spans": String(outcome.accepted),
      "X-Rewind-Rejected-Spans": String(outcome.refused.length),
      "X-Rewind-Ignored-Spans": String(outcome.ignored),
    },
  };
}

function refusal({ status, message, issues, headers }: IntakeRefusal, contentType: string | null): IntakeReply {
  const listed = issues
    ? Object.entries(issues)
        .slice(0, 5)
        .map(([path, issue]) => `${path}: ${issue}`)
    : [];
  const text = listed.length > 0 && !message.includes(listed[0] ?? "") ? `${message} (${listed.join("; ")})` : message;
  return { status, ...encode("status", { code: grpcCodeOf(status), message: text }, contentType), headers };
}

export const otlpTracesAdapter: IntakeAdapter<OtlpResourceSpans[]> = {
  name: "otlp-traces",
  itemNoun: "span",
  contentTypes: [PROTOBUF, JSON_TYPE],
  partialSuccess: true,
  decode,
  map: mapGenAiSpans,
  reply,
  refusal,
};
