// The production server answers the machine intake's POSTs ahead of Next.js (scripts/serve.ts,
// server/api/intake-fast-path.ts). The same requests sent to a second server on the same database with the fast
// path off (INTAKE_FAST_PATH=off, through Next's route handlers) must get the same answers: status, body and
// headers, refusals included. Only how the bytes travel (compression, framing) and Next's Vary may differ.
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { signRequestV2 } from "@/server/domain/api-keys";
import { startBuiltApp, type BuiltApp } from "../built-app";
import { makeKey, makeTarget, recentEvents, testDb, type TestKey } from "./helpers";

const db = testDb();
let throughNext: BuiltApp;
let signed: TestKey;
let unsigned: TestKey;
let signedSends = 0;

beforeAll(async () => {
  throughNext = await startBuiltApp({
    databaseUrl: inject("databaseUrl"),
    env: { INTAKE_FAST_PATH: "off", API_KEY_ENCRYPTION_KEY: inject("apiKeyEncryptionKey") },
  });
  signed = await makeKey(db, { scopes: ["ingest"] });
  unsigned = await makeKey(db, { scopes: ["ingest"], signed: false });
}, 120_000);

afterAll(() => throughNext?.stop());

/** What may differ between the two servers: how the bytes travel, and the Vary Next adds for its pages. */
const CONNECTION_HEADERS = new Set([
  "date",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  // Next compresses even a 100-byte answer; the fast path sends its small answers as they are.
  "content-encoding",
  "vary",
]);

interface Sent {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  /** Sends the body as a stream, without Content-Length (chunked). */
  streamed?: boolean;
  /** Signs the body for `signed` at send time, a second earlier each time: each server gets a signature of its own. */
  sign?: boolean;
}

async function send(baseUrl: string, { path, method = "POST", headers = {}, body, sign, streamed }: Sent) {
  const all = { ...headers };
  if (sign && typeof body === "string") {
    all["x-rewind-signature"] = signRequestV2(signed.secret, Math.floor(Date.now() / 1000) - signedSends++, {
      method,
      path,
      rawBody: body,
    });
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: all,
    ...(streamed && body !== undefined ? { body: new Blob([body]).stream(), duplex: "half" } : { body }),
  });
  const kept = [...response.headers].filter(([name]) => !CONNECTION_HEADERS.has(name));
  return { status: response.status, headers: Object.fromEntries(kept), body: await response.text() };
}

async function bothAnswer(request: Sent) {
  const [fast, next] = [await send(inject("baseUrl"), request), await send(throughNext.baseUrl, request)];
  expect(fast).toEqual(next);
  return fast;
}

const json = { "content-type": "application/json" };
const bearer = (key: TestKey | string) => ({ authorization: `Bearer ${typeof key === "string" ? key : key.key}` });

describe("the intake fast path answers as Next's route handlers do", () => {
  it("refuses requests without a key, with an unknown key, or with a key lacking the scope", async () => {
    const noScope = await makeKey(db, { scopes: ["config:read"] });
    for (const path of [
      "/api/v1/ingest",
      "/api/otlp/v1/traces",
      "/api/v1/otlp/v1/metrics",
      "/api/integrations/litellm",
    ]) {
      expect((await bothAnswer({ path, headers: json, body: "{}" })).status).toBe(401);
      expect((await bothAnswer({ path, headers: { ...json, ...bearer("rwd_unknown") }, body: "{}" })).status).toBe(401);
      expect((await bothAnswer({ path, headers: { ...json, ...bearer(noScope) }, body: "{}" })).status).toBe(403);
    }
  });

  it("refuses a missing signature, malformed JSON, invalid batches and unknown targets alike", async () => {
    const target = await makeTarget(db);
    const headers = { ...json, ...bearer(signed) };
    const path = "/api/v1/ingest";
    expect((await bothAnswer({ path, headers, body: JSON.stringify({ target: target.slug }) })).status).toBe(401);
    expect((await bothAnswer({ path, headers, body: "{not json", sign: true })).status).toBe(400);
    const invalid = await bothAnswer({
      path,
      headers,
      body: JSON.stringify({ target: target.slug, events: [{}] }),
      sign: true,
    });
    expect(invalid.status).toBe(422);
    expect(JSON.parse(invalid.body).error.issues).toBeDefined();
    const unknown = JSON.stringify({ target: "no-such-target", events: recentEvents(1) });
    expect((await bothAnswer({ path, headers, body: unknown, sign: true })).status).toBe(404);
  });

  it("refuses bodies past the limit, announced or not, and media types an intake does not take", async () => {
    const large = "x".repeat(2 * 1024 * 1024 + 1);
    const headers = { ...json, ...bearer(unsigned) };
    expect((await bothAnswer({ path: "/api/v1/ingest", headers, body: large })).status).toBe(413);
    const otlp = { ...bearer(unsigned), "content-type": "application/x-protobuf", "content-encoding": "gzip" };
    const streamed = { path: "/api/otlp/v1/metrics", headers: otlp, body: large, streamed: true };
    expect((await bothAnswer(streamed)).status).toBe(413);
    const zipped = new Uint8Array(gzipSync(large));
    expect(
      (await bothAnswer({ path: "/api/otlp/v1/metrics", headers: otlp, body: zipped })).status,
    ).toBeGreaterThanOrEqual(400);
    const text = { ...bearer(unsigned), "content-type": "text/plain" };
    expect((await bothAnswer({ path: "/api/otlp/v1/traces", headers: text, body: "spans" })).status).toBe(415);
  });

  it("stores a batch with the same answer, and replays an Idempotency-Key's response alike", async () => {
    const [first, second] = [await makeTarget(db), await makeTarget(db)];
    const events = recentEvents(4);
    const headers = { ...json, ...bearer(unsigned) };
    const answers = [];
    for (const [baseUrl, target] of [
      [inject("baseUrl"), first],
      [throughNext.baseUrl, second],
    ] as const) {
      const request = { path: "/api/v1/ingest", headers: { ...headers, "idempotency-key": `same-${target.id}` } };
      const body = JSON.stringify({ target: target.slug, events });
      const stored = await send(baseUrl, { ...request, body });
      const replayed = await send(baseUrl, { ...request, body });
      expect(stored.status).toBe(202);
      expect(replayed.headers["idempotent-replayed"]).toBe("true");
      answers.push({ stored, replayed, slug: target.slug });
    }
    const [fast, next] = answers.map(({ stored, replayed, slug }) => ({
      stored: { ...stored, body: stored.body.replaceAll(slug, "<target>") },
      replayed: { ...replayed, body: replayed.body.replaceAll(slug, "<target>") },
    }));
    expect(fast).toEqual(next);
  });

  it("counts what the fast path stored in /api/metrics, which Next serves", async () => {
    const ingested = async () => {
      const response = await fetch(`${inject("baseUrl")}/api/metrics`, {
        headers: { authorization: `Bearer ${inject("metricsToken")}` },
      });
      return Number(/^rewind_ingested_events_total (\d+)$/m.exec(await response.text())?.[1]);
    };
    const before = await ingested();
    const target = await makeTarget(db);
    const body = JSON.stringify({ target: target.slug, events: recentEvents(7) });
    const stored = await send(inject("baseUrl"), {
      path: "/api/v1/ingest",
      headers: { ...json, ...bearer(unsigned) },
      body,
    });
    expect(stored.status).toBe(202);
    expect(await ingested()).toBeGreaterThanOrEqual(before + 7);
  });

  it("leaves other methods on the intake paths to Next", async () => {
    const answer = await bothAnswer({ path: "/api/v1/ingest", method: "GET" });
    expect(answer.status).toBe(405);
  });
});
