// POST /api/v1/rollbacks/{id}/cancel (scope rollbacks:write): cancel a pending or approved rollback, before traffic moved,
// with a reason, audited with the key. docs/API.md
import { machineRoute } from "@/server/api/http";
import { endRollbackForKey } from "@/server/services/machine/rollbacks-api";

export const dynamic = "force-dynamic";

export const POST = machineRoute<{ id: string }>(
  { scope: "rollbacks:write", body: true, idempotent: true },
  async ({ db, key, params, body, now, recordRequest }) => ({
    status: 200,
    body: await endRollbackForKey(db, { key, rollbackId: params.id, action: "cancel", body }, now, {
      // The signature is spent, and the Idempotency-Key response stored, in the cancellation's transaction.
      ...(recordRequest && {
        inTransaction: (tx, committed) => recordRequest(tx, { status: 200, body: committed }),
      }),
    }),
  }),
);
