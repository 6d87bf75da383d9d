// POST /api/v1/ingest over real HTTP: authentication, signatures, limits, validation, idempotency.
import { beforeAll, describe, expect, it } from "vitest";
import { signRequest, signRequestV2 } from "@/server/domain/api-keys";
import { systemActor } from "@/server/services/audit/audit-log";
import { revokeApiKey } from "@/server/services/access/api-keys";
import { api, makeKey, makeTarget, recentEvents, testDb, uniqueSlug, type TestKey } from "./helpers";

const db = testDb();
let slug: string;
let targetId: string;
let key: TestKey;

async function totals(id: string) {
  const sums = await db.metricBucket.aggregate({
    where: { targetId: id, provider: "", model: "" },
    _sum: { requestCount: true, errorCount: true },
  });
  return { requests: sums._sum.requestCount ?? 0, errors: sums._sum.errorCount ?? 0 };
}

beforeAll(async () => {
  const target = await makeTarget(db);
  slug = target.slug;
  targetId = target.id;
  key = await makeKey(db, { scopes: ["ingest"] });
});

describe("ingest: signatures", () => {
  it("accepts a signed batch with 202 and its counts", async () => {
    const response = await api("POST", "/api/v1/ingest", { key, body: { target: slug, events: recentEvents(5) } });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ target: slug, events: 5, windows: 0, action: null });
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("refuses a missing, wrong or malformed signature with 401 and writes nothing", async () => {
    const target = await makeTarget(db);
    const body = { target: target.slug, events: recentEvents(3) };
    const missing = await api("POST", "/api/v1/ingest", { key, body, signature: false });
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({
      code: "UNAUTHORIZED",
      message: expect.stringMatching(/X-Rewind-Signature/),
    });
    const now = Math.floor(Date.now() / 1000);
    const wrongSecret = signRequest("rws_not-the-secret", now, JSON.stringify(body));
    expect((await api("POST", "/api/v1/ingest", { key, body, signature: wrongSecret })).body.error.message).toMatch(
      /does not match/,
    );
    const otherBody = signRequest(key.secret, now, JSON.stringify({ ...body, events: [] }));
    expect((await api("POST", "/api/v1/ingest", { key, body, signature: otherBody })).status).toBe(401);
    expect((await api("POST", "/api/v1/ingest", { key, body, signature: "v1=abc" })).body.error.message).toMatch(
      /Malformed/,
    );
    expect(await totals(target.id)).toEqual({ requests: 0, errors: 0 });
  });

  it("refuses a replayed signature", async () => {
    const target = await makeTarget(db);
    const raw = JSON.stringify({ target: target.slug, events: recentEvents(4) });
    const signature = signRequest(key.secret, Math.floor(Date.now() / 1000), raw);
    expect((await api("POST", "/api/v1/ingest", { key, body: raw, signature })).status).toBe(202);
    const replay = await api("POST", "/api/v1/ingest", { key, body: raw, signature });
    expect(replay.status).toBe(401);
    expect(replay.body.error.message).toMatch(/already used/);
    expect(await totals(target.id)).toEqual({ requests: 4, errors: 0 });
  });

  it("stores concurrent replays of one signed batch once: the signature is spent in the batch's transaction", async () => {
    const target = await makeTarget(db);
    const raw = JSON.stringify({ target: target.slug, events: recentEvents(6) });
    const signature = signRequest(key.secret, Math.floor(Date.now() / 1000), raw);
    const statuses = await Promise.all(
      Array.from(
        { length: 5 },
        async () => (await api("POST", "/api/v1/ingest", { key, body: raw, signature })).status,
      ),
    );
    expect(statuses.sort()).toEqual([202, 401, 401, 401, 401]);
    expect(await totals(target.id)).toEqual({ requests: 6, errors: 0 });
  });

  it("does not spend the signature of a batch that was refused: the same signed request works once it can", async () => {
    // A sender that retries the very same bytes after a failure (its target not created yet, here) is not told
    // its signature was used: only a stored batch spends it.
    const slug = uniqueSlug();
    const raw = JSON.stringify({ target: slug, events: recentEvents(3) });
    const signature = signRequest(key.secret, Math.floor(Date.now() / 1000), raw);
    expect((await api("POST", "/api/v1/ingest", { key, body: raw, signature })).status).toBe(404);
    const target = await db.target.create({ data: { slug, name: `Target ${slug}` } });
    expect((await api("POST", "/api/v1/ingest", { key, body: raw, signature })).status).toBe(202);
    expect((await api("POST", "/api/v1/ingest", { key, body: raw, signature })).status).toBe(401);
    expect(await totals(target.id)).toEqual({ requests: 3, errors: 0 });
  });

  it("binds a signature to its method and path: one v1-signed body for two targets is two requests", async () => {
    // A config-as-code job applying one policy to several targets within a second (the same body, the same
    // v1 signature): not a replay, since each was sent to its own path.
    const policyKey = await makeKey(db, { scopes: ["policies:write"] });
    const [first, second] = [await makeTarget(db), await makeTarget(db)];
    const raw = JSON.stringify({ maxErrorRate: 0.02 });
    const signature = signRequest(policyKey.secret, Math.floor(Date.now() / 1000), raw);
    for (const target of [first, second]) {
      const saved = await api("PUT", `/api/v1/targets/${target.slug}/policy`, { key: policyKey, body: raw, signature });
      expect(saved.status).toBe(201);
    }
    const again = await api("PUT", `/api/v1/targets/${first.slug}/policy`, { key: policyKey, body: raw, signature });
    expect(again.body.error.message).toMatch(/already used/);

    // v2 signs the method and path too: a request captured on its way to one target cannot be sent to another.
    const signedForFirst = signRequestV2(policyKey.secret, Math.floor(Date.now() / 1000), {
      method: "PUT",
      path: `/api/v1/targets/${first.slug}/policy`,
      rawBody: raw,
    });
    const moved = await api("PUT", `/api/v1/targets/${second.slug}/policy`, {
      key: policyKey,
      body: raw,
      signature: signedForFirst,
    });
    expect(moved.status).toBe(401);
    expect(moved.body.error.message).toMatch(/method, path and body/);
    expect(await db.policy.count({ where: { targetId: second.id } })).toBe(1);
  });

  it("refuses timestamps more than 5 minutes off, either way", async () => {
    const body = { target: slug, events: recentEvents(1) };
    for (const skew of [-301, 301]) {
      const response = await api("POST", "/api/v1/ingest", {
        key,
        body,
        timestamp: Math.floor(Date.now() / 1000) + skew,
      });
      expect(response.status).toBe(401);
      expect(response.body.error.message).toMatch(/away from the server's clock/);
    }
  });

  it("takes unsigned requests from a key created with signing off", async () => {
    const unsigned = await makeKey(db, { scopes: ["ingest"], signed: false });
    const response = await api("POST", "/api/v1/ingest", {
      key: unsigned,
      body: { target: slug, events: recentEvents(2) },
      signature: false,
    });
    expect(response.status).toBe(202);
  });
});

describe("ingest: authentication and authorization", () => {
  it("refuses a request without a key, an unknown key and a revoked key with 401", async () => {
    const body = { target: slug, events: recentEvents(1) };
    expect((await api("POST", "/api/v1/ingest", { body })).status).toBe(401);
    const unknown = await api("POST", "/api/v1/ingest", { key: "rwd_nonexistent", body });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe("Unknown API key");
    const revoked = await makeKey(db, { scopes: ["ingest"] });
    await revokeApiKey(db, { actor: systemActor, id: revoked.id }, new Date());
    const response = await api("POST", "/api/v1/ingest", { key: revoked, body });
    expect(response.status).toBe(401);
    expect(response.body.error.message).toMatch(/was revoked/);
  });

  it("refuses a key without the ingest scope, or not allowed the target, with 403", async () => {
    const reader = await makeKey(db, { scopes: ["config:read"] });
    const noScope = await api("POST", "/api/v1/ingest", { key: reader, body: { target: slug, events: [] } });
    expect(noScope.status).toBe(403);
    expect(noScope.body.error.message).toMatch(/lacks the ingest scope/);
    const other = await makeKey(db, { scopes: ["ingest"], targets: [uniqueSlug()] });
    const notAllowed = await api("POST", "/api/v1/ingest", {
      key: other,
      body: { target: slug, events: recentEvents(1) },
    });
    expect(notAllowed.status).toBe(403);
    expect(notAllowed.body.error.message).toMatch(`may not use target ${slug}`);
  });

  it("answers 404 for an unknown target", async () => {
    const response = await api("POST", "/api/v1/ingest", {
      key,
      body: { target: uniqueSlug(), events: recentEvents(1) },
    });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("NOT_FOUND");
  });
});

describe("ingest: limits and validation", () => {
  it("refuses 10,001 events with 413 and writes nothing", async () => {
    const target = await makeTarget(db);
    const response = await api("POST", "/api/v1/ingest", {
      key,
      body: { target: target.slug, events: recentEvents(10_001) },
    });
    expect(response.status).toBe(413);
    expect(response.body.error).toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
      message: expect.stringMatching(/10,000 events/),
    });
    expect(await totals(target.id)).toEqual({ requests: 0, errors: 0 });
  });

  it("refuses a body over 2 MB with 413", async () => {
    const response = await api("POST", "/api/v1/ingest", {
      key,
      body: { target: slug, events: [], padding: "x".repeat(2 * 1024 * 1024) },
    });
    expect(response.status).toBe(413);
    expect(response.body.error.message).toMatch(/2 MB/);
  });

  it("refuses malformed JSON with 400", async () => {
    const response = await api("POST", "/api/v1/ingest", { key, body: '{"target": "x", "events": [' });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/not valid JSON/),
    });
  });

  it("names each invalid event by index with 422 and writes nothing of the batch", async () => {
    const target = await makeTarget(db);
    const events: Record<string, unknown>[] = recentEvents(20);
    events[3] = { ...events[3], latencyMs: -5 };
    events[12] = { ...events[12], ts: "yesterday-ish" };
    const response = await api("POST", "/api/v1/ingest", { key, body: { target: target.slug, events } });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe("VALIDATION");
    expect(Object.keys(response.body.error.issues)).toEqual(["events.3.latencyMs", "events.12.ts"]);
    expect(await totals(target.id)).toEqual({ requests: 0, errors: 0 });
  });

  it("attributes events to the snapshot version they report, and refuses a version the target lacks", async () => {
    const publisher = await makeKey(db, { scopes: ["snapshots:write"] });
    const target = await makeTarget(db);
    const other = await makeTarget(db);
    for (const { slug: owner } of [target, other, other]) {
      await api("POST", `/api/v1/targets/${owner}/snapshots`, {
        key: publisher,
        body: { config: { owner, at: Date.now(), n: Math.random() } },
      });
    }
    const events = recentEvents(6).map((event) => ({ ...event, snapshotVersion: 1 }));
    const accepted = await api("POST", "/api/v1/ingest", { key, body: { target: target.slug, events } });
    expect(accepted.status).toBe(202);
    const attributed = await db.metricBucket.aggregate({
      where: { targetId: target.id, snapshotVersion: 1 },
      _sum: { requestCount: true },
    });
    expect(attributed._sum.requestCount).toBe(6);

    // v2 exists only for the other target; -1 is no version at all.
    for (const version of [2, -1]) {
      const bad = recentEvents(5).map((event, i) => (i === 3 ? { ...event, snapshotVersion: version } : event));
      const refused = await api("POST", "/api/v1/ingest", { key, body: { target: target.slug, events: bad } });
      expect(refused.status).toBe(422);
      expect(Object.keys(refused.body.error.issues)).toEqual(["events.3.snapshotVersion"]);
    }
    expect(await db.metricBucket.aggregate({ where: { targetId: target.id }, _sum: { requestCount: true } })).toEqual({
      _sum: { requestCount: 12 },
    });
  });

  it("refuses events older than the retention or more than a minute ahead, by index", async () => {
    const events: Record<string, unknown>[] = recentEvents(5);
    events[1] = { ...events[1], ts: Date.now() - 31 * 86_400_000 };
    events[4] = { ...events[4], ts: new Date(Date.now() + 5 * 60_000).toISOString() };
    const response = await api("POST", "/api/v1/ingest", { key, body: { target: slug, events } });
    expect(response.status).toBe(422);
    expect(response.body.error.issues).toEqual({
      "events.1.ts": "Older than the 30-day retention",
      "events.4.ts": "More than 1 minute in the future",
    });
  });

  it("refuses a missing or malformed target with 422", async () => {
    const response = await api("POST", "/api/v1/ingest", { key, body: { target: "Not A Slug", events: [] } });
    expect(response.status).toBe(422);
    expect(response.body.error.issues).toHaveProperty("target");
  });
});

describe("ingest: idempotency", () => {
  it("counts a retried batch once and replays the first response", async () => {
    const target = await makeTarget(db);
    const body = { target: target.slug, events: recentEvents(7, { ok: false }) };
    const headers = { "idempotency-key": `batch-${targetId}-1` };
    const first = await api("POST", "/api/v1/ingest", { key, body, headers });
    // A retry is signed afresh (a new timestamp), as a real client's would be.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const retry = await api("POST", "/api/v1/ingest", { key, body, headers });
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await totals(target.id)).toEqual({ requests: 7, errors: 7 });
  });

  it("refuses the same key with another body with 422", async () => {
    const headers = { "idempotency-key": `batch-${targetId}-2` };
    expect(
      (await api("POST", "/api/v1/ingest", { key, body: { target: slug, events: recentEvents(1) }, headers })).status,
    ).toBe(202);
    const other = await api("POST", "/api/v1/ingest", {
      key,
      body: { target: slug, events: recentEvents(2) },
      headers,
    });
    expect(other.status).toBe(422);
    expect(other.body.error.issues).toHaveProperty("Idempotency-Key");
  });
});

describe("rate limit", () => {
  it("answers 429 with Retry-After once a key's burst is spent", async () => {
    const reader = await makeKey(db, { scopes: ["config:read"] });
    // An unknown target: the cheapest request that gets past the limiter (404), so the burst is spent fast.
    const path = `/api/v1/targets/${uniqueSlug()}/status`;
    const responses = await Promise.all(Array.from({ length: 300 }, () => api("GET", path, { key: reader })));
    const limited = responses.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(responses.filter((response) => response.status === 404).length).toBeGreaterThanOrEqual(100);
    expect(Number(limited[0]?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited[0]?.body.error.code).toBe("THROTTLED");
  });
});
