// The production server's log (LOG_LEVEL=debug, written to a file by test/http/global-setup.ts) during a session
// that handles every kind of secret Rewind has: a password sign-in, an API key created in the console, signed
// batches that trigger an emergency rollback, an abort, refusals and a cron-run cycle. Every line is JSON, the
// actions are there with their target and rollback, and none of the secrets appears anywhere in the log.
import { readFileSync, statSync } from "node:fs";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { signRequest } from "@/server/domain/api-keys";
import { testPassword } from "../integration/helpers";
import { api, recentEvents, testDb, uniqueSlug, type TestKey } from "./helpers";
import { cookiesOf, signIn, type BrowserSession } from "./session";

const db = testDb();
const baseUrl = inject("baseUrl");
const logFile = inject("serverLogFile");

/** Every secret this file sends or receives; none may reach the log. */
const secrets = new Set<string>([testPassword, inject("cronSecret")]);
let logStart = 0;
let admin: BrowserSession;

beforeAll(async () => {
  logStart = statSync(logFile).size;
  admin = await signIn(db, "ADMIN");
  for (const value of admin.cookie.split("; ").map((pair) => pair.slice(pair.indexOf("=") + 1))) {
    secrets.add(decodeURIComponent(value));
    secrets.add(value);
  }
  secrets.add(admin.csrfToken);
});

/** A tRPC mutation from the console's own origin, as the signed-in admin. */
async function mutate(procedure: string, input: unknown) {
  const response = await fetch(`${baseUrl}/api/trpc/${procedure}`, {
    method: "POST",
    headers: {
      cookie: admin.cookie,
      origin: baseUrl,
      "sec-fetch-site": "same-origin",
      "content-type": "application/json",
    },
    body: JSON.stringify({ json: input }),
  });
  for (const value of cookiesOf(response).values()) secrets.add(value);
  return { status: response.status, body: (await response.json()) as { result: { data: { json: any } } } };
}

/** A signed request whose signature is remembered as a secret. */
function signed(method: string, path: string, key: TestKey, body: unknown, headers: Record<string, string> = {}) {
  const signature = signRequest(key.secret, Math.floor(Date.now() / 1000), JSON.stringify(body));
  secrets.add(signature);
  secrets.add(signature.slice(signature.indexOf("v1=") + 3));
  return api(method, path, { key, body, signature, headers });
}

function logText(): string {
  return readFileSync(logFile, "utf8");
}

/** The lines this file's requests produced, parsed; a line that is not JSON fails the test. */
function linesSinceStart(): Record<string, unknown>[] {
  const text = readFileSync(logFile).subarray(logStart).toString("utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`A server log line is not JSON: ${line}`);
      }
    });
}

/** The server writes its lines before it answers; the test process reads them a moment later. */
async function waitForLine(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const found = linesSinceStart().find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the expected line never reached the server log");
}

describe("the server log", () => {
  it("says what happened, with targets, rollbacks and request ids, and never a secret", async () => {
    const created = await mutate("apiKeys.create", {
      name: `log test ${Date.now()}`,
      scopes: ["ingest", "policies:write", "snapshots:write", "rollbacks:write"],
    });
    expect(created.status).toBe(200);
    const {
      apiKey,
      key: rawKey,
      signingSecret,
    } = created.body.result.data.json as {
      apiKey: { id: string };
      key: string;
      signingSecret: string;
    };
    const key: TestKey = { id: apiKey.id, key: rawKey, secret: signingSecret };
    secrets.add(rawKey);
    secrets.add(signingSecret);

    // A target on v2 with v1 known-good, set up through the signed machine API.
    const slug = uniqueSlug("logged");
    expect((await signed("PUT", `/api/v1/targets/${slug}`, key, { name: slug })).status).toBeLessThan(300);
    const policy = { minRequests: 10, burnRate: { enabled: false } };
    expect((await signed("PUT", `/api/v1/targets/${slug}/policy`, key, policy)).status).toBeLessThan(300);
    const good = await signed("POST", `/api/v1/targets/${slug}/snapshots`, key, { config: { v: 1 } });
    const target = await db.target.findUniqueOrThrow({ where: { slug } });
    await db.configSnapshot.update({ where: { id: good.body.id }, data: { knownGoodAt: new Date() } });
    await db.target.update({ where: { id: target.id }, data: { knownGoodSnapshotId: good.body.id } });
    await signed("POST", `/api/v1/targets/${slug}/snapshots`, key, { config: { v: 2 } });

    // A batch that breaches at emergency level: the server rolls back at once.
    const events = recentEvents(60, { ok: false }).map((event) => ({ ...event, snapshotVersion: 2 }));
    const ingest = await signed("POST", "/api/v1/ingest", key, { target: slug, events });
    expect(ingest.status).toBe(202);
    const rollback = await db.rollback.findUniqueOrThrow({ where: { activeTargetId: target.id } });
    const abort = await signed(
      "POST",
      `/api/v1/rollbacks/${rollback.id}/abort`,
      key,
      { reason: "logged abort" },
      { "idempotency-key": `abort-${rollback.id}` },
    );
    expect(abort.status).toBe(200);

    // Refusals: a forged signature, a made-up key, a wrong cron secret; then a cycle through the cron route.
    const forged = await api("POST", "/api/v1/ingest", {
      key,
      body: { target: slug, events: recentEvents(1) },
      signature: `t=${Math.floor(Date.now() / 1000)},v1=${"ab".repeat(32)}`,
    });
    expect(forged.status).toBe(401);
    const madeUp = `rwd_${"Q".repeat(43)}`;
    secrets.add(madeUp);
    expect((await api("GET", `/api/v1/targets/${slug}/config`, { key: madeUp })).status).toBe(401);
    const wrongCron = `${inject("cronSecret")}-wrong`;
    secrets.add(wrongCron);
    const refusedCron = await fetch(`${baseUrl}/api/cron/monitor`, {
      headers: { authorization: `Bearer ${wrongCron}` },
    });
    expect(refusedCron.status).toBe(401);
    // Cycles start at least a second apart: clear any earlier test's lease so this one runs.
    await db.lease.deleteMany({});
    const cron = await fetch(`${baseUrl}/api/cron/monitor`, {
      method: "POST",
      headers: { authorization: `Bearer ${inject("cronSecret")}` },
    });
    expect(cron.status).toBe(200);

    // The actions, each with its target, rollback and request.
    const keyCreated = await waitForLine((line) => line.msg === "api_key.created" && line.entityId === apiKey.id);
    expect(keyCreated).toMatchObject({
      level: "info",
      actor: `user:${admin.userId}`,
      request: "POST /api/trpc/apiKeys.create",
    });
    const verdict = await waitForLine((line) => line.msg === "verdict.changed" && line.target === slug);
    expect(verdict).toMatchObject({ to: "BREACH", severity: "EMERGENCY", decision: "EMERGENCY_ROLLBACK" });
    const rolledBack = await waitForLine((line) => line.msg === "rollback.created" && line.rollbackId === rollback.id);
    expect(rolledBack).toMatchObject({
      target: slug,
      targetId: target.id,
      trigger: "EMERGENCY",
      // Rewind decided it (the audit's actor) while handling the key's batch (the request's caller).
      actor: "system",
      caller: `api_key:${apiKey.id}`,
      request: "POST /api/v1/ingest",
      requestId: verdict.requestId,
    });
    const aborted = await waitForLine((line) => line.msg === "rollback.aborted" && line.rollbackId === rollback.id);
    expect(aborted).toMatchObject({ target: slug, actor: `api_key:${apiKey.id}`, requestId: expect.any(String) });
    expect(aborted.requestId).not.toBe(rolledBack.requestId);
    const refusals = linesSinceStart().filter((line) => line.msg === "request.refused" && line.code === "UNAUTHORIZED");
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    await waitForLine((line) => line.msg === "cycle.completed" && line.trigger === "cron");

    // Every line of this session is JSON with the three fixed fields; no secret appears anywhere in the log.
    for (const line of linesSinceStart()) {
      expect(line).toMatchObject({ time: expect.any(String), level: expect.any(String), msg: expect.any(String) });
    }
    const text = logText();
    for (const secret of secrets) {
      if (secret.length >= 8) expect(text.includes(secret), `a secret of ${secret.length} characters`).toBe(false);
    }
  });
});
