// API keys of machine clients: created by admins (the key and its signing secret are shown once), stored
// as a SHA-256 hash plus a display prefix, the signing secret encrypted with AES-256-GCM; authentication
// of requests by scope and target allow-list; revocation. Contract: docs/API.md.
import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { Prisma, type Db } from "../../db";
import { apiKeyScopes, createApiKeySchema, type ApiKeyScope, type CreateApiKeyInput } from "../../domain/api-keys";
import { AppError } from "../../domain/errors";
import { appendAudit, type Actor, type WithActor } from "../audit/audit-log";
import { retryOnConflict } from "../platform/retry";
import { openSecret, sealSecret } from "../platform/secret-box";
import { parseInput } from "../platform/validation";

const KEY_PREFIX = "rwd_";
const SECRET_PREFIX = "rws_";
/** "rwd_" and 8 random characters (48 bits): enough to tell keys apart, useless for guessing one. */
const DISPLAY_PREFIX_LENGTH = 12;
/** lastUsedAt is written at most this often per key, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

const apiKeySelect = {
  id: true,
  name: true,
  prefix: true,
  scopes: true,
  targetSlugs: true,
  signingRequired: true,
  createdById: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
} satisfies Prisma.ApiKeySelect;
type ApiKeyRow = Prisma.ApiKeyGetPayload<{ select: typeof apiKeySelect }>;

export type ApiKeyDto = Omit<ApiKeyRow, "scopes" | "targetSlugs"> & {
  scopes: ApiKeyScope[];
  /** Null: every target. */
  targetSlugs: string[] | null;
};

/** An authenticated request's key: what the HTTP layer needs to authorize, sign-check and audit. */
export type ApiKeyPrincipal = ApiKeyDto & { signingSecretEncrypted: string };

/**
 * The columns `apiKeySelect` reads, and the signing secret, for the raw lookup in `authenticateApiKey`. Both
 * databases' adapters return these plain columns typed as the model query does (Date, boolean, string or null).
 */
const principalColumns = Prisma.raw(
  [...Object.keys(apiKeySelect), "signingSecretEncrypted"].map((column) => `"${column}"`).join(", "),
);

function toDto(row: ApiKeyRow): ApiKeyDto {
  return {
    ...row,
    scopes: row.scopes.split(",").filter((scope): scope is ApiKeyScope => apiKeyScopes.includes(scope as ApiKeyScope)),
    targetSlugs: row.targetSlugs === null ? null : row.targetSlugs.split(","),
  };
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** The signing secret of an authenticated key, to verify its request signatures. */
export function signingSecretOf(
  key: Pick<ApiKeyPrincipal, "prefix" | "signingSecretEncrypted">,
  encryptionKey: Buffer,
): string {
  // The key's prefix is the associated data: rows cannot swap secrets.
  return openSecret(key.signingSecretEncrypted, key.prefix, encryptionKey, `API key ${key.prefix}`);
}

export interface CreatedApiKey {
  apiKey: ApiKeyDto;
  /** Shown once: only the hash is stored. */
  key: string;
  /** Shown once: stored encrypted, for verifying signatures. */
  signingSecret: string;
}

export function createApiKey(
  db: Db,
  { actor, ...input }: WithActor<CreateApiKeyInput>,
  options: { now: Date; encryptionKey: Buffer },
): Promise<CreatedApiKey> {
  const { name, scopes, targetSlugs, signingRequired } = parseInput(createApiKeySchema, input);
  const { now, encryptionKey } = options;
  // Generated inside the retried attempt: a prefix collision (unique) retries with a fresh key.
  return retryOnConflict(() => {
    const key = KEY_PREFIX + randomBytes(32).toString("base64url");
    const signingSecret = SECRET_PREFIX + randomBytes(32).toString("base64url");
    const prefix = key.slice(0, DISPLAY_PREFIX_LENGTH);
    return db.$transaction(async (tx) => {
      const row = await tx.apiKey.create({
        data: {
          name,
          prefix,
          keyHash: hashApiKey(key),
          scopes: scopes.join(","),
          targetSlugs: targetSlugs ? targetSlugs.join(",") : null,
          signingSecretEncrypted: sealSecret(signingSecret, prefix, encryptionKey),
          signingRequired,
          createdById: actor.type === "USER" ? actor.id : null,
          createdAt: now,
        },
        select: apiKeySelect,
      });
      await appendAudit(
        tx,
        {
          actor,
          action: "api_key.created",
          entityType: "ApiKey",
          entityId: row.id,
          after: { name, prefix, scopes, targetSlugs: targetSlugs ?? null, signingRequired },
        },
        now,
      );
      return { apiKey: toDto(row), key, signingSecret };
    });
  });
}

/** Newest first; never hashes or secrets. */
export async function listApiKeys(db: Db): Promise<ApiKeyDto[]> {
  const rows = await db.apiKey.findMany({ select: apiKeySelect, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
  return rows.map(toDto);
}

const revokeSchema = z.object({ id: z.string().min(1, "Key is required") });

/** Takes effect on the key's next request. Revoking a revoked key changes nothing. */
export function revokeApiKey(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof revokeSchema>>,
  now: Date,
): Promise<ApiKeyDto> {
  const { id } = parseInput(revokeSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const row = await tx.apiKey.findUnique({ where: { id }, select: apiKeySelect });
      if (!row) throw new AppError("NOT_FOUND", "No such API key");
      if (row.revokedAt) return toDto(row);
      const revoked = await tx.apiKey.update({ where: { id }, data: { revokedAt: now }, select: apiKeySelect });
      await appendAudit(
        tx,
        {
          actor,
          action: "api_key.revoked",
          entityType: "ApiKey",
          entityId: id,
          before: { revokedAt: null },
          after: { name: row.name, prefix: row.prefix, revokedAt: now.toISOString() },
        },
        now,
      );
      return toDto(revoked);
    }),
  );
}

/**
 * The key behind `Authorization: Bearer <key>`: unknown or revoked → UNAUTHORIZED; without `scope`, or
 * (with `targetSlug`) not allowed that target → FORBIDDEN. Records the last use at most once a minute.
 */
export async function authenticateApiKey(
  db: Db,
  bearer: string | null,
  required: { scope: ApiKeyScope; targetSlug?: string },
  now: Date,
): Promise<ApiKeyPrincipal> {
  if (!bearer) throw new AppError("UNAUTHORIZED", "Send an API key: Authorization: Bearer <key>");
  // Raw SQL: every machine request pays this lookup, and a model query costs more CPU than the query itself.
  const [row] = bearer.startsWith(KEY_PREFIX)
    ? await db.$queryRaw<(ApiKeyRow & { signingSecretEncrypted: string })[]>`
        SELECT ${principalColumns} FROM "ApiKey" WHERE "keyHash" = ${hashApiKey(bearer)}`
    : [];
  if (!row) throw new AppError("UNAUTHORIZED", "Unknown API key");
  if (row.revokedAt) throw new AppError("UNAUTHORIZED", `API key ${row.prefix}… was revoked`);
  const key: ApiKeyPrincipal = { ...toDto(row), signingSecretEncrypted: row.signingSecretEncrypted };
  if (!key.scopes.includes(required.scope)) {
    throw new AppError("FORBIDDEN", `API key ${key.prefix}… lacks the ${required.scope} scope`);
  }
  if (required.targetSlug !== undefined) assertKeyMayUseTarget(key, required.targetSlug);
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    // Conditional, so concurrent requests of one key write once; best effort: a lost write is harmless.
    const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    await db.$executeRaw`
      UPDATE "ApiKey" SET "lastUsedAt" = ${now}
      WHERE "id" = ${row.id} AND ("lastUsedAt" IS NULL OR "lastUsedAt" <= ${staleBefore})`.catch(() => undefined);
  }
  return key;
}

/** For endpoints whose target is in the body rather than the path. */
export function assertKeyMayUseTarget(key: Pick<ApiKeyDto, "prefix" | "targetSlugs">, slug: string): void {
  if (key.targetSlugs !== null && !key.targetSlugs.includes(slug)) {
    throw new AppError("FORBIDDEN", `API key ${key.prefix}… may not use target ${slug}`);
  }
}

/** Who a machine request acts as, in the audit history. */
export function apiKeyActor(key: Pick<ApiKeyDto, "id">): Actor {
  return { type: "API_KEY", id: key.id };
}
