import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/domain/errors";
import { systemActor, userActor } from "@/server/services/audit/audit-log";
import {
  authenticateApiKey,
  createApiKey,
  hashApiKey,
  listApiKeys,
  revokeApiKey,
  signingSecretOf,
} from "@/server/services/access/api-keys";
import { callerFor, makeUser, testDb } from "../helpers";

const db = testDb();
const encryptionKey = randomBytes(32);
const now = new Date("2026-05-01T12:00:00Z");

function create(input: Partial<Parameters<typeof createApiKey>[1]> = {}) {
  return createApiKey(
    db,
    { actor: systemActor, name: "orchestrator", scopes: ["ingest", "config:read"], ...input },
    { now, encryptionKey },
  );
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("API keys", () => {
  it("are returned once, stored as a hash and an encrypted secret, and listed without either", async () => {
    const { apiKey, key, signingSecret } = await create({ targetSlugs: ["chat"] });
    expect(key).toMatch(/^rwd_[A-Za-z0-9_-]{43}$/);
    expect(signingSecret).toMatch(/^rws_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({
      prefix: key.slice(0, 12),
      scopes: ["ingest", "config:read"],
      targetSlugs: ["chat"],
    });
    const row = await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(row.keyHash).toBe(hashApiKey(key));
    expect(row.signingSecretEncrypted).not.toContain(signingSecret.slice(4));
    expect(signingSecretOf(row, encryptionKey)).toBe(signingSecret);
    expect(() => signingSecretOf(row, randomBytes(32))).toThrow(/cannot be decrypted/);
    const listed = (await listApiKeys(db)).find((item) => item.id === apiKey.id);
    expect(listed).toBeDefined();
    expect(Object.keys(listed ?? {})).not.toContain("keyHash");
    expect(Object.keys(listed ?? {})).not.toContain("signingSecretEncrypted");
  });

  it("authenticate by scope and target allow-list", async () => {
    const { apiKey, key } = await create({ targetSlugs: ["chat"] });
    await expect(authenticateApiKey(db, key, { scope: "ingest", targetSlug: "chat" }, now)).resolves.toMatchObject({
      scopes: ["ingest", "config:read"],
      targetSlugs: ["chat"],
    });
    expect(await refusal(authenticateApiKey(db, key, { scope: "policies:write" }, now))).toBe(
      `FORBIDDEN: API key ${apiKey.prefix}… lacks the policies:write scope`,
    );
    expect(await refusal(authenticateApiKey(db, key, { scope: "ingest", targetSlug: "embeddings" }, now))).toBe(
      `FORBIDDEN: API key ${apiKey.prefix}… may not use target embeddings`,
    );
    expect(await refusal(authenticateApiKey(db, null, { scope: "ingest" }, now))).toBe(
      "UNAUTHORIZED: Send an API key: Authorization: Bearer <key>",
    );
    expect(await refusal(authenticateApiKey(db, `${key}x`, { scope: "ingest" }, now))).toBe(
      "UNAUTHORIZED: Unknown API key",
    );
    expect(await refusal(authenticateApiKey(db, key.slice(4), { scope: "ingest" }, now))).toBe(
      "UNAUTHORIZED: Unknown API key",
    );
  });

  it("authenticate to the key as the model reads it: column types, scopes, targets (null: all), secret", async () => {
    const admin = await makeUser(db, "ADMIN");
    const everyTarget = await create({ scopes: ["snapshots:write", "ingest"], targetSlugs: null });
    const twoTargets = await createApiKey(
      db,
      { actor: userActor(admin.id), name: "ci", scopes: ["policies:write"], targetSlugs: ["chat", "search"] },
      { now, encryptionKey },
    );
    const unsigned = await create({ scopes: ["config:read"], signingRequired: false });
    const cases = [
      { created: everyTarget, scope: "snapshots:write", targetSlug: "anything" },
      { created: twoTargets, scope: "policies:write", targetSlug: "search" },
      { created: unsigned, scope: "config:read", targetSlug: undefined },
    ] as const;
    for (const { created, scope, targetSlug } of cases) {
      const stored = await db.apiKey.findUniqueOrThrow({ where: { id: created.apiKey.id } });
      const principal = await authenticateApiKey(db, created.key, { scope, targetSlug }, now);
      expect(principal).toStrictEqual({ ...created.apiKey, signingSecretEncrypted: stored.signingSecretEncrypted });
      expect(principal.createdAt).toBeInstanceOf(Date);
      expect(signingSecretOf(principal, encryptionKey)).toBe(created.signingSecret);
    }
    expect(everyTarget.apiKey).toMatchObject({
      scopes: ["snapshots:write", "ingest"],
      targetSlugs: null,
      signingRequired: true,
      createdById: null,
    });
    expect(twoTargets.apiKey).toMatchObject({ targetSlugs: ["chat", "search"], createdById: admin.id });
    expect(unsigned.apiKey.signingRequired).toBe(false);

    // Read again a minute later: the last use written above comes back as a Date.
    const later = new Date(now.getTime() + 60_000);
    const again = await authenticateApiKey(db, everyTarget.key, { scope: "ingest", targetSlug: "other" }, later);
    expect(again.lastUsedAt).toEqual(now);
    expect(again.lastUsedAt).toBeInstanceOf(Date);
    expect(
      await refusal(authenticateApiKey(db, twoTargets.key, { scope: "policies:write", targetSlug: "chat2" }, now)),
    ).toBe(`FORBIDDEN: API key ${twoTargets.apiKey.prefix}… may not use target chat2`);
    expect(await refusal(authenticateApiKey(db, unsigned.key, { scope: "ingest" }, now))).toBe(
      `FORBIDDEN: API key ${unsigned.apiKey.prefix}… lacks the ingest scope`,
    );
  });

  it("refuse a revoked key before checking its scope, and do not record its use", async () => {
    const { apiKey, key } = await create();
    await revokeApiKey(db, { actor: systemActor, id: apiKey.id }, now);
    for (const scope of ["ingest", "policies:write"] as const) {
      expect(await refusal(authenticateApiKey(db, key, { scope }, now))).toBe(
        `UNAUTHORIZED: API key ${apiKey.prefix}… was revoked`,
      );
    }
    expect((await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } })).lastUsedAt).toBeNull();
  });

  it("record the last use at most once a minute", async () => {
    const { apiKey, key } = await create();
    const lastUsed = async () => (await db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } })).lastUsedAt;
    await authenticateApiKey(db, key, { scope: "ingest" }, now);
    expect(await lastUsed()).toEqual(now);
    await authenticateApiKey(db, key, { scope: "ingest" }, new Date(now.getTime() + 59_000));
    expect(await lastUsed()).toEqual(now);
    const later = new Date(now.getTime() + 60_000);
    await authenticateApiKey(db, key, { scope: "ingest" }, later);
    expect(await lastUsed()).toEqual(later);
  });

  it("are created and revoked by admins only, audited with the admin as actor", async () => {
    const admin = await makeUser(db, "ADMIN");
    const operator = await makeUser(db, "OPERATOR");
    const asAdmin = await callerFor(db, admin.id);
    await expect((await callerFor(db, operator.id)).apiKeys.list()).rejects.toThrow(/admin role/);
    const input = { name: "ci", scopes: ["snapshots:write" as const], targetSlugs: null, signingRequired: false };
    await expect((await callerFor(db, operator.id)).apiKeys.create(input)).rejects.toThrow(/admin role/);

    const { apiKey, key } = await createApiKey(db, { actor: userActor(admin.id), ...input }, { now, encryptionKey });
    const revoked = await asAdmin.apiKeys.revoke({ id: apiKey.id });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await refusal(authenticateApiKey(db, key, { scope: "snapshots:write" }, now))).toMatch(
      /^UNAUTHORIZED: .* was revoked/,
    );
    const again = await revokeApiKey(db, { actor: userActor(admin.id), id: apiKey.id }, new Date());
    expect(again.revokedAt).toEqual(revoked.revokedAt);
    const events = await db.auditEvent.findMany({ where: { entityId: apiKey.id }, orderBy: { sequence: "asc" } });
    expect(events.map((event) => [event.action, event.actorType, event.actorId])).toEqual([
      ["api_key.created", "USER", admin.id],
      ["api_key.revoked", "USER", admin.id],
    ]);
  });
});
