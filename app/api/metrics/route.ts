// GET /api/metrics: Rewind's own metrics for Prometheus. With METRICS_TOKEN set, scrapes must send
// `Authorization: Bearer $METRICS_TOKEN`. docs/API.md
import { bearerMatches, errorResponse } from "@/server/api/http";
import { getDb } from "@/server/db";
import { AppError } from "@/server/domain/errors";
import { env } from "@/server/env.js";
import { renderOwnMetrics } from "@/server/services/platform/own-metrics";

export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  const now = new Date();
  if (env.METRICS_TOKEN && !bearerMatches(request, env.METRICS_TOKEN)) {
    return errorResponse(new AppError("UNAUTHORIZED", "Missing or wrong metrics token"), now);
  }
  try {
    return new Response(await renderOwnMetrics(getDb(), now), {
      headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" },
    });
  } catch (error) {
    return errorResponse(error, now, "metrics");
  }
}
