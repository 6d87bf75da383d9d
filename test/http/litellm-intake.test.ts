// LiteLLM's generic_api callback over real HTTP: batches shaped as LiteLLM posts them (StandardLoggingPayload; a JSON
// array by default, `{ "data": [...] }`, one object, NDJSON), with the key in X-API-Key as its `headers` setting
// sends it, land in the target's buckets; a batch with anything Rewind cannot take is refused whole with 422 by path.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { LatencySketch } from "@/server/domain/sketch";
import { api, makeKey, makeTarget, testDb, type TestKey } from "./helpers";

const db = testDb();
const PATH = "/api/v1/intake/litellm";
let publisher: TestKey;

beforeAll(async () => {
  publisher = await makeKey(db, { scopes: ["snapshots:write"], signed: false });
});

/** A StandardLoggingPayload as LiteLLM's proxy logs a chat completion (fields Rewind ignores included). */
function payload(overrides: Record<string, unknown> = {}) {
  const end = Date.now() / 1000 - 15;
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    trace_id: "f3c1",
    call_type: "acompletion",
    stream: false,
    response_cost: 0.0021,
    status: "success",
    custom_llm_provider: "openai",
    total_tokens: 976,
    prompt_tokens: 812,
    completion_tokens: 164,
    startTime: end - 0.84,
    endTime: end,
    completionStartTime: end,
    model: "gpt-4o-2024-08-06",
    model_id: "a1b2",
    model_group: "gpt-4o",
    api_base: "https://api.openai.com/v1",
    metadata: { user_api_key_hash: "88dc…", user_api_key_alias: "chat-app", requester_metadata: {} },
    cache_hit: false,
    request_tags: [],
    messages: [{ role: "user", content: "Hello" }],
    response: { choices: [{ message: { role: "assistant", content: "Hi" } }] },
    model_parameters: { temperature: 0.2 },
    hidden_params: { model_id: "a1b2", api_base: "https://api.openai.com/v1", response_cost: null },
    ...overrides,
  };
}

async function post(body: string, headers: Record<string, string>) {
  const response = await fetch(`${inject("baseUrl")}${PATH}`, { method: "POST", headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function stored(targetId: string, row: { model?: string; provider?: string; snapshotVersion?: number } = {}) {
  const rows = await db.metricBucket.findMany({
    where: {
      targetId,
      provider: row.provider ?? "",
      model: row.model ?? "",
      snapshotVersion: row.snapshotVersion ?? 0,
    },
  });
  const sum = (pick: (r: (typeof rows)[number]) => number | bigint) => rows.reduce((s, r) => s + Number(pick(r)), 0);
  return {
    requests: sum((r) => r.requestCount),
    errors: sum((r) => r.errorCount),
    costUsd: sum((r) => r.costMicros) / 1e6,
    inputTokens: sum((r) => r.inputTokens),
    outputTokens: sum((r) => r.outputTokens),
    latency: LatencySketch.merge(rows.map((r) => LatencySketch.decode(r.sketch))),
    ttft: LatencySketch.merge(rows.flatMap((r) => (r.ttftSketch ? [LatencySketch.decode(r.ttftSketch)] : []))),
  };
}

describe("POST /api/v1/intake/litellm", () => {
  it("writes a batch (LiteLLM's default json_array): successes, failures, streamed TTFT, model groups, snapshot version", async () => {
    const target = await makeTarget(db);
    const key = await makeKey(db, { scopes: ["ingest"], signed: false });
    const snapshot = await api("POST", `/api/v1/targets/${target.slug}/snapshots`, {
      key: publisher,
      body: { config: { model: "gpt-4o" } },
    });
    const metadata = { requester_metadata: { rewind_snapshot_version: snapshot.body.version } };
    const end = Date.now() / 1000 - 20;
    const batch = [
      payload({ metadata }),
      payload({ metadata, stream: true, startTime: end - 2, endTime: end, completionStartTime: end - 1.7 }),
      payload({
        metadata,
        status: "failure",
        response_cost: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        error_str: "RateLimitError",
        error_information: { error_class: "RateLimitError", error_code: "429" },
      }),
      payload({ model_group: "claude-sonnet", custom_llm_provider: "anthropic", response_cost: 0.01 }),
    ];
    const response = await post(JSON.stringify(batch), {
      "Content-Type": "application/json",
      "X-API-Key": key.key,
      "X-Rewind-Target": target.slug,
    });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ target: target.slug, events: 4, buckets: expect.any(Number), action: null });

    const all = await stored(target.id);
    expect(all).toMatchObject({ requests: 4, errors: 1, inputTokens: 3 * 812, outputTokens: 3 * 164 });
    expect(all.costUsd).toBeCloseTo(0.0021 * 2 + 0.01, 9);
    // The sketch's 1% relative accuracy.
    expect(Math.abs(all.latency.quantile(1)! - 2_000)).toBeLessThan(20);
    expect(all.ttft.count).toBe(1);
    expect(Math.abs(all.ttft.quantile(1)! - 300)).toBeLessThan(3);
    expect((await stored(target.id, { provider: "openai", model: "gpt-4o" })).requests).toBe(3);
    expect((await stored(target.id, { provider: "anthropic", model: "claude-sonnet" })).requests).toBe(1);
    expect(await stored(target.id, { snapshotVersion: snapshot.body.version })).toMatchObject({
      requests: 3,
      errors: 1,
    });
  });

  it("takes { data: [...] }, log_format single and ndjson, and the key's one target when no header names one", async () => {
    const target = await makeTarget(db);
    const key = await makeKey(db, { scopes: ["ingest"], targets: [target.slug], signed: false });
    const headers = { "Content-Type": "application/json", "X-API-Key": key.key };
    expect((await post(JSON.stringify({ data: [payload(), payload()] }), headers)).status).toBe(202);
    expect((await post(JSON.stringify(payload()), headers)).body).toMatchObject({ target: target.slug, events: 1 });
    const ndjson = `${JSON.stringify(payload())}\n${JSON.stringify(payload())}\n`;
    expect((await post(ndjson, headers)).body).toMatchObject({ events: 2 });
    expect((await post("[]", headers)).body).toEqual({ target: target.slug, events: 0, buckets: 0, action: null });
    expect((await stored(target.id)).requests).toBe(5);
  });

  it("refuses a batch with any payload it cannot take with 422 by path, and writes none of it", async () => {
    const target = await makeTarget(db);
    const key = await makeKey(db, { scopes: ["ingest"], targets: [target.slug], signed: false });
    const headers = { "Content-Type": "application/json", "X-API-Key": key.key };
    const response = await post(
      JSON.stringify([
        payload(),
        payload({ status: "pending" }),
        payload({ completion_tokens: 2.5 }),
        payload({ metadata: { requester_metadata: { rewind_snapshot_version: 42 } } }),
      ]),
      headers,
    );
    expect(response.status).toBe(422);
    expect(response.body.error).toEqual({
      code: "VALIDATION",
      message: expect.stringMatching(/^3 payloads refused: 1\.status: status must be "success" or "failure"; /),
      issues: {
        "1.status": 'status must be "success" or "failure"',
        "2.completion_tokens": "Output tokens must be a whole number",
        "3.metadata.requester_metadata.rewind_snapshot_version": `Snapshot version 42 is not a snapshot of target ${target.slug}`,
      },
    });
    const longAgo = Date.now() / 1000 - 40 * 86_400;
    const stale = await post(
      JSON.stringify({ data: [payload({ startTime: longAgo - 1, endTime: longAgo })] }),
      headers,
    );
    expect(stale.body.error.issues).toEqual({ "data.0.endTime": "Older than the 30-day retention" });
    expect((await stored(target.id)).requests).toBe(0);
  });

  it("refuses requests it cannot attribute or read: 401, 403, 404, 422 without a target, 415, 400", async () => {
    const target = await makeTarget(db);
    const wide = await makeKey(db, { scopes: ["ingest"], signed: false });
    const narrow = await makeKey(db, { scopes: ["ingest"], targets: [target.slug], signed: false });
    const body = JSON.stringify([payload()]);
    const json = { "Content-Type": "application/json" };

    const noKey = await post(body, json);
    expect([noKey.status, noKey.body.error.code]).toEqual([401, "UNAUTHORIZED"]);
    const other = await makeTarget(db);
    const forbidden = await post(body, { ...json, "X-API-Key": narrow.key, "X-Rewind-Target": other.slug });
    expect([forbidden.status, forbidden.body.error.code]).toEqual([403, "FORBIDDEN"]);
    const unknown = await post(body, { ...json, "X-API-Key": wide.key, "X-Rewind-Target": "no-such-target" });
    expect([unknown.status, unknown.body.error.message]).toEqual([404, "No such target: no-such-target"]);
    const untargeted = await post(body, { ...json, "X-API-Key": wide.key });
    expect([untargeted.status, untargeted.body.error.issues]).toEqual([
      422,
      { "X-Rewind-Target": "Send X-Rewind-Target: <target slug>, or use an API key limited to one target" },
    ]);
    const badSlug = await post(body, { ...json, "X-API-Key": wide.key, "X-Rewind-Target": "Chat Completions" });
    expect([badSlug.status, Object.keys(badSlug.body.error.issues)]).toEqual([422, ["X-Rewind-Target"]]);
    const text = await post(body, { "Content-Type": "text/plain", "X-API-Key": narrow.key });
    expect([text.status, text.body.error.code]).toEqual([415, "UNSUPPORTED_MEDIA_TYPE"]);
    const notJson = await post("{oops", { ...json, "X-API-Key": narrow.key });
    expect([notJson.status, notJson.body.error.code]).toEqual([400, "BAD_REQUEST"]);
    expect((await stored(target.id)).requests).toBe(0);
  });
});
