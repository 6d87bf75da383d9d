// PUT /api/v1/targets/{slug}/policy (scope policies:write): save the target's SLO policy. docs/API.md
import { machineRoute } from "@/server/api/http";
import { putPolicy } from "@/server/services/config/config-as-code";

export const dynamic = "force-dynamic";

export const PUT = machineRoute<{ slug: string }>(
  { scope: "policies:write", body: true },
  async ({ db, key, params, body, now }) => {
    const { policy, changed } = await putPolicy(db, { apiKeyId: key.id, slug: params.slug, body }, now);
    return { status: changed ? 201 : 200, body: { version: policy.version, policy: policy.policy, changed } };
  },
);
