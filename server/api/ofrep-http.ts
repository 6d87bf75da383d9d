// The OpenFeature endpoints (/ofrep/v1, docs/API.md "OpenFeature (OFREP)"), which app/ofrep's routes export: the
// API key from `Authorization: Bearer` or `X-API-Key` with the flags:read scope, the machine API's per-key rate
// limit and status mapping (./http.ts), CORS for browser SDKs (OFREP_CORS_ORIGINS), failures in OFREP's shapes.
import "server-only";
import { getDb, type Db } from "../db";
import { AppError } from "../domain/errors";
import { ofrepCorsOrigins } from "../env.js";
import { authenticateApiKey, type ApiKeyPrincipal } from "../services/access/api-keys";
import { evaluateOfrepFlag, evaluateOfrepFlags } from "../services/machine/ofrep";
import { bearerToken, errorResponse, etagOf, notModified, rateLimit, readBody } from "./http";

const ALLOWED_HEADERS = "Authorization, X-API-Key, Content-Type, If-None-Match";
/** Browser SDKs read the bulk endpoint's ETag and a 429's Retry-After. */
const EXPOSED_HEADERS = "ETag, Retry-After";

export interface OfrepResult {
  status: number;
  /** Omitted for 304. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface OfrepRequestInput<Params> {
  request: Request;
  db: Db;
  key: ApiKeyPrincipal;
  now: Date;
  params: Params;
  /** The parsed JSON body. */
  body: unknown;
}

/** A body that is not JSON: PARSE_ERROR (the machine API's BAD_REQUEST). */
class ParseError extends Error {}

/** CORS headers for a request from an allowed browser origin; none otherwise (the browser then refuses). */
function corsHeaders(request: Request): Record<string, string> {
  const origin = request.headers.get("origin");
  const allowed = ofrepCorsOrigins();
  if (!origin || allowed.length === 0) return {};
  const any = allowed.includes("*");
  if (!any && !allowed.includes(origin)) return { Vary: "Origin" };
  return {
    "Access-Control-Allow-Origin": any ? "*" : origin,
    "Access-Control-Expose-Headers": EXPOSED_HEADERS,
    ...(!any && { Vary: "Origin" }),
  };
}

/** The preflight of a browser SDK's POST (it sends Authorization or X-API-Key and JSON). */
export function ofrepPreflight(request: Request): Response {
  const cors = corsHeaders(request);
  const headers: Record<string, string> = { ...cors };
  if (cors["Access-Control-Allow-Origin"]) {
    headers["Access-Control-Allow-Methods"] = "POST, OPTIONS";
    headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS;
    headers["Access-Control-Max-Age"] = "600";
  }
  return new Response(null, { status: 204, headers });
}

function respond(request: Request, result: OfrepResult): Response {
  const headers = { "Cache-Control": "no-store", ...corsHeaders(request), ...result.headers };
  if (result.body === undefined) return new Response(null, { status: result.status, headers });
  return Response.json(result.body, { status: result.status, headers });
}

/**
 * A refusal in OFREP's shapes: a context that breaks the schema is a 400 INVALID_CONTEXT and a body that is not
 * JSON a 400 PARSE_ERROR, with the flag's `key` on the single endpoint (evaluationFailure) and without it on the
 * bulk one (bulkEvaluationFailure). Everything else keeps the machine API's status and headers (401, 403, 413,
 * 429 with Retry-After, a 500 with a request id and nothing else) with OFREP's `{ errorDetails }` body.
 */
async function failure(request: Request, error: unknown, now: Date, flagKey: string | undefined): Promise<Response> {
  const evaluationFailure = (errorCode: string, errorDetails: string) =>
    respond(request, {
      status: 400,
      body: { ...(flagKey !== undefined && { key: flagKey }), errorCode, errorDetails },
    });
  if (error instanceof ParseError) return evaluationFailure("PARSE_ERROR", error.message);
  if (error instanceof AppError && error.code === "VALIDATION")
    return evaluationFailure("INVALID_CONTEXT", error.message);
  const machine = errorResponse(error, now, `${request.method} ${new URL(request.url).pathname}`);
  const body = (await machine.json()) as { error?: { message?: string; requestId?: string } };
  const message = body.error?.message ?? "Request refused";
  const headers = Object.fromEntries(machine.headers);
  delete headers["content-type"];
  delete headers["content-length"];
  return respond(request, {
    status: machine.status,
    body: { errorDetails: body.error?.requestId ? `${message} (request ${body.error.requestId})` : message },
    headers,
  });
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) throw new ParseError('Request body is empty: send {"context": {…}}');
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new ParseError(`Request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Wraps an OFREP POST handler. OFREP requests are read-only and SDKs cannot sign them, so a key's signing setting
 * does not apply (as for the machine API's GETs); Idempotency-Key has no meaning here.
 */
export function ofrepRoute<Params extends Record<string, string> = Record<string, never>>(
  handler: (input: OfrepRequestInput<Params>) => Promise<OfrepResult>,
) {
  return async (request: Request, context?: { params: Promise<Params> }): Promise<Response> => {
    const now = new Date();
    // Routes without dynamic segments get no params.
    const params = ((await context?.params) ?? {}) as Params;
    try {
      const db = getDb();
      const key = await authenticateApiKey(
        db,
        bearerToken(request) ?? request.headers.get("x-api-key")?.trim() ?? null,
        { scope: "flags:read" },
        now,
      );
      rateLimit(key.id, now);
      const body = parseJson(await readBody(request));
      return respond(request, await handler({ request, db, key, now, params, body }));
    } catch (error) {
      return failure(request, error, now, params.key);
    }
  };
}

/** POST /ofrep/v1/evaluate/flags/{key}: one flag, as server-side providers ask on every evaluation. */
export const evaluateFlagRoute = ofrepRoute<{ key: string }>(async ({ db, key, params, body }) => {
  const evaluation = await evaluateOfrepFlag(db, { key, flagKey: params.key, body });
  if (!("errorCode" in evaluation)) return { status: 200, body: evaluation };
  return { status: evaluation.errorCode === "FLAG_NOT_FOUND" ? 404 : 400, body: evaluation };
});

/** POST /ofrep/v1/evaluate/flags: every flag the key may read, with an ETag; client-side providers poll it. */
export const evaluateFlagsRoute = ofrepRoute(async ({ db, request, key, body }) => {
  const evaluation = await evaluateOfrepFlags(db, { key, body });
  const etag = etagOf(evaluation);
  if (notModified(request, etag)) return { status: 304, headers: { ETag: etag } };
  return { status: 200, body: evaluation, headers: { ETag: etag } };
});
