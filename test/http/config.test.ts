// Config as code and config delivery over real HTTP: targets, policies, snapshots, effective config, status.
import { beforeAll, describe, expect, it } from "vitest";
import { userActor } from "@/server/services/audit/audit-log";
import { approveRollback, requestManualRollback } from "@/server/services/rollbacks/commands";
import { advanceDueRollbacks } from "@/server/services/rollbacks/cycle-steps";
import { api, makeKey, makeUser, testDb, uniqueSlug, type TestKey } from "./helpers";

const db = testDb();
let admin: TestKey;
let publisher: TestKey;
let reader: TestKey;

beforeAll(async () => {
  admin = await makeKey(db, { scopes: ["policies:write"] });
  publisher = await makeKey(db, { scopes: ["snapshots:write"] });
  reader = await makeKey(db, { scopes: ["config:read"] });
});

async function newTarget(): Promise<string> {
  const slug = uniqueSlug();
  const response = await api("PUT", `/api/v1/targets/${slug}`, { key: admin, body: { name: `Route ${slug}` } });
  expect(response.status).toBe(201);
  return slug;
}

describe("PUT /api/v1/targets/{slug}", () => {
  it("creates with 201, updates with 200, keeps fields left out, and audits the key", async () => {
    const slug = uniqueSlug();
    const created = await api("PUT", `/api/v1/targets/${slug}`, {
      key: admin,
      body: { name: "Chat", description: "chat completions" },
    });
    expect(created.status).toBe(201);
    expect(created.body.target).toMatchObject({
      slug,
      name: "Chat",
      description: "chat completions",
      monitoringEnabled: true,
    });
    const updated = await api("PUT", `/api/v1/targets/${slug}`, {
      key: admin,
      body: { name: "Chat v2", monitoringEnabled: false },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.target).toMatchObject({
      name: "Chat v2",
      description: "chat completions",
      monitoringEnabled: false,
    });
    const events = await db.auditEvent.findMany({
      where: { targetId: created.body.target.id },
      orderBy: { sequence: "asc" },
    });
    expect(events.map((event) => [event.action, event.actorType, event.actorId])).toEqual([
      ["target.created", "API_KEY", admin.id],
      ["target.updated", "API_KEY", admin.id],
      ["target.monitoring_disabled", "API_KEY", admin.id],
    ]);
  });

  it("needs policies:write (403) and a valid body (422)", async () => {
    const slug = uniqueSlug();
    expect((await api("PUT", `/api/v1/targets/${slug}`, { key: publisher, body: { name: "x" } })).status).toBe(403);
    const invalid = await api("PUT", `/api/v1/targets/${slug}`, { key: admin, body: { name: "" } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.issues).toEqual({ name: "Name is required" });
    const badSlug = await api("PUT", "/api/v1/targets/Bad_Slug", { key: admin, body: { name: "x" } });
    expect(badSlug.status).toBe(422);
  });

  it("refuses a key whose allow-list does not name the target", async () => {
    const limited = await makeKey(db, { scopes: ["policies:write"], targets: ["some-other-target"] });
    const response = await api("PUT", `/api/v1/targets/${uniqueSlug()}`, { key: limited, body: { name: "x" } });
    expect(response.status).toBe(403);
  });
});

describe("PUT /api/v1/targets/{slug}/policy", () => {
  it("answers 422 with an issue per field and saves nothing", async () => {
    const slug = await newTarget();
    const response = await api("PUT", `/api/v1/targets/${slug}/policy`, {
      key: admin,
      body: { maxErrorRate: 2, steps: [50, 25], burnRate: { errorBudget: 0.5, factor: 10 } },
    });
    expect(response.status).toBe(422);
    expect(response.body.error.issues).toEqual({
      maxErrorRate: "Max error rate is a fraction and must be at most 1 (100%)",
      steps: "Steps must ascend and end at 100",
      "burnRate.factor": "Burn-rate factor × error budget must be below 100%, or the burn-rate alert could never fire",
    });
    expect(await db.policy.count({ where: { target: { slug } } })).toBe(0);
  });

  it("saves a new version (201) and treats the same policy again as a no-op (200)", async () => {
    const slug = await newTarget();
    const first = await api("PUT", `/api/v1/targets/${slug}/policy`, { key: admin, body: { minRequests: 20 } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ version: 1, changed: true, policy: { minRequests: 20, maxErrorRate: 0.05 } });
    const again = await api("PUT", `/api/v1/targets/${slug}/policy`, {
      key: admin,
      body: { maxErrorRate: 0.05, minRequests: 20 },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: 1, changed: false });
    expect(
      (await api("PUT", `/api/v1/targets/${slug}/policy`, { key: admin, body: { minRequests: 30 } })).body.version,
    ).toBe(2);
  });

  it("answers 404 for an unknown target", async () => {
    expect((await api("PUT", `/api/v1/targets/${uniqueSlug()}/policy`, { key: admin, body: {} })).status).toBe(404);
  });
});

describe("POST /api/v1/targets/{slug}/snapshots", () => {
  it("publishes with 201 and treats the current checksum again as a no-op 200", async () => {
    const slug = await newTarget();
    const config = { model: "gpt-4o", providers: [{ name: "openai", weight: 100 }], timeoutMs: 30_000 };
    const publish = (timestamp?: number) =>
      api("POST", `/api/v1/targets/${slug}/snapshots`, {
        key: publisher,
        body: { config, label: "deploy 1" },
        headers: { "idempotency-key": `publish-${slug}` },
        ...(timestamp !== undefined && { timestamp }),
      });
    const first = await publish();
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      version: 1,
      created: true,
      label: "deploy 1",
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // A retry with the Idempotency-Key (signed afresh) replays the 201, where publishing again would answer 200.
    const retry = await publish(Math.floor(Date.now() / 1000) + 1);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    // Key order does not change the checksum.
    const reordered = { timeoutMs: 30_000, providers: [{ weight: 100, name: "openai" }], model: "gpt-4o" };
    const again = await api("POST", `/api/v1/targets/${slug}/snapshots`, {
      key: publisher,
      body: { config: reordered },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, version: 1, checksum: first.body.checksum, created: false });
  });

  it("refuses a config that is not a JSON object with 422, and a key without snapshots:write with 403", async () => {
    const slug = await newTarget();
    const invalid = await api("POST", `/api/v1/targets/${slug}/snapshots`, {
      key: publisher,
      body: { config: [1, 2] },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.issues).toEqual({ config: "Config must be a JSON object" });
    const forbidden = await api("POST", `/api/v1/targets/${slug}/snapshots`, { key: reader, body: { config: {} } });
    expect(forbidden.status).toBe(403);
  });
});

describe("GET /api/v1/targets/{slug}/config", () => {
  it("serves the current snapshot and flags with a strong ETag, 304 on If-None-Match, no-store", async () => {
    const slug = await newTarget();
    const target = await db.target.findUniqueOrThrow({ where: { slug } });
    const empty = await api("GET", `/api/v1/targets/${slug}/config`, { key: reader });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ target: slug, snapshot: null, rollback: null });

    const config = { model: "claude", maxTokens: 1024 };
    const published = await api("POST", `/api/v1/targets/${slug}/snapshots`, { key: publisher, body: { config } });
    const flagKey = `${slug}-streaming`;
    await db.featureFlag.create({ data: { key: flagKey, enabled: true, targetId: target.id } });
    const response = await api("GET", `/api/v1/targets/${slug}/config`, { key: reader });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.body.snapshot).toEqual({
      id: published.body.id,
      version: 1,
      checksum: published.body.checksum,
      config,
    });
    expect(response.body.flags).toContainEqual({ key: flagKey, enabled: true, percent: 100 });
    const etag = response.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(etag).not.toBe(empty.headers.get("etag"));

    const cached = await api("GET", `/api/v1/targets/${slug}/config`, {
      key: reader,
      headers: { "if-none-match": etag ?? "" },
    });
    expect(cached.status).toBe(304);
    expect(cached.body).toBeNull();
    expect(cached.headers.get("etag")).toBe(etag);

    await db.featureFlag.update({ where: { key: flagKey }, data: { enabled: false } });
    const changed = await api("GET", `/api/v1/targets/${slug}/config`, {
      key: reader,
      headers: { "if-none-match": etag ?? "" },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);

    // A re-enablement step changes only the share: the orchestrator must see it too.
    await db.featureFlag.update({ where: { key: flagKey }, data: { enabled: true, percent: 10 } });
    const ramped = await api("GET", `/api/v1/targets/${slug}/config`, {
      key: reader,
      headers: { "if-none-match": changed.headers.get("etag") ?? "" },
    });
    expect(ramped.status).toBe(200);
    expect(ramped.body.flags).toContainEqual({ key: flagKey, enabled: true, percent: 10 });
  });

  it("serves both snapshots with their traffic weights while a rollback is in progress", async () => {
    const slug = await newTarget();
    const target = await db.target.findUniqueOrThrow({ where: { slug } });
    const good = await api("POST", `/api/v1/targets/${slug}/snapshots`, {
      key: publisher,
      body: { config: { model: "a" } },
    });
    await db.configSnapshot.update({ where: { id: good.body.id }, data: { knownGoodAt: new Date() } });
    await db.target.update({ where: { id: target.id }, data: { knownGoodSnapshotId: good.body.id } });
    const bad = await api("POST", `/api/v1/targets/${slug}/snapshots`, {
      key: publisher,
      body: { config: { model: "b" } },
    });
    expect(bad.body.version).toBe(2);

    const operator = await makeUser(db, "OPERATOR");
    const approver = await makeUser(db, "APPROVER");
    const now = new Date();
    const rollback = await requestManualRollback(
      db,
      { actor: userActor(operator.id), targetId: target.id, toSnapshotId: good.body.id, reason: "v2 times out" },
      now,
    );
    const pending = await api("GET", `/api/v1/targets/${slug}/config`, { key: reader });
    expect(pending.body.rollback).toBeNull();
    await approveRollback(db, { actor: userActor(approver.id), rollbackId: rollback.id }, now);
    await advanceDueRollbacks(db, { now, bucketWidthMs: 10_000 });

    const response = await api("GET", `/api/v1/targets/${slug}/config`, { key: reader });
    expect(response.status).toBe(200);
    expect(response.body.snapshot).toMatchObject({ id: bad.body.id, version: 2 });
    expect(response.body.rollback).toEqual({
      id: rollback.id,
      trafficPercent: 25,
      split: [
        { id: bad.body.id, version: 2, checksum: bad.body.checksum, config: { model: "b" }, weight: 75 },
        { id: good.body.id, version: 1, checksum: good.body.checksum, config: { model: "a" }, weight: 25 },
      ],
    });
    expect(response.headers.get("etag")).not.toBe(pending.headers.get("etag"));

    const status = await api("GET", `/api/v1/targets/${slug}/status`, { key: reader });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      target: { slug, monitoringEnabled: true },
      snapshots: { current: bad.body.id, knownGood: good.body.id },
      rollback: { id: rollback.id, trigger: "MANUAL", status: "IN_PROGRESS", trafficPercent: 25, steps: [25, 50, 100] },
    });
  });

  it("refuses a corrupted snapshot rather than serving it", async () => {
    const slug = await newTarget();
    // A body no other test sends: the same key signing identical bodies in one second is a replay.
    const published = await api("POST", `/api/v1/targets/${slug}/snapshots`, {
      key: publisher,
      body: { config: { model: "a", slug } },
    });
    expect(published.status).toBe(201);
    await db.configSnapshot.update({ where: { id: published.body.id }, data: { config: { model: "tampered" } } });
    const response = await api("GET", `/api/v1/targets/${slug}/config`, { key: reader });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(/failed its checksum/),
    });
  });

  it("answers 404 for an unknown target and 403 for a key without config:read", async () => {
    expect((await api("GET", `/api/v1/targets/${uniqueSlug()}/config`, { key: reader })).status).toBe(404);
    expect((await api("GET", `/api/v1/targets/${uniqueSlug()}/config`, { key: publisher })).status).toBe(403);
  });
});
