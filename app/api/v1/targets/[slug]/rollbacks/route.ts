// POST /api/v1/targets/{slug}/rollbacks (scope rollbacks:write): request a manual rollback, which waits for a
// person's approval. docs/API.md
import { machineRoute } from "@/server/api/http";
import { requestRollbackForKey } from "@/server/services/machine/rollbacks-api";

export const dynamic = "force-dynamic";

export const POST = machineRoute<{ slug: string }>(
  { scope: "rollbacks:write", body: true, idempotent: true },
  async ({ db, key, params, body, now, recordRequest }) => ({
    status: 201,
    body: await requestRollbackForKey(db, { key, slug: params.slug, body }, now, {
      // The signature is spent, and the Idempotency-Key response stored, in the request's transaction.
      ...(recordRequest && {
        inTransaction: (tx, committed) => recordRequest(tx, { status: 201, body: committed }),
      }),
    }),
  }),
);
