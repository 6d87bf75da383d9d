// POST /api/v1/ingest (scope ingest): a batch of request events and/or pre-aggregated windows. docs/API.md
import { machineRoute } from "@/server/api/http";
import { ingestMetrics } from "@/server/services/machine/ingest";
import { metricSettings } from "@/server/settings";

export const dynamic = "force-dynamic";

export const POST = machineRoute(
  { scope: "ingest", body: true, idempotent: true },
  async ({ db, key, body, now, recordResponse }) => ({
    status: 202,
    body: await ingestMetrics(
      db,
      { key, body },
      {
        now,
        ...metricSettings,
        // With an Idempotency-Key, the response is stored with the batch: a retry after a crash replays it.
        ...(recordResponse && {
          inTransaction: (tx, committed) => recordResponse(tx, { status: 202, body: committed }),
        }),
      },
    ),
  }),
);
