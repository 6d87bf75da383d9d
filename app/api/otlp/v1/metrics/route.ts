// POST /api/otlp/v1/metrics (scope ingest, unsigned): OTLP/HTTP metrics, protobuf or JSON, gzip or not; the GenAI
// metrics' histograms become metric windows. An OTel exporter's endpoint (OTEL_EXPORTER_OTLP_ENDPOINT) is
// https://<host>/api/otlp. /api/v1/otlp/v1/metrics is the same handler, kept for deployed collectors.
// docs/INTEGRATIONS.md
import { otlpMetricsRoute } from "@/server/api/intake-routes";

export const dynamic = "force-dynamic";

export const POST = otlpMetricsRoute;
