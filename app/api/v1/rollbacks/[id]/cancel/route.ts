// POST /api/v1/rollbacks/{id}/cancel (scope rollbacks:write): cancel a pending or approved rollback, before traffic moved,
// with a reason, audited with the key. docs/API.md
import { machineRoute } from "@/server/api/http";
import { endRollbackForKey } from "@/server/services/machine/rollbacks-api";

export const dynamic = "force-dynamic";

export const POST = machineRoute<{ id: string }>(
  { scope: "rollbacks:write", body: true, idempotent: true },
  async ({ db, key, params, body, now, recordResponse }) => ({
    status: 200,
    body: await endRollbackForKey(db, { key, rollbackId: params.id, action: "cancel", body }, now, {
      // With an Idempotency-Key, the response is stored with the cancellation: a retry after a crash replays it.
      ...(recordResponse && {
        inTransaction: (tx, committed) => recordResponse(tx, { status: 200, body: committed }),
      }),
    }),
  }),
);
