// GET /api/v1/rollbacks (scope rollbacks:read): rollbacks newest first, filtered, a page at a time. docs/API.md
import { machineRoute } from "@/server/api/http";
import { listRollbacksForKey } from "@/server/services/machine/rollbacks-api";

export const dynamic = "force-dynamic";

export const GET = machineRoute({ scope: "rollbacks:read" }, async ({ db, key, request }) => ({
  status: 200,
  body: await listRollbacksForKey(db, { key, query: new URL(request.url).searchParams }),
}));
