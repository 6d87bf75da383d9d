// LiteLLM StandardLoggingPayload → metric events: which fields are read, streamed calls' time to first token, the
// snapshot version in the caller's metadata, and refusals by path.
import { describe, expect, it } from "vitest";
import { screenItems } from "@/server/domain/intake/intake-items";
import { mapLiteLlmPayloads } from "@/server/domain/intake/litellm";

const START = 1_777_636_800.25; // epoch seconds, as LiteLLM sends them

function payload(overrides: Record<string, unknown> = {}) {
  return {
    id: "chatcmpl-1",
    call_type: "acompletion",
    stream: false,
    status: "success",
    response_cost: 0.0021,
    custom_llm_provider: "openai",
    model: "gpt-4o-2024-08-06",
    model_group: "gpt-4o",
    prompt_tokens: 812,
    completion_tokens: 164,
    total_tokens: 976,
    startTime: START,
    endTime: START + 0.84,
    completionStartTime: START + 0.84,
    metadata: { user_api_key_hash: "…", requester_metadata: {} },
    messages: [{ role: "user", content: "never read" }],
    ...overrides,
  };
}

describe("mapLiteLlmPayloads", () => {
  it("maps a success: end time, duration, provider, model group, tokens, cost", () => {
    const { items, refused } = mapLiteLlmPayloads([{ path: "0", payload: payload() }]);
    expect(refused).toEqual([]);
    expect(items).toEqual([
      {
        path: "0",
        target: null,
        event: {
          ts: Math.floor((START + 0.84) * 1000),
          latencyMs: 840,
          ok: true,
          provider: "openai",
          model: "gpt-4o",
          inputTokens: 812,
          outputTokens: 164,
          costUsd: 0.0021,
        },
        sources: {
          ts: "0.endTime",
          latencyMs: "0.endTime",
          ok: "0.status",
          provider: "0.custom_llm_provider",
          model: "0.model_group",
          inputTokens: "0.prompt_tokens",
          outputTokens: "0.completion_tokens",
          costUsd: "0.response_cost",
        },
      },
    ]);
  });

  it("maps a failure as an error, without the zero cost and tokens LiteLLM leaves empty", () => {
    const [item] = mapLiteLlmPayloads([
      { path: "1", payload: payload({ status: "failure", response_cost: null, model_group: null, prompt_tokens: 0 }) },
    ]).items;
    expect(item?.event).toMatchObject({ ok: false, model: "gpt-4o-2024-08-06", inputTokens: 0 });
    expect(item?.event).not.toHaveProperty("costUsd");
  });

  it("reads time to first token of streamed calls only (LiteLLM sets completionStartTime to the end otherwise)", () => {
    const streamed = mapLiteLlmPayloads([
      { path: "0", payload: payload({ stream: true, completionStartTime: START + 0.31 }) },
    ]);
    expect(streamed.items[0]?.event.ttftMs).toBe(310);
    const plain = mapLiteLlmPayloads([{ path: "0", payload: payload() }]);
    expect(plain.items[0]?.event).not.toHaveProperty("ttftMs");
    const late = mapLiteLlmPayloads([
      { path: "0", payload: payload({ stream: true, completionStartTime: START + 9 }) },
    ]);
    expect(late.items[0]?.event).not.toHaveProperty("ttftMs");
  });

  it("reads the snapshot version the caller put in its request metadata", () => {
    const metadata = { requester_metadata: { rewind_snapshot_version: "7" } };
    const { items } = mapLiteLlmPayloads([{ path: "data.2", payload: payload({ metadata }) }]);
    expect(items[0]).toMatchObject({
      event: { snapshotVersion: 7 },
      sources: { snapshotVersion: "data.2.metadata.requester_metadata.rewind_snapshot_version" },
    });
  });

  it("refuses what is not a payload, a missing status and missing or reversed times, by path", () => {
    const { items, refused } = mapLiteLlmPayloads([
      { path: "0", payload: null },
      { path: "1", payload: payload({ status: "pending" }) },
      { path: "2", payload: payload({ startTime: "2026-05-01" }) },
      { path: "3", payload: payload({ endTime: START - 1 }) },
      { path: "", payload: payload({ endTime: undefined }) },
    ]);
    expect(items).toEqual([]);
    expect(refused).toEqual([
      { path: "0", reason: "Expected a LiteLLM StandardLoggingPayload object" },
      { path: "1.status", reason: 'status must be "success" or "failure"' },
      { path: "2.startTime", reason: "startTime must be epoch seconds (a number)" },
      { path: "3.endTime", reason: "endTime is before startTime" },
      { path: "endTime", reason: "endTime must be epoch seconds (a number)" },
    ]);
  });

  it("names the payload's own field when the event breaks ingest's rules", () => {
    const { items } = mapLiteLlmPayloads([
      { path: "4", payload: payload({ completion_tokens: -3, endTime: START + 1 }) },
    ]);
    const now = new Date(START * 1000 + 10_000);
    expect(screenItems(items, { now, retentionMs: 86_400_000, maxFutureSkewMs: 60_000 }).refused).toEqual([
      { path: "4.completion_tokens", reason: "Output tokens must not be negative" },
    ]);
  });
});
