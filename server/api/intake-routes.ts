// The machine intake's handlers, each defined once: the app/api route files export them for Next.js, and the
// production server (scripts/serve.ts) calls the same functions for these paths before Next's request handler,
// so the hottest requests skip Next's per-request work while keeping every check (API key, rate limit, body
// limit, signature, Idempotency-Key) and every error body. docs/ARCHITECTURE.md, "The intake fast path".
import "server-only";
import { ingestMetrics } from "../services/machine/ingest";
import { metricSettings } from "../settings";
import { intakeRoute, machineRoute, type Answer, type MachineCall } from "./http";

/** POST /api/v1/ingest (scope ingest): a batch of request events and/or pre-aggregated windows. docs/API.md */
export const ingestRoute = machineRoute(
  { scope: "ingest", body: true, idempotent: true },
  async ({ db, key, body, now, recordRequest }) => ({
    status: 202,
    body: await ingestMetrics(
      db,
      { key, body },
      {
        now,
        ...metricSettings,
        // The signature is spent, and the Idempotency-Key response stored, in the batch's transaction.
        ...(recordRequest && {
          inTransaction: (tx, committed) => recordRequest(tx, { status: 202, body: committed }),
        }),
      },
    ),
  }),
);

export const otlpMetricsRoute = intakeRoute("otlp-metrics");
export const otlpTracesRoute = intakeRoute("otlp-traces");
export const litellmRoute = intakeRoute("litellm");

/**
 * The POST paths the production server answers itself, and their handlers. The /api/v1 aliases of the OTLP and
 * LiteLLM intakes are kept for deployed senders. Other methods on these paths go to Next (405, as before).
 */
export const intakeFastPaths: ReadonlyMap<string, (call: MachineCall) => Promise<Answer>> = new Map([
  ["/api/v1/ingest", ingestRoute.answer],
  ["/api/otlp/v1/metrics", otlpMetricsRoute.answer],
  ["/api/v1/otlp/v1/metrics", otlpMetricsRoute.answer],
  ["/api/otlp/v1/traces", otlpTracesRoute.answer],
  ["/api/v1/otlp/v1/traces", otlpTracesRoute.answer],
  ["/api/integrations/litellm", litellmRoute.answer],
  ["/api/v1/intake/litellm", litellmRoute.answer],
]);
