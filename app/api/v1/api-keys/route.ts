// GET and POST /api/v1/api-keys (scope admin): list API keys, create one (its key and signing secret are in
// this answer only). docs/API.md
import { apiKeyEncryptionKey } from "@/server/env.js";
import { machineRoute } from "@/server/api/http";
import { createApiKeyForKey, listApiKeysForKey } from "@/server/services/machine/admin-api";

export const dynamic = "force-dynamic";

export const GET = machineRoute({ scope: "admin" }, async ({ db }) => ({
  status: 200,
  body: { items: await listApiKeysForKey(db) },
}));

// No Idempotency-Key: a kept response would store the key and its secret in clear for a day.
export const POST = machineRoute({ scope: "admin", body: true }, async ({ db, key, body, now }) => ({
  status: 201,
  body: await createApiKeyForKey(db, { key, body }, { now, encryptionKey: apiKeyEncryptionKey() }),
}));
