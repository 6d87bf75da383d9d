// GET /api/v1/rollbacks/{id} (scope rollbacks:read): one rollback with steps, step checks, arms, approvals,
// verification and timeline. docs/API.md
import { machineRoute } from "@/server/api/http";
import { getRollbackForKey } from "@/server/services/machine/rollbacks-api";

export const dynamic = "force-dynamic";

export const GET = machineRoute<{ id: string }>({ scope: "rollbacks:read" }, async ({ db, key, params, now }) => ({
  status: 200,
  body: await getRollbackForKey(db, { key, rollbackId: params.id }, now),
}));
