// POST /ofrep/v1/evaluate/flags (scope flags:read): every flag the key may read, evaluated for the context, with
// an ETag (304 on If-None-Match). Handlers: server/api/ofrep-http.ts; docs/API.md "OpenFeature (OFREP)".
import { evaluateFlagsRoute, ofrepPreflight } from "@/server/api/ofrep-http";

export const dynamic = "force-dynamic";

export const POST = evaluateFlagsRoute;
export const OPTIONS = ofrepPreflight;
