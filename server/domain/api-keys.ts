// Machine clients: API key scopes and creation input, request signatures (HMAC-SHA256 over the timestamp
// and the raw body) and the per-key rate limit. Contract: docs/API.md.
import { createHmac, timingSafeEqual } from "node:crypto";
import { AppError } from "./errors";

// The input schema lives apart from the signing code so client forms can import it without node:crypto.
export { apiKeyScopes, createApiKeySchema, type ApiKeyScope, type CreateApiKeyInput } from "./api-key-input";

/** Requests signed further than this from the server's clock are refused; seen signatures are kept as long. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** `X-Rewind-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` */
export function signRequest(secret: string, timestampSeconds: number, rawBody: string | Buffer): string {
  const hmac = createHmac("sha256", secret).update(`${timestampSeconds}.`).update(rawBody).digest("hex");
  return `t=${timestampSeconds},v1=${hmac}`;
}

/**
 * Checks a signature header against the raw body; returns the signature to record as seen. Several `v1`
 * values may be sent (any matching one counts), as when a sender rotates secrets.
 */
export function verifySignature(
  header: string | null,
  options: { secret: string; rawBody: Buffer; now: Date },
): { signature: string; timestampSeconds: number } {
  if (!header) throw new AppError("UNAUTHORIZED", "This key requires signed requests: send X-Rewind-Signature");
  const parts = header.split(",").map((part) => part.trim().split("="));
  const timestamp = parts.find(([name]) => name === "t")?.[1];
  const signatures = parts.flatMap(([name, value]) => (name === "v1" && value ? [value.toLowerCase()] : []));
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) {
    throw new AppError("UNAUTHORIZED", "Malformed X-Rewind-Signature: expected t=<unix seconds>,v1=<hex HMAC-SHA256>");
  }
  const timestampSeconds = Number(timestamp);
  const skew = Math.abs(options.now.getTime() / 1000 - timestampSeconds);
  if (skew > SIGNATURE_TOLERANCE_SECONDS) {
    throw new AppError(
      "UNAUTHORIZED",
      `Signature timestamp is ${Math.round(skew)} s away from the server's clock; at most ${SIGNATURE_TOLERANCE_SECONDS} s is accepted`,
    );
  }
  const expected = Buffer.from(
    signRequest(options.secret, timestampSeconds, options.rawBody).slice(`t=${timestamp},v1=`.length),
  );
  const match = signatures.find((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!match) throw new AppError("UNAUTHORIZED", "Signature does not match the request body");
  return { signature: `${timestampSeconds}.${match}`, timestampSeconds };
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
