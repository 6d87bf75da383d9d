// POST /api/v1/targets/{slug}/rollbacks (scope rollbacks:write): request a manual rollback, which waits for a
// person's approval. docs/API.md
import { machineRoute } from "@/server/api/http";
import { requestRollbackForKey } from "@/server/services/machine/rollbacks-api";

export const dynamic = "force-dynamic";

export const POST = machineRoute<{ slug: string }>(
  { scope: "rollbacks:write", body: true, idempotent: true },
  async ({ db, key, params, body, now, recordResponse }) => ({
    status: 201,
    body: await requestRollbackForKey(db, { key, slug: params.slug, body }, now, {
      // With an Idempotency-Key, the response is stored with the request: a retry after a crash replays it.
      ...(recordResponse && {
        inTransaction: (tx, committed) => recordResponse(tx, { status: 201, body: committed }),
      }),
    }),
  }),
);
