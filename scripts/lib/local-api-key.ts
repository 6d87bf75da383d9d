// API keys made directly in the local database (DATABASE_URL from the environment or .env), as an admin would
// in Settings: `npm run apikey:create`, and the traffic simulator's own key when it is given no --key.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ApiKeyScope } from "../../server/domain/api-keys";
import { describeDatabase } from "../../server/db/url";
import { applyPendingMigrations } from "./migrations";
import { databaseId } from "./server-record";
import { ensureApiKeyEncryptionKey, loadEnvironment, root } from "./setup";

export interface LocalApiKey {
  id: string;
  key: string;
  signingSecret: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  targetSlugs: string[] | null;
  signingRequired: boolean;
  /** Where it was stored, safe to print. */
  database: string;
  /** Who the audit says created it. */
  createdBy: string;
}

/**
 * Loads .env and makes sure the encryption key exists (data/api-key-encryption-key, as `npm start` does). The
 * database modules are imported after that: they validate the environment when loaded.
 */
async function openLocalDatabase() {
  loadEnvironment();
  ensureApiKeyEncryptionKey();
  const databaseUrl = process.env.DATABASE_URL as string;
  const { apiKeyEncryptionKey } = await import("../../server/env.js");
  const { createDb } = await import("../../server/db");
  return { databaseUrl, db: createDb(databaseUrl), encryptionKey: apiKeyEncryptionKey() };
}

/**
 * Creates a key through the service. `migrate` applies pending migrations first (a CLI may run before the
 * first start); `as` names the admin the audit records (else the command line, scripts/lib/command-line-actor.ts).
 */
export async function createLocalApiKey(input: {
  name: string;
  scopes: string[];
  targetSlugs: string[] | null;
  signingRequired: boolean;
  migrate: boolean;
  as?: string;
}): Promise<LocalApiKey> {
  loadEnvironment();
  if (input.migrate) await applyPendingMigrations(process.env.DATABASE_URL as string, (line) => console.log(line));
  const { databaseUrl, db, encryptionKey } = await openLocalDatabase();
  const { createApiKey } = await import("../../server/services/access/api-keys");
  const { resolveActor } = await import("./command-line-actor");
  try {
    const { actor, label } = await resolveActor(db, input.as);
    const created = await createApiKey(
      db,
      {
        actor,
        name: input.name,
        scopes: input.scopes as ApiKeyScope[],
        targetSlugs: input.targetSlugs,
        signingRequired: input.signingRequired,
      },
      { now: new Date(), encryptionKey },
    );
    const { apiKey } = created;
    return {
      id: apiKey.id,
      key: created.key,
      signingSecret: created.signingSecret,
      name: apiKey.name,
      prefix: apiKey.prefix,
      scopes: apiKey.scopes,
      targetSlugs: apiKey.targetSlugs,
      signingRequired: apiKey.signingRequired,
      database: describeDatabase(databaseUrl),
      createdBy: label,
    };
  } finally {
    await db.$disconnect();
  }
}

/** Where the simulator keeps its key for a database. */
export function simulatorKeyFile(databaseUrl: string): string {
  return path.join(root, "data", `simulator-key-${databaseId(databaseUrl)}.json`);
}

/**
 * The simulator's key, reused across runs so that runs do not leave keys behind: one key named "simulator"
 * per database, with the scopes the simulator needs on every target (its targets are new each run), kept in
 * data/simulator-key-<database>.json (readable by this user only, beside data/api-key-encryption-key, which
 * would open its secret anyway). It is reused while it is active and has these scopes; otherwise a new one
 * replaces it and the old one, if still active, is revoked. Revoke it in Settings → API keys when done; the
 * next run makes a new one.
 */
export async function simulatorApiKey(scopes: readonly ApiKeyScope[]): Promise<LocalApiKey & { reused: boolean }> {
  const { databaseUrl, db, encryptionKey } = await openLocalDatabase();
  const file = simulatorKeyFile(databaseUrl);
  const database = describeDatabase(databaseUrl);
  const { createApiKey, listApiKeys, revokeApiKey } = await import("../../server/services/access/api-keys");
  const { resolveActor } = await import("./command-line-actor");
  try {
    const stored = readStoredKey(file);
    const row = stored?.database === database ? (await listApiKeys(db)).find((key) => key.id === stored.id) : undefined;
    const { actor, label } = await resolveActor(db, undefined);
    if (stored && row && !row.revokedAt) {
      const same =
        row.prefix === stored.prefix &&
        row.targetSlugs === null &&
        row.signingRequired &&
        sameScopes(row.scopes, scopes);
      if (same) return { ...stored, scopes: row.scopes, createdBy: label, reused: true };
      await revokeApiKey(db, { actor, id: row.id }, new Date());
    }
    const created = await createApiKey(
      db,
      { actor, name: "simulator", scopes: [...scopes], targetSlugs: null, signingRequired: true },
      { now: new Date(), encryptionKey },
    );
    const key: LocalApiKey = {
      id: created.apiKey.id,
      key: created.key,
      signingSecret: created.signingSecret,
      name: created.apiKey.name,
      prefix: created.apiKey.prefix,
      scopes: created.apiKey.scopes,
      targetSlugs: null,
      signingRequired: true,
      database,
      createdBy: label,
    };
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    return { ...key, reused: false };
  } finally {
    await db.$disconnect();
  }
}

function readStoredKey(file: string): LocalApiKey | null {
  if (!existsSync(file)) return null;
  try {
    const stored = JSON.parse(readFileSync(file, "utf8")) as Partial<LocalApiKey>;
    const complete = ["id", "key", "signingSecret", "prefix", "database"].every(
      (field) => typeof stored[field as keyof LocalApiKey] === "string",
    );
    return complete ? (stored as LocalApiKey) : null;
  } catch {
    return null;
  }
}

function sameScopes(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && b.every((scope) => a.includes(scope));
}
