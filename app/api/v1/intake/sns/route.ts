// GET /api/v1/intake/sns (scope config:read) and PUT (scope policies:write, replace-all): the SNS integration's
// settings as code — the topics whose subscriptions Rewind confirms and the alarm → target table — with a key for
// all targets, since alarms speak for any target. docs/INTEGRATIONS.md ("Settings"), docs/API.md.
import { machineRoute } from "@/server/api/http";
import { apiKeyActor } from "@/server/services/access/api-keys";
import { readSnsSettings, saveSnsSettings } from "@/server/services/intake/sns-settings";
import { assertKeyForAllTargets } from "@/server/services/intake/target-rules";

export const dynamic = "force-dynamic";

const SPAN = "the SNS settings route alarms to any target";

export const GET = machineRoute({ scope: "config:read" }, async ({ db, key }) => {
  assertKeyForAllTargets(key, SPAN);
  return { status: 200, body: await readSnsSettings(db) };
});

export const PUT = machineRoute({ scope: "policies:write", body: true }, async ({ db, key, body, now }) => {
  assertKeyForAllTargets(key, SPAN);
  const fields = (body ?? {}) as { allowedTopicArns?: unknown; alarmTargets?: unknown };
  const settings = await saveSnsSettings(
    db,
    { actor: apiKeyActor(key), allowedTopicArns: fields.allowedTopicArns, alarmTargets: fields.alarmTargets },
    now,
  );
  return { status: 200, body: settings };
});
