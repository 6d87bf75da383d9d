// POST /api/integrations/litellm (scope ingest, unsigned): LiteLLM's generic_api callback, batches of
// StandardLoggingPayload written as metric events. /api/v1/intake/litellm is the same handler, kept for deployed
// proxies. docs/INTEGRATIONS.md
import { litellmRoute } from "@/server/api/intake-routes";

export const dynamic = "force-dynamic";

export const POST = litellmRoute;
