// GET /api/v1/intake/rules (scope config:read) and PUT (scope policies:write, a key for all targets, replace-all):
// the OTLP target mapping rules as code. docs/INTEGRATIONS.md ("Target mapping rules"), docs/API.md.
import { machineRoute } from "@/server/api/http";
import { apiKeyActor } from "@/server/services/access/api-keys";
import { listTargetRules, replaceTargetRules } from "@/server/services/intake/target-rules";

export const dynamic = "force-dynamic";

/** A key limited to some targets reads the rules of its targets only. */
export const GET = machineRoute({ scope: "config:read" }, async ({ db, key }) => ({
  status: 200,
  body: { rules: await listTargetRules(db, { targetSlugs: key.targetSlugs }) },
}));

export const PUT = machineRoute({ scope: "policies:write", body: true }, async ({ db, key, body, now }) => {
  const { rules, changed } = await replaceTargetRules(db, { actor: apiKeyActor(key), key, body }, now);
  return { status: 200, body: { rules, changed } };
});
