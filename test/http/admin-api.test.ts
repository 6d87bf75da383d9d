// Admin automation over the machine API: a key with the `admin` scope lists, creates and revokes API keys and
// creates users, each audited with the key; the new key's secret (or the user's generated password) is shown once.
import { beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "@/server/domain/api-keys";
import { verifyPassword } from "@/server/services/access/passwords";
import { api, makeKey, testDb, uniqueSlug, type TestKey } from "./helpers";
import { uniqueEmail } from "../integration/helpers";

const db = testDb();
let admin: TestKey;

beforeAll(async () => {
  admin = await makeKey(db, { scopes: ["admin"] });
});

describe("POST /api/v1/api-keys", () => {
  it("creates a key whose key and secret work at once, audited with the admin key", async () => {
    const slug = uniqueSlug();
    const response = await api("POST", "/api/v1/api-keys", {
      key: admin,
      body: { name: "release bot", scopes: ["rollbacks:read", "rollbacks:write"], targetSlugs: [slug] },
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      apiKey: expect.objectContaining({
        name: "release bot",
        scopes: ["rollbacks:read", "rollbacks:write"],
        targetSlugs: [slug],
        signingRequired: true,
        createdById: null,
        revokedAt: null,
      }),
      key: expect.stringMatching(/^rwd_/),
      signingSecret: expect.stringMatching(/^rws_/),
    });
    expect(JSON.stringify(response.body)).not.toMatch(/keyHash|signingSecretEncrypted/);
    const created: TestKey = {
      id: response.body.apiKey.id,
      key: response.body.key,
      secret: response.body.signingSecret,
    };
    expect((await api("GET", "/api/v1/rollbacks", { key: created })).status).toBe(200);
    expect(await db.auditEvent.findFirst({ where: { entityId: created.id, action: "api_key.created" } })).toMatchObject(
      { actorType: "API_KEY", actorId: admin.id },
    );

    // The secret is shown once: the list never carries it.
    const list = await api("GET", "/api/v1/api-keys", { key: admin });
    expect(list.status).toBe(200);
    expect(list.body.items).toContainEqual(expect.objectContaining({ id: created.id, name: "release bot" }));
    expect(JSON.stringify(list.body)).not.toContain(created.secret);
    expect(JSON.stringify(list.body)).not.toMatch(/keyHash|signingSecretEncrypted|rwd_[A-Za-z0-9_-]{20}/);
  });

  it("may mint any scope, admin included (as an admin user may), but not an admin key limited to targets", async () => {
    const minted = await api("POST", "/api/v1/api-keys", {
      key: admin,
      body: { name: "second admin", scopes: ["admin", "ingest"], signingRequired: false },
    });
    expect(minted.status).toBe(201);
    expect(minted.body.apiKey).toMatchObject({
      scopes: ["admin", "ingest"],
      targetSlugs: null,
      signingRequired: false,
    });

    const before = await db.apiKey.count();
    const refusals: [unknown, string[]][] = [
      [{ name: "scoped admin", scopes: ["admin"], targetSlugs: ["chat"] }, ["targetSlugs"]],
      [{ name: "x", scopes: ["root"] }, ["scopes.0"]],
      [{ name: "", scopes: [] }, ["name", "scopes"]],
      [{ name: "x", scopes: ["ingest"], targetSlugs: ["Not A Slug"] }, ["targetSlugs.0"]],
      [["not", "an", "object"], ["_"]],
    ];
    for (const [body, issues] of refusals) {
      const response = await api("POST", "/api/v1/api-keys", { key: admin, body });
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(Object.keys(response.body.error.issues)).toEqual(issues);
    }
    expect(await db.apiKey.count()).toBe(before);
  });

  it("refuses keys without the admin scope (403) and unsigned bodies from a signing admin key (401)", async () => {
    const other = await makeKey(db, { scopes: ["rollbacks:write", "policies:write", "config:read"] });
    const body = { name: "escalation", scopes: ["admin"] };
    expect((await api("POST", "/api/v1/api-keys", { key: other, body })).status).toBe(403);
    expect((await api("GET", "/api/v1/api-keys", { key: other })).status).toBe(403);
    expect((await api("POST", "/api/v1/users", { key: other, body: { email: uniqueEmail() } })).status).toBe(403);
    expect((await api("DELETE", `/api/v1/api-keys/${admin.id}`, { key: other })).status).toBe(403);
    expect((await api("POST", "/api/v1/api-keys", { key: admin, body, signature: false })).status).toBe(401);
    expect(await db.apiKey.count({ where: { name: "escalation" } })).toBe(0);
  });
});

describe("DELETE /api/v1/api-keys/{id}", () => {
  /** A DELETE signed over its empty body, as docs/API.md shows. */
  const revoke = (id: string, options: { signed?: boolean; as?: TestKey } = {}) => {
    const by = options.as ?? admin;
    const headers: Record<string, string> = {};
    if (options.signed !== false)
      headers["x-rewind-signature"] = signRequest(by.secret, Math.floor(Date.now() / 1000), "");
    return api("DELETE", `/api/v1/api-keys/${id}`, { key: by, headers });
  };

  it("revokes a key, refused on its next request, audited with the admin key", async () => {
    const victim = await makeKey(db, { scopes: ["rollbacks:read"] });
    expect((await api("GET", "/api/v1/rollbacks", { key: victim })).status).toBe(200);

    const unsigned = await revoke(victim.id, { signed: false });
    expect(unsigned.status).toBe(401);
    expect((await api("GET", "/api/v1/rollbacks", { key: victim })).status).toBe(200);

    const response = await revoke(victim.id);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: victim.id, revokedAt: expect.any(String) });
    expect((await api("GET", "/api/v1/rollbacks", { key: victim })).status).toBe(401);
    expect(await db.auditEvent.findFirst({ where: { entityId: victim.id, action: "api_key.revoked" } })).toMatchObject({
      actorType: "API_KEY",
      actorId: admin.id,
    });
  });

  it("is 404 for an unknown or malformed id", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // a new second: a fresh signature of the empty body
    expect((await revoke("cmissing000000000000000000")).status).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await revoke("%00")).status).toBe(404);
  });
});

describe("POST /api/v1/users", () => {
  it("creates a user with a generated password shown once, audited with the admin key", async () => {
    const email = uniqueEmail("oncall");
    const response = await api("POST", "/api/v1/users", {
      key: admin,
      body: { email: email.toUpperCase(), name: "On-call engineer", role: "APPROVER" },
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      user: {
        id: expect.any(String),
        email,
        name: "On-call engineer",
        role: "APPROVER",
        disabled: false,
        createdAt: expect.any(String),
      },
      password: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/),
    });
    const stored = await db.user.findUniqueOrThrow({ where: { email } });
    expect(await verifyPassword(response.body.password, stored.passwordHash)).toBe(true);
    expect(await db.auditEvent.findFirst({ where: { entityId: stored.id, action: "user.created" } })).toMatchObject({
      actorType: "API_KEY",
      actorId: admin.id,
    });

    const chosen = await api("POST", "/api/v1/users", {
      key: admin,
      body: { email: uniqueEmail("viewer"), name: "Viewer", role: "VIEWER", password: "correct horse battery staple" },
    });
    expect(chosen.status).toBe(201);
    expect(chosen.body).not.toHaveProperty("password");
  });

  it("refuses bad input with 422 by field and a taken email with 409, creating nobody", async () => {
    const before = await db.user.count();
    const refusals: [unknown, number, string[]][] = [
      [{ email: "not-an-email", name: "X", role: "VIEWER" }, 422, ["email"]],
      [{ email: uniqueEmail(), name: "X", role: "ROOT" }, 422, ["role"]],
      [{ email: uniqueEmail(), name: "", role: "VIEWER" }, 422, ["name"]],
      [{ email: uniqueEmail(), name: "X", role: "VIEWER", password: "short" }, 422, ["password"]],
      [{ email: uniqueEmail(), name: "X", role: "VIEWER", password: null }, 422, ["password"]],
      [JSON.stringify("a string"), 422, ["_"]],
    ];
    for (const [body, status, issues] of refusals) {
      const response = await api("POST", "/api/v1/users", { key: admin, body });
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(Object.keys(response.body.error.issues)).toEqual(issues);
    }
    const existing = await db.user.findFirstOrThrow({ select: { email: true } });
    const taken = await api("POST", "/api/v1/users", {
      key: admin,
      body: { email: existing.email, name: "Twin", role: "VIEWER" },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.issues).toEqual({ email: "A user with this email already exists" });
    expect(await db.user.count()).toBe(before);
  });
});
