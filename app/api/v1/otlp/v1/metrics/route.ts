// POST /api/v1/otlp/v1/metrics: an alias of POST /api/otlp/v1/metrics (app/api/otlp/v1/metrics/route.ts), the same
// handler, kept for collectors configured with the earlier base URL …/api/v1/otlp. docs/INTEGRATIONS.md
import { intakeRoute } from "@/server/api/http";

export const dynamic = "force-dynamic";

export const POST = intakeRoute("otlp-metrics");
