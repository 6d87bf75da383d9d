// POST /api/v1/targets/{slug}/snapshots (scope snapshots:write): publish a configuration. docs/API.md
import { machineRoute } from "@/server/api/http";
import { apiKeyActor } from "@/server/services/access/api-keys";
import { publishConfig } from "@/server/services/config/config-as-code";

export const dynamic = "force-dynamic";

export const POST = machineRoute<{ slug: string }>(
  { scope: "snapshots:write", body: true, idempotent: true },
  async ({ db, key, params, body, now }) => {
    const { snapshot, created } = await publishConfig(db, { actor: apiKeyActor(key), slug: params.slug, body }, now);
    const { id, version, checksum, label, publishedAt } = snapshot;
    return { status: created ? 201 : 200, body: { id, version, checksum, label, publishedAt, created } };
  },
);
