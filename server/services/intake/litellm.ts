// LiteLLM's generic_api callback (POST /api/v1/intake/litellm): batches of StandardLoggingPayload as LiteLLM sends
// them (a JSON array by default, one object with log_format "single", lines with "ndjson", or `{ "data": [...] }`),
// mapped by server/domain/intake/litellm.ts and written all or nothing. docs/INTEGRATIONS.md.
import "server-only";
import type { LiteLlmEntry } from "../../domain/intake/litellm";
import { mapLiteLlmPayloads } from "../../domain/intake/litellm";
import { IntakeError, type IntakeAdapter, type IntakeOutcome, type IntakeRefusal, type IntakeReply } from "./types";

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new IntakeError(400, `${where} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * LiteLLM sends `Content-Type: application/json` whatever its log_format, so the body's form decides: a JSON array,
 * `{ "data": [...] }`, a single payload object, or (when the whole body is not one JSON value) one payload per line.
 */
function decode(body: Buffer): LiteLlmEntry[] {
  const text = body.toString("utf8").trim();
  if (text === "") throw new IntakeError(400, "Body is empty: send LiteLLM's StandardLoggingPayload batch");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
    if (lines.length < 2) value = parseJson(text, "Body");
    else return lines.map((line, i) => ({ path: String(i), payload: parseJson(line, `Line ${i + 1}`) }));
  }
  if (Array.isArray(value)) return (value as unknown[]).map((payload, i) => ({ path: String(i), payload }));
  if (typeof value === "object" && value !== null && Array.isArray((value as { data?: unknown }).data)) {
    return (value as { data: unknown[] }).data.map((payload, i) => ({ path: `data.${i}`, payload }));
  }
  return [{ path: "", payload: value }];
}

function reply(outcome: IntakeOutcome): IntakeReply {
  const body = {
    target: outcome.results[0]?.target ?? outcome.target,
    events: outcome.accepted,
    buckets: outcome.results.reduce((sum, result) => sum + result.buckets, 0),
    action: outcome.results[0]?.action ?? null,
  };
  return { status: 202, body: JSON.stringify(body), contentType: "application/json" };
}

/** The machine API's error body (docs/API.md "Errors"). */
function refusal({ status, code, message, issues, requestId, headers }: IntakeRefusal): IntakeReply {
  const body = { error: { code, message, ...(issues && { issues }), ...(requestId && { requestId }) } };
  return { status, body: JSON.stringify(body), contentType: "application/json", headers };
}

export const liteLlmAdapter: IntakeAdapter<LiteLlmEntry[]> = {
  name: "litellm",
  itemNoun: "payload",
  contentTypes: ["application/json", "application/x-ndjson", "application/jsonl"],
  partialSuccess: false,
  decode,
  map: mapLiteLlmPayloads,
  reply,
  refusal,
};
