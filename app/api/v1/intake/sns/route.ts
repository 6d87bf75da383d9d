// GET /api/v1/intake/sns (scope config:read) and PUT (scope policies:write, replace-all): the SNS integration's
// settings as code — the topics whose subscriptions Rewind confirms and the alarm → target table — with a key for
// all targets, since alarms speak for any target. docs/INTEGRATIONS.md ("Settings"), docs/API.md.
import { machineRoute } from "@/server/api/http";
import { apiKeyActor } from "@/server/services/access/api-keys";
import { readSnsSettingsAsCode, replaceSnsSettingsAsCode } from "@/server/services/intake/sns-settings";

export const dynamic = "force-dynamic";

export const GET = machineRoute({ scope: "config:read" }, async ({ db, key }) => ({
  status: 200,
  body: await readSnsSettingsAsCode(db, key),
}));

export const PUT = machineRoute({ scope: "policies:write", body: true }, async ({ db, key, body, now }) => ({
  status: 200,
  body: await replaceSnsSettingsAsCode(db, { actor: apiKeyActor(key), key, body }, now),
}));
