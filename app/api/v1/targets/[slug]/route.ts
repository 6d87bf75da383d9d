// PUT /api/v1/targets/{slug} (scope policies:write): create or update a target. docs/API.md
import { machineRoute } from "@/server/api/http";
import { apiKeyActor } from "@/server/services/access/api-keys";
import { putTarget } from "@/server/services/config/config-as-code";

export const dynamic = "force-dynamic";

export const PUT = machineRoute<{ slug: string }>(
  { scope: "policies:write", body: true },
  async ({ db, key, params, body, now }) => {
    const { target, created } = await putTarget(db, { actor: apiKeyActor(key), slug: params.slug, body }, now);
    return { status: created ? 201 : 200, body: { target, created } };
  },
);
