// Machine clients: API key scopes and creation input, request signatures (HMAC-SHA256 over the timestamp,
// the method and path (v2) and the raw body) and the per-key rate limit. Contract: docs/API.md.
import { createHmac, timingSafeEqual } from "node:crypto";
import { AppError } from "./errors";

// The input schema lives apart from the signing code so client forms can import it without node:crypto.
export { apiKeyScopes, createApiKeySchema, type ApiKeyScope, type CreateApiKeyInput } from "./api-key-input";

/** Requests signed further than this from the server's clock are refused; seen signatures are kept as long. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * `X-Rewind-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`: the first version, which
 * covers the body only (outbound webhooks still sign this way). Inbound requests should sign with v2.
 */
export function signRequest(secret: string, timestampSeconds: number, rawBody: string | Buffer): string {
  return `t=${timestampSeconds},v1=${hmacHex(secret, `${timestampSeconds}.`, rawBody)}`;
}

/** What a v2 signature covers besides the body: the method and the path with its query, as the server receives them. */
export interface SignedRequestLine {
  method: string;
  /** e.g. `/api/v1/targets/chat/policy` or `/api/v1/ingest?dryRun=1`. */
  path: string;
}

/**
 * `X-Rewind-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256(secret, "<t>.<METHOD>.<path>.<raw body>")>`: binds the
 * body to where it was sent, so a captured request cannot be replayed to another target or route.
 */
export function signRequestV2(
  secret: string,
  timestampSeconds: number,
  request: SignedRequestLine & { rawBody: string | Buffer },
): string {
  return `t=${timestampSeconds},v2=${hmacHex(secret, v2Prefix(timestampSeconds, request), request.rawBody)}`;
}

function v2Prefix(timestampSeconds: number, { method, path }: SignedRequestLine): string {
  return `${timestampSeconds}.${method.toUpperCase()}.${path}.`;
}

function hmacHex(secret: string, prefix: string, rawBody: string | Buffer): string {
  return createHmac("sha256", secret).update(prefix).update(rawBody).digest("hex");
}

/**
 * Checks a signature header against the request; returns the signature to record as seen, bound to the method
 * and path (so one body sent to two targets is two requests, not a replay, even under v1). Several `v1`/`v2`
 * values may be sent (any matching one counts), as when a sender rotates secrets or moves to v2.
 */
export function verifySignature(
  header: string | null,
  options: SignedRequestLine & { secret: string; rawBody: Buffer; now: Date },
): { signature: string; timestampSeconds: number } {
  if (!header) throw new AppError("UNAUTHORIZED", "This key requires signed requests: send X-Rewind-Signature");
  const parts = header.split(",").map((part) => part.trim().split("="));
  const timestamp = parts.find(([name]) => name === "t")?.[1];
  const valuesOf = (version: string) =>
    parts.flatMap(([name, value]) => (name === version && value ? [value.toLowerCase()] : []));
  const candidates = { v1: valuesOf("v1"), v2: valuesOf("v2") };
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || candidates.v1.length + candidates.v2.length === 0) {
    throw new AppError(
      "UNAUTHORIZED",
      "Malformed X-Rewind-Signature: expected t=<unix seconds>,v2=<hex HMAC-SHA256> (or v1=)",
    );
  }
  const timestampSeconds = Number(timestamp);
  const skew = Math.abs(options.now.getTime() / 1000 - timestampSeconds);
  if (skew > SIGNATURE_TOLERANCE_SECONDS) {
    throw new AppError(
      "UNAUTHORIZED",
      `Signature timestamp is ${Math.round(skew)} s away from the server's clock; at most ${SIGNATURE_TOLERANCE_SECONDS} s is accepted`,
    );
  }
  const expected = {
    v1: Buffer.from(hmacHex(options.secret, `${timestampSeconds}.`, options.rawBody)),
    v2: Buffer.from(hmacHex(options.secret, v2Prefix(timestampSeconds, options), options.rawBody)),
  };
  const matchOf = (version: "v1" | "v2") =>
    candidates[version].find((candidate) => {
      const given = Buffer.from(candidate);
      return given.length === expected[version].length && timingSafeEqual(given, expected[version]);
    });
  const match = matchOf("v2") ?? matchOf("v1");
  if (!match) {
    throw new AppError(
      "UNAUTHORIZED",
      candidates.v2.length > 0
        ? "Signature does not match the request's method, path and body"
        : "Signature does not match the request body",
    );
  }
  return {
    signature: `${timestampSeconds}.${options.method.toUpperCase()} ${options.path}.${match}`,
    timestampSeconds,
  };
}

/**
 * Token bucket: `ratePerSecond` tokens refill continuously up to `burst`; each request takes one.
 * Pure (time is a parameter); the caller keeps one per key.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.updatedAt = nowMs;
  }

  /** Takes a token; when none is left, returns the seconds until one is (for Retry-After). */
  take(nowMs: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const elapsed = Math.max(0, nowMs - this.updatedAt) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerSecond);
    this.updatedAt = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.ratePerSecond)) };
  }

  /** Full again: the bucket holds no information and may be dropped. */
  isFull(nowMs: number): boolean {
    return this.tokens + ((nowMs - this.updatedAt) / 1000) * this.ratePerSecond >= this.burst;
  }
}
