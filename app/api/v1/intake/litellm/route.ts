// POST /api/v1/intake/litellm: an alias of POST /api/integrations/litellm (app/api/integrations/litellm/route.ts),
// the same handler, kept for LiteLLM proxies configured with the earlier endpoint. docs/INTEGRATIONS.md
import { litellmRoute } from "@/server/api/intake-routes";

export const dynamic = "force-dynamic";

export const POST = litellmRoute;
