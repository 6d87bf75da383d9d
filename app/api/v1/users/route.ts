// POST /api/v1/users (scope admin): create a user; without a password one is generated and returned once.
// docs/API.md
import { machineRoute } from "@/server/api/http";
import { createUserForKey } from "@/server/services/machine/admin-api";

export const dynamic = "force-dynamic";

// No Idempotency-Key: a kept response would store a generated password in clear for a day.
export const POST = machineRoute({ scope: "admin", body: true }, async ({ db, key, body, now }) => ({
  status: 201,
  body: await createUserForKey(db, { key, body }, now),
}));
