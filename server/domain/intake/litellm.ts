// LiteLLM's StandardLoggingPayload (what its generic_api callback posts, one per model call) mapped to metric
// events. Only the fields below are read; the payload's prompts, responses and keys are never looked at.
// Mapping rules: docs/INTEGRATIONS.md.
import type { MetricEvent } from "../metrics";
import { wholeNumberOf, type IntakeItem, type MappedBatch } from "./intake-items";

/** A payload and where it sits in the request body (`3`, `data.3`, or "" for a body that is one payload). */
export interface LiteLlmEntry {
  path: string;
  payload: unknown;
}

type Payload = Record<string, unknown>;

const isObject = (value: unknown): value is Payload =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const present = (value: unknown) => value !== undefined && value !== null && value !== "";

/** The snapshot version the caller put in its request's metadata (LiteLLM keeps it as `requester_metadata`). */
const SNAPSHOT_VERSION_KEYS = [
  ["metadata", "requester_metadata", "rewind_snapshot_version"],
  ["metadata", "spend_logs_metadata", "rewind_snapshot_version"],
] as const;

function at(payload: Payload, keys: readonly string[]): unknown {
  let value: unknown = payload;
  for (const key of keys) {
    if (!isObject(value)) return undefined;
    value = value[key];
  }
  return value;
}

function mapPayload({ path, payload }: LiteLlmEntry): IntakeItem | { path: string; reason: string } {
  const field = (name: string) => (path === "" ? name : `${path}.${name}`);
  if (!isObject(payload)) return { path: path || "body", reason: "Expected a LiteLLM StandardLoggingPayload object" };
  const { status, startTime, endTime } = payload;
  if (status !== "success" && status !== "failure") {
    return { path: field("status"), reason: 'status must be "success" or "failure"' };
  }
  for (const [name, value] of [
    ["startTime", startTime],
    ["endTime", endTime],
  ] as const) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      return { path: field(name), reason: `${name} must be epoch seconds (a number)` };
    }
  }
  const start = startTime as number;
  const end = endTime as number;
  if (end < start) return { path: field("endTime"), reason: "endTime is before startTime" };
  // Python datetimes have microseconds: rounding there drops the float noise of epoch seconds (~0.1 µs today).
  const msBetween = (from: number, to: number) => Math.round((to - from) * 1e6) / 1000;
  const latencyMs = msBetween(start, end);
  const event: Record<string, unknown> = { ts: Math.floor(end * 1000), latencyMs, ok: status === "success" };
  const sources: IntakeItem["sources"] = { ts: field("endTime"), latencyMs: field("endTime"), ok: field("status") };
  const set = (name: keyof MetricEvent, key: string, value: unknown) => {
    if (!present(value)) return;
    event[name] = value;
    sources[name] = field(key);
  };
  set("provider", "custom_llm_provider", payload.custom_llm_provider);
  // The model group is the name callers ask for (and configurations choose); `model` is the deployment's.
  if (present(payload.model_group)) set("model", "model_group", payload.model_group);
  else set("model", "model", payload.model);
  set("inputTokens", "prompt_tokens", wholeNumberOf(payload.prompt_tokens));
  set("outputTokens", "completion_tokens", wholeNumberOf(payload.completion_tokens));
  set("costUsd", "response_cost", payload.response_cost);
  // LiteLLM sets completionStartTime to the end of a call that did not stream: only streamed calls have a TTFT.
  const firstToken = payload.completionStartTime;
  if (payload.stream === true && typeof firstToken === "number" && firstToken >= start && firstToken <= end) {
    set("ttftMs", "completionStartTime", msBetween(start, firstToken));
  }
  for (const keys of SNAPSHOT_VERSION_KEYS) {
    const version = at(payload, keys);
    if (present(version)) {
      set("snapshotVersion", keys.join("."), wholeNumberOf(version));
      break;
    }
  }
  return { path, target: null, event, sources };
}

/**
 * Each payload becomes an event: `ts` endTime (epoch ms), `latencyMs` endTime − startTime, `ok` status "success",
 * provider `custom_llm_provider`, model `model_group` (else `model`), tokens `prompt_tokens`/`completion_tokens`,
 * cost `response_cost`, `ttftMs` completionStartTime − startTime for streamed calls, `snapshotVersion` from the
 * request's metadata (`rewind_snapshot_version`). A payload without a status or times is refused by path.
 */
export function mapLiteLlmPayloads(entries: readonly LiteLlmEntry[]): MappedBatch {
  const batch: MappedBatch = { items: [], refused: [], ignored: 0 };
  for (const entry of entries) {
    const mapped = mapPayload(entry);
    if ("reason" in mapped) batch.refused.push(mapped);
    else batch.items.push(mapped);
  }
  return batch;
}
