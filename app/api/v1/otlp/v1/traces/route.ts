// POST /api/v1/otlp/v1/traces: an alias of POST /api/otlp/v1/traces (app/api/otlp/v1/traces/route.ts), the same
// handler, kept for collectors configured with the earlier base URL …/api/v1/otlp. docs/INTEGRATIONS.md
import { otlpTracesRoute } from "@/server/api/intake-routes";

export const dynamic = "force-dynamic";

export const POST = otlpTracesRoute;
