// OpenFeature's remote evaluation protocol (OFREP) over real HTTP: the official OpenFeature server SDK with its
// OFREP provider as the client, raw requests for the bulk endpoint, the failures, CORS and the rate limit, and
// every body checked against the shapes of OFREP's OpenAPI components (service/openapi.yaml, v0.3.0).
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OpenFeature } from "@openfeature/server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { z } from "zod";
import { rolloutBucket } from "@/server/domain/flag-evaluation";
import { userActor } from "@/server/services/audit/audit-log";
import { createFlag, setFlagEnabled, setFlagPercent } from "@/server/services/config/flags";
import { activateEmergencyStop, liftEmergencyStop } from "@/server/services/config/system-switches";
import { startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { startBuiltApp, type BuiltApp } from "../built-app";
import { breach, lifecycleTarget, rollbackDecision } from "../integration/lifecycle-fixtures";
import { makeKey, makeTarget, makeUser, testDb, uniqueSlug, type TestKey } from "./helpers";

const db = testDb();

// OFREP's component schemas, strict so that a field OFREP does not define (or a null) fails here.
const metadata = z.record(z.string(), z.union([z.boolean(), z.string(), z.number()]));
const evaluationSuccess = z.strictObject({
  key: z.string(),
  reason: z.enum(["STATIC", "TARGETING_MATCH", "SPLIT", "DISABLED", "UNKNOWN"]),
  variant: z.string().optional(),
  metadata: metadata.optional(),
  value: z.boolean(),
});
const evaluationFailure = z.strictObject({
  key: z.string(),
  errorCode: z.enum(["PARSE_ERROR", "TARGETING_KEY_MISSING", "INVALID_CONTEXT", "GENERAL"]),
  errorDetails: z.string().optional(),
  metadata: metadata.optional(),
});
const flagNotFound = z.strictObject({
  key: z.string(),
  errorCode: z.literal("FLAG_NOT_FOUND"),
  errorDetails: z.string().optional(),
  metadata: metadata.optional(),
});
const bulkEvaluationSuccess = z.strictObject({
  flags: z.array(z.union([evaluationSuccess, evaluationFailure])),
  metadata: metadata.optional(),
});
const bulkEvaluationFailure = z.strictObject({ errorCode: z.string(), errorDetails: z.string().optional() });
const generalErrorResponse = z.strictObject({ errorDetails: z.string().optional() });

interface Raw {
  status: number;
  headers: Headers;
  body: any;
}

async function post(
  path: string,
  options: { key?: TestKey; body?: unknown; headers?: Record<string, string>; baseUrl?: string } = {},
): Promise<Raw> {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key.key}`;
  const body = typeof options.body === "string" ? options.body : JSON.stringify(options.body ?? { context: {} });
  const response = await fetch(`${options.baseUrl ?? inject("baseUrl")}${path}`, { method: "POST", headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

const single = (flag: string, options: Parameters<typeof post>[1] = {}) =>
  post(`/ofrep/v1/evaluate/flags/${flag}`, options);
const bulk = (options: Parameters<typeof post>[1] = {}) => post("/ofrep/v1/evaluate/flags", options);

let admin: { id: string };
let target: { id: string; slug: string };
let reader: TestKey;
let targetReader: TestKey;
const uid = uniqueSlug("ofrep");
const keys = {
  global: `${uid}.global`,
  targeted: `${uid}.targeted`,
  split: `${uid}.split`,
  off: `${uid}.off`,
  zero: `${uid}.zero`,
};

async function flag(
  key: string,
  options: { enabled?: boolean; killSwitch?: boolean; targetId?: string; percent?: number } = {},
) {
  const created = await createFlag(
    db,
    {
      actor: userActor(admin.id),
      key,
      enabled: options.enabled ?? true,
      killSwitch: options.killSwitch ?? false,
      ...(options.targetId && { targetId: options.targetId }),
    },
    new Date(),
  );
  if (options.percent !== undefined) {
    await setFlagPercent(db, { actor: userActor(admin.id), id: created.id, percent: options.percent }, new Date());
  }
  return created;
}

/** A subject whose bucket for `flagKey` is below `percent` (on) or not (off). */
function subject(flagKey: string, percent: number, on: boolean): string {
  for (let i = 0; ; i++) {
    const candidate = `user-${i}`;
    if (rolloutBucket(flagKey, candidate) < percent === on) return candidate;
  }
}

function client(domain: string, headers: Record<string, string>) {
  return {
    ready: OpenFeature.setProviderAndWait(domain, new OFREPProvider({ baseUrl: inject("baseUrl"), headers })),
    client: OpenFeature.getClient(domain),
  };
}

beforeAll(async () => {
  admin = await makeUser(db, "ADMIN");
  target = await makeTarget(db);
  reader = await makeKey(db, { scopes: ["flags:read"] });
  targetReader = await makeKey(db, { scopes: ["flags:read"], targets: [target.slug] });
  await flag(keys.global);
  await flag(keys.targeted, { targetId: target.id });
  await flag(keys.split, { percent: 50 });
  await flag(keys.off, { enabled: false });
  await flag(keys.zero, { percent: 0 });
});

afterAll(async () => {
  await OpenFeature.close();
});

describe("the OpenFeature server SDK with the OFREP provider", () => {
  it("evaluates a global flag (STATIC, variant on) with its metadata", async () => {
    const { ready, client: sdk } = client("ofrep-global", { Authorization: `Bearer ${reader.key}` });
    await ready;
    expect(await sdk.getBooleanValue(keys.global, false)).toBe(true);
    expect(await sdk.getBooleanDetails(keys.global, false)).toMatchObject({
      flagKey: keys.global,
      value: true,
      reason: "STATIC",
      variant: "on",
      flagMetadata: { killSwitch: false, percent: 100 },
    });
    expect(await sdk.getBooleanDetails(keys.off, true)).toMatchObject({
      value: false,
      reason: "DISABLED",
      variant: "off",
    });
    expect(await sdk.getBooleanDetails(keys.zero, true)).toMatchObject({
      value: false,
      reason: "STATIC",
      variant: "off",
    });
  });

  it("evaluates a target's flag through the `target` attribute, and only with it", async () => {
    const { ready, client: sdk } = client("ofrep-target", { Authorization: `Bearer ${reader.key}` });
    await ready;
    expect(await sdk.getBooleanDetails(keys.targeted, false, { target: target.slug })).toMatchObject({
      value: true,
      reason: "STATIC",
    });
    const without = await sdk.getBooleanDetails(keys.targeted, false);
    expect(without).toMatchObject({ value: false, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" });
    expect(without.errorMessage).toContain("the `target` context attribute");
  });

  it("reads a key's only target without the attribute (X-API-Key header)", async () => {
    const { ready, client: sdk } = client("ofrep-x-api-key", { "X-API-Key": targetReader.key });
    await ready;
    expect(await sdk.getBooleanValue(keys.targeted, false)).toBe(true);
    expect(await sdk.getBooleanValue(keys.global, false)).toBe(true);
  });

  it("splits a percentage flag by targetingKey (SPLIT), stably, and asks for one when it is missing", async () => {
    const { ready, client: sdk } = client("ofrep-split", { Authorization: `Bearer ${reader.key}` });
    await ready;
    const inside = subject(keys.split, 50, true);
    const outside = subject(keys.split, 50, false);
    for (let i = 0; i < 2; i++) {
      expect(await sdk.getBooleanDetails(keys.split, false, { targetingKey: inside })).toMatchObject({
        value: true,
        reason: "SPLIT",
        variant: "on",
        flagMetadata: { percent: 50 },
      });
      expect(await sdk.getBooleanDetails(keys.split, true, { targetingKey: outside })).toMatchObject({
        value: false,
        reason: "SPLIT",
        variant: "off",
      });
    }
    expect(await sdk.getBooleanDetails(keys.split, true)).toMatchObject({
      value: true,
      reason: "ERROR",
      errorCode: "TARGETING_KEY_MISSING",
    });
  });

  it("answers the default with FLAG_NOT_FOUND for a flag that does not exist", async () => {
    const { ready, client: sdk } = client("ofrep-missing", { Authorization: `Bearer ${reader.key}` });
    await ready;
    expect(await sdk.getBooleanDetails(`${uid}.nope`, true)).toMatchObject({
      value: true,
      reason: "ERROR",
      errorCode: "FLAG_NOT_FOUND",
    });
  });

  it("fails with the default for a key without flags:read (403)", async () => {
    const configOnly = await makeKey(db, { scopes: ["config:read"] });
    const { ready, client: sdk } = client("ofrep-forbidden", { Authorization: `Bearer ${configOnly.key}` });
    await ready;
    const details = await sdk.getBooleanDetails(keys.global, false);
    expect(details).toMatchObject({ value: false, reason: "ERROR", errorCode: "GENERAL" });
    const raw = await single(keys.global, { key: configOnly });
    expect(raw.status).toBe(403);
    expect(generalErrorResponse.parse(raw.body).errorDetails).toMatch(/lacks the flags:read scope/);
  });

  it("reports an emergency rollback's kill switch as DISABLED with the rollback's id", async () => {
    const fixture = await lifecycleTarget(db, undefined, new Date(Date.now() - 60_000));
    const switchKey = `${uid}.rollback-switch`;
    await flag(switchKey, { killSwitch: true, targetId: fixture.target.id });
    const started = await startRollbackFromDecision(
      db,
      {
        target: fixture.target,
        decision: rollbackDecision("EMERGENCY_ROLLBACK"),
        verdict: breach("EMERGENCY"),
        policy: fixture.policy,
        policyVersion: 1,
      },
      new Date(),
    );
    const key = await makeKey(db, { scopes: ["flags:read"], targets: [fixture.target.slug] });
    const { ready, client: sdk } = client("ofrep-rollback", { Authorization: `Bearer ${key.key}` });
    await ready;
    expect(await sdk.getBooleanDetails(switchKey, true)).toMatchObject({
      value: false,
      reason: "DISABLED",
      variant: "off",
      flagMetadata: { killSwitch: true, turnedOffBy: "rollback", rollbackId: started.rollbackId },
    });
  });

  it("reports a kill switch the emergency stop turned off, and a person's turn-off without a cause", async () => {
    const stopped = await flag(`${uid}.stop-switch`, { killSwitch: true });
    const byPerson = await flag(`${uid}.person-switch`, { killSwitch: true });
    await setFlagEnabled(db, { actor: userActor(admin.id), id: byPerson.id, enabled: false }, new Date());
    await activateEmergencyStop(db, { actor: userActor(admin.id), reason: "OFREP test" }, new Date());
    try {
      const { ready, client: sdk } = client("ofrep-stop", { Authorization: `Bearer ${reader.key}` });
      await ready;
      expect((await sdk.getBooleanDetails(stopped.key, true)).flagMetadata).toEqual({
        killSwitch: true,
        percent: 100,
        turnedOffBy: "emergency_stop",
        emergencyStopActive: true,
      });
      expect((await sdk.getBooleanDetails(byPerson.key, true)).flagMetadata).toEqual({
        killSwitch: true,
        percent: 100,
        emergencyStopActive: true,
      });
    } finally {
      await liftEmergencyStop(db, { actor: userActor(admin.id), reason: "OFREP test over" }, new Date());
    }
    const after = await single(stopped.key, { key: reader });
    expect(evaluationSuccess.parse(after.body)).toMatchObject({
      value: false,
      reason: "DISABLED",
      metadata: { killSwitch: true, percent: 100, turnedOffBy: "emergency_stop" },
    });
  });
});

describe("POST /ofrep/v1/evaluate/flags/{key}", () => {
  it("answers OFREP's shapes: success, flagNotFound (404), TARGETING_KEY_MISSING (400)", async () => {
    const ok = await single(keys.global, { key: reader, body: { context: { targetingKey: "u", plan: "pro" } } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("cache-control")).toBe("no-store");
    expect(evaluationSuccess.parse(ok.body)).toEqual({
      key: keys.global,
      value: true,
      reason: "STATIC",
      variant: "on",
      metadata: { killSwitch: false, percent: 100 },
    });
    const missing = await single(`${uid}.nope`, { key: reader });
    expect(missing.status).toBe(404);
    expect(flagNotFound.parse(missing.body)).toMatchObject({ key: `${uid}.nope`, errorCode: "FLAG_NOT_FOUND" });
    const noSubject = await single(keys.split, { key: reader });
    expect(noSubject.status).toBe(400);
    expect(evaluationFailure.parse(noSubject.body)).toMatchObject({
      key: keys.split,
      errorCode: "TARGETING_KEY_MISSING",
    });
  });

  it("answers PARSE_ERROR for a body that is not JSON and INVALID_CONTEXT for a context that is wrong", async () => {
    const broken = await single(keys.global, { key: reader, body: '{"context": {' });
    expect(broken.status).toBe(400);
    expect(evaluationFailure.parse(broken.body)).toMatchObject({ key: keys.global, errorCode: "PARSE_ERROR" });
    for (const body of [{}, { context: "x" }, { context: { targetingKey: 7 } }, { context: { target: "Bad Slug" } }]) {
      const invalid = await single(keys.global, { key: reader, body });
      expect(invalid.status).toBe(400);
      expect(evaluationFailure.parse(invalid.body)).toMatchObject({ key: keys.global, errorCode: "INVALID_CONTEXT" });
    }
    const unknownTarget = await single(keys.global, { key: reader, body: { context: { target: uniqueSlug() } } });
    expect(unknownTarget.status).toBe(400);
    expect(unknownTarget.body.errorDetails).toMatch(/context\.target: no target/);
  });

  it("refuses without a key (401) and a target outside the key's list (403)", async () => {
    const anonymous = await single(keys.global);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Bearer realm="rewind"');
    expect(generalErrorResponse.parse(anonymous.body).errorDetails).toMatch(/Send an API key/);
    const other = await makeTarget(db);
    const outside = await single(keys.global, { key: targetReader, body: { context: { target: other.slug } } });
    expect(outside.status).toBe(403);
    expect(generalErrorResponse.parse(outside.body).errorDetails).toMatch(/may not use target/);
  });

  it("needs no request signature from a key created with signing on", async () => {
    const signed = await makeKey(db, { scopes: ["flags:read"], signed: true });
    expect((await single(keys.global, { key: signed })).status).toBe(200);
  });

  it("throttles a key past its rate limit with 429 and Retry-After", async () => {
    const busy = await makeKey(db, { scopes: ["flags:read"] });
    // A body that is not JSON: the cheapest request past the limiter (PARSE_ERROR), so the burst is spent fast.
    const responses = await Promise.all(
      Array.from({ length: 300 }, () => single(keys.global, { key: busy, body: "{" })),
    );
    const throttled = responses.filter((response) => response.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(responses.filter((response) => response.status === 400).length).toBeGreaterThanOrEqual(100);
    expect(Number(throttled[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(generalErrorResponse.parse(throttled[0]!.body).errorDetails).toMatch(/Rate limit/);
  });
});

describe("POST /ofrep/v1/evaluate/flags", () => {
  it("evaluates the global flags and the target's, with per-flag failures, and answers 304 to its ETag", async () => {
    const context = { targetingKey: subject(keys.split, 50, true), target: target.slug };
    const first = await bulk({ key: reader, body: { context } });
    expect(first.status).toBe(200);
    const body = bulkEvaluationSuccess.parse(first.body);
    expect(body.metadata).toEqual({ target: target.slug });
    const mine = body.flags.filter((evaluation) => evaluation.key.startsWith(uid));
    expect(
      Object.fromEntries(mine.map((evaluation) => [evaluation.key, "value" in evaluation && evaluation.value])),
    ).toMatchObject({
      [keys.global]: true,
      [keys.targeted]: true,
      [keys.split]: true,
      [keys.off]: false,
      [keys.zero]: false,
    });
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);

    const again = await bulk({ key: reader, body: { context }, headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
    expect(again.body).toBeNull();
    expect(again.headers.get("etag")).toBe(etag);

    // Another subject lands elsewhere in the split: another body, another tag.
    const other = await bulk({
      key: reader,
      body: { context: { ...context, targetingKey: subject(keys.split, 50, false) } },
      headers: { "if-none-match": etag! },
    });
    expect(other.status).toBe(200);
    expect(other.headers.get("etag")).not.toBe(etag);

    // A flag change changes the tag.
    await flag(`${uid}.later`);
    const changed = await bulk({ key: reader, body: { context }, headers: { "if-none-match": etag! } });
    expect(changed.status).toBe(200);
  });

  it("lists a percentage flag without a targetingKey as TARGETING_KEY_MISSING, and no target flags without a target", async () => {
    const response = await bulk({ key: reader });
    const body = bulkEvaluationSuccess.parse(response.body);
    expect(body.metadata).toBeUndefined();
    expect(body.flags.find((evaluation) => evaluation.key === keys.split)).toMatchObject({
      errorCode: "TARGETING_KEY_MISSING",
    });
    expect(body.flags.some((evaluation) => evaluation.key === keys.targeted)).toBe(false);
  });

  it("fails whole with bulkEvaluationFailure: PARSE_ERROR, INVALID_CONTEXT", async () => {
    const broken = await bulk({ key: reader, body: "not json" });
    expect(broken.status).toBe(400);
    expect(bulkEvaluationFailure.parse(broken.body)).toMatchObject({ errorCode: "PARSE_ERROR" });
    const empty = await bulk({ key: reader, body: "" });
    expect(bulkEvaluationFailure.parse(empty.body)).toMatchObject({ errorCode: "PARSE_ERROR" });
    const invalid = await bulk({ key: reader, body: { context: [] } });
    expect(invalid.status).toBe(400);
    expect(bulkEvaluationFailure.parse(invalid.body)).toMatchObject({ errorCode: "INVALID_CONTEXT" });
    expect((await bulk()).status).toBe(401);
  });
});

describe("CORS (OFREP_CORS_ORIGINS)", () => {
  const origin = "https://app.example.com";
  let corsApp: BuiltApp;

  beforeAll(async () => {
    corsApp = await startBuiltApp({ databaseUrl: inject("databaseUrl"), env: { OFREP_CORS_ORIGINS: origin } });
  }, 60_000);

  afterAll(async () => {
    await corsApp.stop();
  });

  it("answers an allowed origin's preflight and exposes ETag and Retry-After on the response", async () => {
    for (const path of ["/ofrep/v1/evaluate/flags", `/ofrep/v1/evaluate/flags/${keys.global}`]) {
      const preflight = await fetch(`${corsApp.baseUrl}${path}`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe(origin);
      expect(preflight.headers.get("access-control-allow-methods")).toBe("POST, OPTIONS");
      expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Authorization, X-API-Key, Content-Type/);
      expect(preflight.headers.get("vary")).toMatch(/Origin/);
    }
    const response = await bulk({ key: reader, baseUrl: corsApp.baseUrl, headers: { origin } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(origin);
    expect(response.headers.get("access-control-expose-headers")).toBe("ETag, Retry-After");
    const refused = await single(keys.global, { baseUrl: corsApp.baseUrl, headers: { origin } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe(origin);
  });

  it("gives another origin no CORS headers, and the default server none at all", async () => {
    const preflight = await fetch(`${corsApp.baseUrl}/ofrep/v1/evaluate/flags`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const unconfigured = await bulk({ key: reader, headers: { origin } });
    expect(unconfigured.status).toBe(200);
    expect(unconfigured.headers.get("access-control-allow-origin")).toBeNull();
  });
});
