// POST /ofrep/v1/evaluate/flags/{key} (scope flags:read): one flag evaluated for the context. Handlers:
// server/api/ofrep-http.ts; docs/API.md "OpenFeature (OFREP)".
import { evaluateFlagRoute, ofrepPreflight } from "@/server/api/ofrep-http";

export const dynamic = "force-dynamic";

export const POST = evaluateFlagRoute;
export const OPTIONS = ofrepPreflight;
