// POST /api/v1/ingest (scope ingest): a batch of request events and/or pre-aggregated windows. docs/API.md
// Defined in server/api/intake-routes.ts, where the production server also calls it ahead of Next.js.
import { ingestRoute } from "@/server/api/intake-routes";

export const dynamic = "force-dynamic";

export const POST = ingestRoute;
