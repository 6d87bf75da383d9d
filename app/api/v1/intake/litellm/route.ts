// POST /api/v1/intake/litellm: an alias of POST /api/integrations/litellm (app/api/integrations/litellm/route.ts),
// the same handler, kept for LiteLLM proxies configured with the earlier endpoint. docs/INTEGRATIONS.md
import { intakeRoute } from "@/server/api/http";

export const dynamic = "force-dynamic";

export const POST = intakeRoute("litellm");
