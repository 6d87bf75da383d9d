// GET /api/metrics: Rewind's own metrics for Prometheus. Scrapes send `Authorization: Bearer $METRICS_TOKEN`;
// a production server without the token answers 503 unless METRICS_PUBLIC=true, and only token holders see
// the lease holder (server/domain/metrics-access.ts). docs/API.md
import { bearerMatches, errorResponse } from "@/server/api/http";
import { getDb } from "@/server/db";
import { metricsAccess } from "@/server/domain/metrics-access";
import { env } from "@/server/env.js";
import { renderOwnMetrics } from "@/server/services/platform/own-metrics";

export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  const now = new Date();
  const access = metricsAccess({
    production: process.env.NODE_ENV === "production",
    tokenConfigured: Boolean(env.METRICS_TOKEN),
    public: env.METRICS_PUBLIC,
    presented: !request.headers.has("authorization")
      ? "none"
      : env.METRICS_TOKEN && bearerMatches(request, env.METRICS_TOKEN)
        ? "valid"
        : "wrong",
  });
  if (!access.serve) {
    const headers: Record<string, string> = { "Cache-Control": "no-store" };
    if (access.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="rewind"';
    return Response.json({ error: { code: access.code, message: access.message } }, { status: access.status, headers });
  }
  try {
    return new Response(await renderOwnMetrics(getDb(), now, { showLeaseHolder: access.showLeaseHolder }), {
      headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" },
    });
  } catch (error) {
    return errorResponse(error, now, "metrics");
  }
}
