// GET/POST /api/cron/monitor with `Authorization: Bearer $CRON_SECRET`: runs one monitoring cycle under
// the database lease and answers its summary, or 409 when another cycle is running. docs/API.md
import { bearerMatches, errorResponse } from "@/server/api/http";
import { getDb } from "@/server/db";
import { AppError } from "@/server/domain/errors";
import { env } from "@/server/env.js";
import { runCycleUnderLease } from "@/server/services/monitoring/cycle-lease";
import { withRequestLog } from "@/server/services/platform/log";
import { metricSettings } from "@/server/settings";

export const dynamic = "force-dynamic";

async function handle(request: Request): Promise<Response> {
  const now = new Date();
  if (!env.CRON_SECRET) {
    return Response.json(
      { error: { code: "NOT_CONFIGURED", message: "Set CRON_SECRET to drive the cycle through this route" } },
      { status: 503 },
    );
  }
  if (!bearerMatches(request, env.CRON_SECRET)) {
    return errorResponse(new AppError("UNAUTHORIZED", "Missing or wrong cron secret"), now);
  }
  try {
    const result = await runCycleUnderLease(getDb(), { trigger: "cron", now: () => new Date(), ...metricSettings });
    if (result.status === "busy") {
      return Response.json(
        { status: "busy", message: `A cycle is already running (${result.holder})`, since: result.since },
        { status: 409, headers: { "Cache-Control": "no-store" } },
      );
    }
    return Response.json({ status: "ran", summary: result.summary }, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    return errorResponse(error, now, "cron monitor");
  }
}

/** The cycle's lines carry this request's id, like every other request's. */
function handleLogged(request: Request): Promise<Response> {
  return withRequestLog(request, () => handle(request));
}

export { handleLogged as GET, handleLogged as POST };
