// POST /api/v1/rollbacks/{id}/abort (scope rollbacks:write): abort an in-progress rollback: all traffic back on the snapshot from before it,
// with a reason, audited with the key. docs/API.md
import { machineRoute } from "@/server/api/http";
import { endRollbackForKey } from "@/server/services/machine/rollbacks-api";

export const dynamic = "force-dynamic";

export const POST = machineRoute<{ id: string }>(
  { scope: "rollbacks:write", body: true, idempotent: true },
  async ({ db, key, params, body, now, recordRequest }) => ({
    status: 200,
    body: await endRollbackForKey(db, { key, rollbackId: params.id, action: "abort", body }, now, {
      // The signature is spent, and the Idempotency-Key response stored, in the abort's transaction.
      ...(recordRequest && {
        inTransaction: (tx, committed) => recordRequest(tx, { status: 200, body: committed }),
      }),
    }),
  }),
);
