// POST /api/v1/otlp/v1/metrics: an alias of POST /api/otlp/v1/metrics (app/api/otlp/v1/metrics/route.ts), the same
// handler, kept for collectors configured with the earlier base URL …/api/v1/otlp. docs/INTEGRATIONS.md
import { otlpMetricsRoute } from "@/server/api/intake-routes";

export const dynamic = "force-dynamic";

export const POST = otlpMetricsRoute;
