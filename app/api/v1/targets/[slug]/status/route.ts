// GET /api/v1/targets/{slug}/status (scope config:read): latest verdict and active rollback. docs/API.md
import { machineRoute } from "@/server/api/http";
import { targetStatus } from "@/server/services/machine/config-delivery";

export const dynamic = "force-dynamic";

export const GET = machineRoute<{ slug: string }>({ scope: "config:read" }, async ({ db, params, now }) => ({
  status: 200,
  body: await targetStatus(db, params.slug, now),
}));
