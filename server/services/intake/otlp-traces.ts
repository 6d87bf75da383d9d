// OTLP/HTTP traces (POST /api/v1/otlp/v1/traces): ExportTraceServiceRequest as binary protobuf or OTLP/JSON, GenAI
// spans mapped to metric events (server/domain/intake/genai-spans.ts), answered as the OTLP spec asks: 200 with an
// ExportTraceServiceResponse (partial success naming refused spans), errors as a google.rpc.Status, each in the
// request's encoding. docs/INTEGRATIONS.md.
import "server-only";
import { describeRefusals } from "../../domain/intake/intake-items";
import { exportTraceRequestSchema, mapGenAiSpans, type OtlpResourceSpans } from "../../domain/intake/genai-spans";
import { fieldIssues } from "../../domain/errors";
import { decodeOtlpBody, encodeOtlp, OTLP_CONTENT_TYPES, otlpRefusal } from "./otlp-http";
import { otlpTraceTypes } from "./otlp-proto";
import { IntakeError, type IntakeAdapter, type IntakeOutcome, type IntakeReply } from "./types";

function decode(body: Buffer, contentType: string): OtlpResourceSpans[] {
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
  decode,
  map: mapGenAiSpans,
  reply,
  refusal: (refused, contentType) => otlpRefusal(otlpTraceTypes(), refused, contentType),
};
