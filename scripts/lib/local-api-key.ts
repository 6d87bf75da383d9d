// Creating an API key directly in the local database (DATABASE_URL from the environment or .env), as an
// admin would in Settings: `npm run apikey:create` and the traffic simulator without --key share it.
import type { ApiKeyScope } from "../../server/domain/api-keys";
import { ensureApiKeyEncryptionKey, loadEnvironment, migrateDeploy } from "./setup";

export interface LocalApiKey {
  key: string;
  signingSecret: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  targetSlugs: string[] | null;
  signingRequired: boolean;
  /** Where it was stored, safe to print. */
  database: string;
}

/**
 * Loads .env, makes sure the encryption key exists (data/api-key-encryption-key, as `npm start` does) and
 * creates the key through the service, acting as the system. `migrate` applies pending migrations first
 * (for a CLI that may run before the first start).
 */
export async function createLocalApiKey(input: {
  name: string;
  scopes: string[];
  targetSlugs: string[] | null;
  signingRequired: boolean;
  migrate: boolean;
}): Promise<LocalApiKey> {
  loadEnvironment();
  ensureApiKeyEncryptionKey();
  const databaseUrl = process.env.DATABASE_URL as string;
  if (input.migrate) migrateDeploy(databaseUrl);
  // Imported after the environment is complete: these modules validate it when loaded.
  const { apiKeyEncryptionKey } = await import("../../server/env.js");
  const { createDb } = await import("../../server/db");
  const { describeDatabase } = await import("../../server/db/url");
  const { systemActor } = await import("../../server/services/audit/audit-log");
  const { createApiKey } = await import("../../server/services/access/api-keys");
  const db = createDb(databaseUrl);
  try {
    const created = await createApiKey(
      db,
      {
        actor: systemActor,
        name: input.name,
        scopes: input.scopes as ApiKeyScope[],
        targetSlugs: input.targetSlugs,
        signingRequired: input.signingRequired,
      },
      { now: new Date(), encryptionKey: apiKeyEncryptionKey() },
    );
    const { apiKey } = created;
    return {
      key: created.key,
      signingSecret: created.signingSecret,
      name: apiKey.name,
      prefix: apiKey.prefix,
      scopes: apiKey.scopes,
      targetSlugs: apiKey.targetSlugs,
      signingRequired: apiKey.signingRequired,
      database: describeDatabase(databaseUrl),
    };
  } finally {
    await db.$disconnect();
  }
}
