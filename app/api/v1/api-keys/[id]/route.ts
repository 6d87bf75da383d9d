// DELETE /api/v1/api-keys/{id} (scope admin): revoke a key; it is refused from its next request. Signed over the
// empty body when the admin key signs. docs/API.md
import { machineRoute } from "@/server/api/http";
import { revokeApiKeyForKey } from "@/server/services/machine/admin-api";

export const dynamic = "force-dynamic";

export const DELETE = machineRoute<{ id: string }>(
  { scope: "admin", body: "optional" },
  async ({ db, key, params, now }) => ({
    status: 200,
    body: await revokeApiKeyForKey(db, { key, id: params.id }, now),
  }),
);
