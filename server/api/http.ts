// The machine API's HTTP layer: the one AppError → status mapping and JSON error body, and `machineRoute`,
// which every /api/v1 handler goes through: API key, per-key rate limit, body limit, signature, JSON,
// Idempotency-Key. Handlers stay thin: they call a service and say which status to answer with.
import "server-only";
import { randomUUID, timingSafeEqual } from "node:crypto";
import { apiKeyEncryptionKey } from "../env.js";
import { getDb, type Db, type Tx } from "../db";
import { canonicalJson, sha256Hex } from "../domain/canonical-json";
import { TokenBucket, verifySignature, type ApiKeyScope } from "../domain/api-keys";
import { AppError, type AppErrorCode } from "../domain/errors";
import { authenticateApiKey, signingSecretOf, type ApiKeyPrincipal } from "../services/access/api-keys";
import {
  acceptSignature,
  requestHash,
  withIdempotency,
  type RecordResponse,
  type StoredResponse,
} from "../services/machine/replay-protection";
import { intakeAdapters, type IntakeAdapterName } from "../services/intake/adapters";
import { isTransientFailure, mediaTypeOf, receiveIntake } from "../services/intake/receive";
import { IntakeError, type IntakeRefusal, type IntakeReply } from "../services/intake/types";
import { addLogContext, currentRequestId, log, withRequestLog } from "../services/platform/log";
import { processWide } from "../services/platform/process-wide";
import { metricSettings } from "../settings";

export const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** Per key and per server instance: N instances behind a load balancer allow up to N times this. */
export const RATE_LIMIT = { perSecond: 50, burst: 100 };
const SIGNATURE_HEADER = "x-rewind-signature";

const statusOf: Record<AppErrorCode, number> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  VALIDATION: 422,
  CONFLICT: 409,
  THROTTLED: 429,
  PRECONDITION_FAILED: 409,
  PAYLOAD_TOO_LARGE: 413,
};

/** Refusals of the request's form (not its content) that services never see. */
class BadRequest extends Error {}

/** Refusals worth an operator's eye (a client with a wrong key or over its rate); the rest are debug lines. */
const warnedRefusals = new Set<AppErrorCode>(["UNAUTHORIZED", "FORBIDDEN", "THROTTLED"]);

export interface MachineResult {
  status: number;
  /** Omitted for 304. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * What the machine API reads of a request: a fetch Request is one (route handlers, through `callOf`), and the
 * production server's fast path makes one from Node's request without building a Request (intake-fast-path.ts).
 */
export interface MachineCall {
  method: string;
  /** Absolute. */
  url: string;
  headers: { get(name: string): string | null };
  /** The raw body, refused (413) past MAX_BODY_BYTES, announced by Content-Length or not. */
  body(): Promise<Buffer>;
}

/** A response before it is a fetch Response: the fast path writes it to Node's response as it is. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array | null;
}

export function callOf(request: Request): MachineCall {
  return { method: request.method, url: request.url, headers: request.headers, body: () => readBody(request) };
}

export function responseOf({ status, headers, body }: Answer): Response {
  return new Response(body === null || typeof body === "string" ? body : new Uint8Array(body), { status, headers });
}

function json(result: MachineResult): Answer {
  const headers = { "Cache-Control": "no-store", ...result.headers };
  if (result.body === undefined) return { status: result.status, headers, body: null };
  return {
    status: result.status,
    headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify(result.body),
  };
}

/**
 * `{ error: { code, message, issues? } }` with the status of its code. Anything unexpected is a 500 that says
 * only "Internal error" and a request id: the error itself (a database's message, a stack) goes to the server
 * log under that id, never to the client.
 */
export function errorResponse(error: unknown, now: Date, context = ""): Response {
  return responseOf(errorAnswer(error, now, context));
}

export function errorAnswer(error: unknown, now: Date, context = ""): Answer {
  if (error instanceof AppError) {
    log.at(warnedRefusals.has(error.code) ? "warn" : "debug", "request.refused", {
      ...(context && { context }),
      code: error.code,
      status: statusOf[error.code],
      message: error.message,
    });
    const { issues, retryAt } = error.details;
    const headers: Record<string, string> = {};
    if (error.code === "THROTTLED" && retryAt) {
      headers["Retry-After"] = String(Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000)));
    }
    if (error.code === "UNAUTHORIZED") headers["WWW-Authenticate"] = 'Bearer realm="rewind"';
    return json({
      status: statusOf[error.code],
      body: { error: { code: error.code, message: error.message, ...(issues && { issues }) } },
      headers,
    });
  }
  if (error instanceof BadRequest) {
    log.debug("request.refused", {
      ...(context && { context }),
      code: "BAD_REQUEST",
      status: 400,
      message: error.message,
    });
    return json({ status: 400, body: { error: { code: "BAD_REQUEST", message: error.message } } });
  }
  const requestId = currentRequestId() ?? randomUUID();
  log.error("request.failed", { ...(context && { context }), requestId, error });
  return json({
    status: 500,
    body: { error: { code: "INTERNAL", message: "Internal error", requestId } },
    headers: { "X-Request-Id": requestId },
  });
}

export function bearerToken(request: Pick<MachineCall, "headers">): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  return match?.[1] ?? null;
}

/** Whether the request's bearer token is `secret`, compared in constant time (no hint of a near guess). */
export function bearerMatches(request: Pick<MachineCall, "headers">, secret: string): boolean {
  const given = Buffer.from(bearerToken(request) ?? "");
  const expected = Buffer.from(secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function tooLarge(): AppError {
  return new AppError(
    "PAYLOAD_TOO_LARGE",
    `Request body exceeds the ${MAX_BODY_BYTES / 1024 / 1024} MB limit: split it`,
  );
}

/** The raw body, refused as soon as it passes the limit (announced by Content-Length or not). */
export async function readBody(request: Request, limit = MAX_BODY_BYTES): Promise<Buffer> {
  if (Number(request.headers.get("content-length") ?? 0) > limit) throw tooLarge();
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) throw new BadRequest("Request body is empty: send JSON");
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new BadRequest(`Request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// One map for the process, shared by Next's copy of this module and the intake fast path's.
const buckets = processWide("rateLimitBuckets", () => new Map<string, TokenBucket>());

/** The per-key token bucket of every API key route (machine API and OFREP): THROTTLED with retryAt when empty. */
export function rateLimit(keyId: string, now: Date): void {
  const nowMs = now.getTime();
  if (buckets.size > 10_000) {
    for (const [id, bucket] of buckets) if (bucket.isFull(nowMs)) buckets.delete(id);
  }
  let bucket = buckets.get(keyId);
  if (!bucket) {
    bucket = new TokenBucket(RATE_LIMIT.perSecond, RATE_LIMIT.burst, nowMs);
    buckets.set(keyId, bucket);
  }
  const taken = bucket.take(nowMs);
  if (!taken.ok) {
    throw new AppError(
      "THROTTLED",
      `Rate limit of ${RATE_LIMIT.perSecond} requests/s (bursts of ${RATE_LIMIT.burst}) per API key exceeded: retry after ${taken.retryAfterSeconds} s`,
      { retryAt: new Date(nowMs + taken.retryAfterSeconds * 1000) },
    );
  }
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** A response as an Idempotency-Key record stores it: JSON, so dates are strings as the first response sent them. */
function storedResponse({ status, body }: MachineResult): StoredResponse {
  return { status, body: JSON.parse(JSON.stringify(body ?? {})) as never };
}

export interface MachineRequest<Params> {
  request: MachineCall;
  db: Db;
  key: ApiKeyPrincipal;
  now: Date;
  params: Params;
  /** The parsed JSON body (undefined for requests without one). */
  body: unknown;
  /**
   * On `idempotent` routes, for the handler to call inside the transaction `tx` that applies the request: spends
   * the request's signature there (a replay is refused from the commit on, and a retry of a request that failed
   * is not) and, with an Idempotency-Key, stores `result` as the response (a crash after the commit leaves a
   * response to replay, never a change to apply twice). Null when there is neither to record.
   */
  recordRequest: ((tx: Tx, result: MachineResult) => Promise<void>) | null;
}

/**
 * Wraps a route handler. A `{ slug }` path parameter is checked against the key's target allow-list. For
 * requests with a body (`body: true`), a key with signing on must sign it (X-Rewind-Signature), and with
 * `idempotent` an Idempotency-Key makes retries replay the first response; such routes record the request in their
 * change's transaction (`recordRequest`), and a signature not spent there is spent before answering.
 * `body: "optional"` is for changes without a body (DELETE): a key with signing on still signs, over the empty
 * body, and JSON is parsed if sent.
 */
export function machineRoute<Params extends Record<string, string> = Record<string, never>>(
  options: { scope: ApiKeyScope; body?: boolean | "optional"; idempotent?: boolean },
  handler: (input: MachineRequest<Params>) => Promise<MachineResult>,
) {
  const answer = async (request: MachineCall, context?: { params: Promise<Params> }): Promise<Answer> => {
    const now = new Date();
    try {
      const db = getDb();
      // Routes without dynamic segments get no params.
      const params = ((await context?.params) ?? {}) as Params;
      const key = await authenticateApiKey(
        db,
        bearerToken(request),
        { scope: options.scope, ...(params.slug !== undefined && { targetSlug: params.slug }) },
        now,
      );
      addLogContext({ caller: `api_key:${key.id}` });
      rateLimit(key.id, now);
      let raw: Buffer = Buffer.alloc(0);
      let body: unknown;
      // A verified signature to spend: before the handler, or on idempotent routes in the change's transaction.
      let unspent: { signature: string; timestampSeconds: number } | null = null;
      if (options.body) {
        raw = await request.body();
        if (key.signingRequired) {
          const secret = signingSecretOf(key, apiKeyEncryptionKey());
          const { pathname, search } = new URL(request.url);
          unspent = verifySignature(request.headers.get(SIGNATURE_HEADER), {
            secret,
            rawBody: raw,
            now,
            method: request.method,
            path: `${pathname}${search}`,
          });
          if (!options.idempotent) {
            await acceptSignature(db, unspent);
            unspent = null;
          }
        }
        body = options.body === "optional" && raw.length === 0 ? undefined : parseJson(raw);
      }
      // Set once the handler's transaction has spent it; a transaction retried after a conflict spends it again.
      let spentInTransaction = false;
      const run = (record: RecordResponse | null) =>
        handler({
          request,
          db,
          key,
          now,
          params,
          body,
          recordRequest:
            record || unspent
              ? async (tx, result) => {
                  if (unspent) await acceptSignature(tx, unspent);
                  spentInTransaction = true;
                  if (record) await record(tx, storedResponse(result));
                }
              : null,
        });
      const idempotencyKey = options.idempotent ? request.headers.get("idempotency-key") : null;
      let result: MachineResult;
      if (idempotencyKey === null) result = await run(null);
      else {
        if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
          throw new AppError("VALIDATION", "Idempotency-Key must be 1–255 printable ASCII characters", {
            issues: { "Idempotency-Key": "1–255 printable ASCII characters, e.g. a UUID" },
          });
        }
        const stored = await withIdempotency(
          db,
          { apiKeyId: key.id, key: idempotencyKey, requestHash: requestHash(raw), now },
          async (record) => storedResponse(await run(record)),
        );
        result = {
          status: stored.status,
          body: stored.body,
          headers: stored.replayed ? { "Idempotent-Replayed": "true" } : {},
        };
      }
      // The handler wrote nothing (e.g. an empty batch) or answered from the Idempotency-Key's record: the
      // signature is spent now, so it still works once only.
      if (unspent && !spentInTransaction) await acceptSignature(db, unspent);
      return json(result);
    } catch (error) {
      return errorAnswer(error, now, `${request.method} ${new URL(request.url).pathname}`);
    }
  };
  return routeAnswering(answer);
}

/**
 * A route handler for Next (a fetch Request in, a Response out) with `answer` beside it, the same handling for a
 * MachineCall, which the fast path calls. Both run in a request's log context.
 */
function routeAnswering<Context>(answer: (call: MachineCall, context?: Context) => Promise<Answer>) {
  const route = async (request: Request, context?: Context): Promise<Response> =>
    responseOf(await withRequestLog(request, () => answer(callOf(request), context)));
  return Object.assign(route, {
    answer: (call: MachineCall): Promise<Answer> => withRequestLog(call, () => answer(call)),
  });
}

/** A strong ETag over the canonical JSON of a body: equal content, equal tag, whatever the key order. */
export function etagOf(body: unknown): string {
  return `"${sha256Hex(canonicalJson(body))}"`;
}

/** If-None-Match holds the tag (or `*`): the client's copy is current. Weak comparison, as RFC 9110 says. */
export function notModified(request: Pick<MachineCall, "headers">, etag: string): boolean {
  const header = request.headers.get("if-none-match");
  if (!header) return false;
  return header
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === etag);
}

/** An intake failure as the adapter's format will say it: the statuses and messages of `errorResponse`, plus 400/415/503. */
function intakeRefusalOf(error: unknown, request: MachineCall, now: Date): IntakeRefusal {
  const context = `${request.method} ${new URL(request.url).pathname}`;
  if (error instanceof IntakeError) {
    const code = error.status === 415 ? "UNSUPPORTED_MEDIA_TYPE" : "BAD_REQUEST";
    log.debug("request.refused", { context, code, status: error.status, message: error.message });
    return { status: error.status, code, message: error.message, headers: {} };
  }
  if (isTransientFailure(error)) {
    log.warn("request.unavailable", { context, ...(error instanceof AppError ? { code: error.code } : { error }) });
    const message = "Rewind cannot store this now (busy or its database unreachable): retry after the delay";
    return { status: 503, code: "UNAVAILABLE", message, headers: { "Retry-After": "5" } };
  }
  const refusal = errorAnswer(error, now, context);
  const { error: body } = JSON.parse(refusal.body as string) as { error: Omit<IntakeRefusal, "status" | "headers"> };
  const { "Content-Type": _type, "Cache-Control": _cache, ...headers } = refusal.headers;
  return { status: refusal.status, ...body, headers };
}

/**
 * An intake route (server/services/intake/adapters.ts): telemetry from senders that cannot sign, so the API key
 * alone authenticates (`Authorization: Bearer` or `X-API-Key`, scope ingest), whatever its signing setting
 * (docs/INTEGRATIONS.md); the per-key rate limit and body limit of every route; answers in the adapter's format.
 */
export function intakeRoute(name: IntakeAdapterName) {
  const adapter = intakeAdapters[name];
  const answer = async (request: MachineCall): Promise<Answer> => {
    const now = new Date();
    let reply: IntakeReply;
    try {
      const db = getDb();
      const apiKey = bearerToken(request) ?? (request.headers.get("x-api-key")?.trim() || null);
      const key = await authenticateApiKey(db, apiKey, { scope: "ingest" }, now);
      addLogContext({ caller: `api_key:${key.id}` });
      rateLimit(key.id, now);
      const body = await request.body();
      reply = await receiveIntake(
        db,
        adapter,
        {
          key,
          body,
          contentType: request.headers.get("content-type"),
          contentEncoding: request.headers.get("content-encoding"),
          target: request.headers.get("x-rewind-target"),
        },
        { now, ...metricSettings },
      );
    } catch (error) {
      const contentType = mediaTypeOf(request.headers.get("content-type"));
      const taken = contentType !== null && adapter.contentTypes.includes(contentType) ? contentType : null;
      reply = adapter.refusal(intakeRefusalOf(error, request, now), taken);
    }
    return {
      status: reply.status,
      headers: { "Cache-Control": "no-store", "Content-Type": reply.contentType, ...reply.headers },
      body: reply.body,
    };
  };
  return routeAnswering(answer);
}
