// GET, PUT, DELETE /api/v1/targets/{slug}/metric-source (scope policies:write): the target's pulled metric source
// as code. The secret is write-only: PUT takes it, nothing returns it. docs/API.md, docs/INTEGRATIONS.md
import { machineRoute } from "@/server/api/http";
import { apiKeyActor } from "@/server/services/access/api-keys";
import {
  deleteMetricSource,
  getMetricSource,
  saveMetricSource,
  targetIdOfSlug,
} from "@/server/services/pulled-sources/metric-sources";
import { apiKeyEncryptionKey } from "@/server/env.js";

export const dynamic = "force-dynamic";

export const GET = machineRoute<{ slug: string }>({ scope: "policies:write" }, async ({ db, params }) => {
  const source = await getMetricSource(db, await targetIdOfSlug(db, params.slug));
  return { status: 200, body: { source } };
});

export const PUT = machineRoute<{ slug: string }>(
  { scope: "policies:write", body: true },
  async ({ db, key, params, body, now }) => {
    const targetId = await targetIdOfSlug(db, params.slug);
    const { source, created, changed } = await saveMetricSource(
      db,
      { actor: apiKeyActor(key), targetId, source: body },
      { now, encryptionKey: () => apiKeyEncryptionKey() },
    );
    return { status: created ? 201 : 200, body: { source, changed } };
  },
);

// Signed over the empty body when the key signs, as every change is: a bearer key alone removes nothing.
export const DELETE = machineRoute<{ slug: string }>(
  { scope: "policies:write", body: "optional" },
  async ({ db, key, params, now }) => {
    const targetId = await targetIdOfSlug(db, params.slug);
    return { status: 200, body: await deleteMetricSource(db, { actor: apiKeyActor(key), targetId }, now) };
  },
);
