// The guard of the cookie-authenticated routes (tRPC, next-auth): state-changing requests must come from the
// console's own pages. The rule is server/domain/request-origin.ts; this reads it off the request and answers
// refusals as the machine API does, `{ error: { code, message } }`.
import "server-only";
import { AppError } from "../domain/errors";
import { appOrigins, checkRequestOrigin, isJsonContentType } from "../domain/request-origin";
import { env } from "../env.js";
import { errorResponse } from "./http";

/** A 403 for a cross-site state-changing request; null when the request may go on. */
export function refuseCrossSite(request: Request): Response | null {
  const headers = request.headers;
  const origins = appOrigins({
    configured: [env.APP_URL, env.NEXTAUTH_URL],
    host: headers.get("host"),
    protocol: new URL(request.url).protocol,
    forwardedProto: headers.get("x-forwarded-proto"),
  });
  const verdict = checkRequestOrigin(
    {
      method: request.method,
      origin: headers.get("origin"),
      secFetchSite: headers.get("sec-fetch-site"),
      cookie: headers.get("cookie"),
    },
    origins,
  );
  return verdict.ok ? null : errorResponse(new AppError("FORBIDDEN", verdict.message), new Date());
}

/**
 * A 415 for a tRPC mutation that is not JSON. The console only sends JSON; form encodings are what an HTML
 * form on another site can send without asking (tRPC would read multipart bodies as FormData input).
 */
export function refuseNonJson(request: Request): Response | null {
  if (isJsonContentType(request.headers.get("content-type"))) return null;
  return Response.json(
    {
      error: {
        code: "UNSUPPORTED_MEDIA_TYPE",
        message: "tRPC mutations take a JSON body: send Content-Type: application/json",
      },
    },
    { status: 415, headers: { "Cache-Control": "no-store" } },
  );
}
