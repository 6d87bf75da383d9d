// GET /api/v1/openapi.json (public): the OpenAPI 3.1 document of the machine API, the intakes, the integrations and
// OFREP, built once per process from server/api/openapi/routes/. Cacheable: it changes only with a deploy.
import { notModified } from "@/server/api/http";
import { openApiJson } from "@/server/api/openapi/document";

export const dynamic = "force-dynamic";

export function GET(request: Request): Response {
  const { json, etag } = openApiJson();
  const headers = { "Cache-Control": "public, max-age=300", ETag: etag };
  if (notModified(request, etag)) return new Response(null, { status: 304, headers });
  return new Response(json, { status: 200, headers: { ...headers, "Content-Type": "application/json" } });
}
