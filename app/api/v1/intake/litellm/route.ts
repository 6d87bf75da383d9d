// POST /api/v1/intake/litellm (scope ingest, unsigned): LiteLLM's generic_api callback, batches of
// StandardLoggingPayload written as metric events. docs/INTEGRATIONS.md
import { intakeRoute } from "@/server/api/http";

export const dynamic = "force-dynamic";

export const POST = intakeRoute("litellm");
