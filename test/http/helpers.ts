// Shared setup for the http tests: API keys created through the service on the server's database, and a
// small client that signs requests as docs/API.md tells machine clients to.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import type { Db } from "@/server/db";
import { signRequestV2, type ApiKeyScope } from "@/server/domain/api-keys";
import { systemActor } from "@/server/services/audit/audit-log";
import { createApiKey } from "@/server/services/access/api-keys";

export { makeTarget, makeUser, testDb, uniqueSlug } from "../integration/helpers";

export interface TestKey {
  id: string;
  key: string;
  secret: string;
}

export async function makeKey(
  db: Db,
  options: { scopes: ApiKeyScope[]; targets?: string[]; signed?: boolean },
): Promise<TestKey> {
  const created = await createApiKey(
    db,
    {
      actor: systemActor,
      name: `test ${randomBytes(3).toString("hex")}`,
      scopes: options.scopes,
      targetSlugs: options.targets ?? null,
      signingRequired: options.signed ?? true,
    },
    { now: new Date(), encryptionKey: Buffer.from(inject("apiKeyEncryptionKey"), "base64") },
  );
  return { id: created.apiKey.id, key: created.key, secret: created.signingSecret };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body. */
  body: any;
}

/**
 * A request to the server. A body is sent as JSON (or as given when a string) and signed with the key's
 * secret unless `signature` is false or a header value of its own; `timestamp` backdates the signature.
 */
export async function api(
  method: string,
  path: string,
  options: {
    key?: TestKey | string;
    body?: unknown;
    signature?: false | string;
    timestamp?: number;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key;
  if (key) headers.authorization = `Bearer ${typeof key === "string" ? key : key.key}`;
  let raw: string | undefined;
  if (options.body !== undefined) {
    raw = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] = "application/json";
    if (typeof options.signature === "string") headers["x-rewind-signature"] = options.signature;
    else if (options.signature !== false && key && typeof key !== "string") {
      const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
      headers["x-rewind-signature"] = signRequestV2(key.secret, timestamp, { method, path, rawBody: raw });
    }
  }
  const response = await fetch(`${inject("baseUrl")}${path}`, { method, headers, body: raw });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

/** `count` events over the last two minutes (all in complete buckets), failing when `ok` is false. */
export function recentEvents(count: number, options: { ok?: boolean; latencyMs?: number; endMsAgo?: number } = {}) {
  const end = Date.now() - (options.endMsAgo ?? 20_000);
  return Array.from({ length: count }, (_, i) => ({
    ts: end - Math.floor((i * 100_000) / count),
    latencyMs: options.latencyMs ?? 200 + (i % 10) * 10,
    ok: options.ok ?? true,
    costUsd: 0.001,
  }));
}
