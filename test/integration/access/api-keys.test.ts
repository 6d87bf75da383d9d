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
    const { key } = await create({ targetSlugs: ["chat"] });
    await expect(authenticateApiKey(db, key, { scope: "ingest", targetSlug: "chat" }, now)).resolves.toMatchObject({
      scopes: ["ingest", "config:read"],
    });
    expect(await refusal(authenticateApiKey(db, key, { scope: "policies:write" }, now))).toMatch(
      /^FORBIDDEN: .* lacks the policies:write scope/,
    );
    expect(await refusal(authenticateApiKey(db, key, { scope: "ingest", targetSlug: "embeddings" }, now))).toMatch(
      /^FORBIDDEN: .* may not use target embeddings/,
    );
    expect(await refusal(authenticateApiKey(db, null, { scope: "ingest" }, now))).toMatch(/^UNAUTHORIZED/);
    expect(await refusal(authenticateApiKey(db, `${key}x`, { scope: "ingest" }, now))).toBe(
      "UNAUTHORIZED: Unknown API key",
    );
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
