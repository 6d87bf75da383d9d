// POST /api/v1/alertmanager (scope ingest): Prometheus Alertmanager's webhook (payload version 4). docs/API.md
import { machineRoute } from "@/server/api/http";
import { receiveAlerts } from "@/server/services/intake/alertmanager";

export const dynamic = "force-dynamic";

export const POST = machineRoute({ scope: "ingest", body: true, idempotent: true }, async ({ db, key, body, now }) => ({
  status: 202,
  body: await receiveAlerts(db, { key, payload: body }, now),
}));
