// POST /api/otlp/v1/traces (scope ingest, unsigned): OTLP/HTTP traces, protobuf or JSON, gzip or not; GenAI spans
// become metric events. An OTel exporter's endpoint (OTEL_EXPORTER_OTLP_ENDPOINT) is https://<host>/api/otlp.
// /api/v1/otlp/v1/traces is the same handler, kept for deployed collectors. docs/INTEGRATIONS.md
import { otlpTracesRoute } from "@/server/api/intake-routes";

export const dynamic = "force-dynamic";

export const POST = otlpTracesRoute;
