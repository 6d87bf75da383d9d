// GET /api/v1/targets/{slug}/config (scope config:read): the effective configuration, with ETag. docs/API.md
import { etagOf, machineRoute, notModified } from "@/server/api/http";
import { effectiveConfig } from "@/server/services/machine/config-delivery";

export const dynamic = "force-dynamic";

export const GET = machineRoute<{ slug: string }>({ scope: "config:read" }, async ({ db, request, params }) => {
  const config = await effectiveConfig(db, params.slug);
  const etag = etagOf(config);
  if (notModified(request, etag)) return { status: 304, headers: { ETag: etag } };
  return { status: 200, body: config, headers: { ETag: etag } };
});
