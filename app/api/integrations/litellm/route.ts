// POST /api/integrations/litellm (scope ingest, unsigned): LiteLLM's generic_api callback, batches of
// StandardLoggingPayload written as metric events. /api/v1/intake/litellm is the same handler, kept for deployed
// proxies. docs/INTEGRATIONS.md
import { intakeRoute } from "@/server/api/http";

export const dynamic = "force-dynamic";

export const POST = intakeRoute("litellm");
