// A target's pulled metric source through the admin procedures: saving (audited, secret sealed and bound to its
// row, never returned), refusals by field with nothing written, removing, and the test pull that records nothing.
import { vi, afterAll, describe, expect, it } from "vitest";
import { openSecret } from "@/server/services/platform/secret-box";
import { secretBinding } from "@/server/services/pulled-sources/metric-sources";
import { callerFor, makeTarget, makeUser, testDb } from "../helpers";
import { prometheusStandIn } from "./stand-ins";

// Read by server/env.js when it loads: the procedures seal secrets with it.
vi.hoisted(() => {
  process.env.API_KEY_ENCRYPTION_KEY = "cd".repeat(32);
});
const KEY = Buffer.from("cd".repeat(32), "hex");

const db = testDb();
const TOKEN = "glsa_abcdefghijklmnop0123456789";

const servers: { close: () => Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function admin() {
  return callerFor(db, (await makeUser(db, "ADMIN")).id);
}

const prometheus = (url = "http://prometheus.monitoring:9090") => ({
  kind: "PROMETHEUS" as const,
  config: { url, queries: { requestCount: "sum(increase(requests_total[$window]))", p95Ms: "p95" } },
});

describe("metricSources.save", () => {
  it("creates, seals the token to its row, audits without it, and returns no secret", async () => {
    const caller = await admin();
    const target = await makeTarget(db);
    const saved = await caller.metricSources.save({
      targetId: target.id,
      source: { ...prometheus(), bearerToken: TOKEN },
    });
    expect(saved).toMatchObject({
      created: true,
      changed: true,
      source: {
        targetId: target.id,
        kind: "PROMETHEUS",
        enabled: true,
        secretSet: true,
        config: { url: "http://prometheus.monitoring:9090", timeoutSeconds: 5 },
        lastPulledAt: null,
      },
    });
    expect(JSON.stringify(saved)).not.toContain(TOKEN);
    expect(JSON.stringify(await caller.metricSources.list())).not.toContain(TOKEN);
    const row = await db.metricSource.findUniqueOrThrow({ where: { targetId: target.id } });
    expect(row.secretSealed).not.toContain(TOKEN);
    expect(openSecret(row.secretSealed!, secretBinding(row.id), KEY, "token")).toBe(TOKEN);
    // Bound to its row: the same sealed text on another source does not open.
    expect(() => openSecret(row.secretSealed!, secretBinding("another"), KEY, "token")).toThrow(/cannot be decrypted/);
    const events = await db.auditEvent.findMany({ where: { entityType: "MetricSource", entityId: row.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: "metric_source.saved",
      targetId: target.id,
      before: null,
      after: { kind: "PROMETHEUS", enabled: true, secret: "set" },
    });
    expect(JSON.stringify(events)).not.toContain(TOKEN);
  });

  it("keeps the token when left out, records nothing for the same source, replaces and removes it", async () => {
    const caller = await admin();
    const target = await makeTarget(db);
    await caller.metricSources.save({ targetId: target.id, source: { ...prometheus(), bearerToken: TOKEN } });
    const same = await caller.metricSources.save({ targetId: target.id, source: prometheus() });
    expect(same).toMatchObject({ created: false, changed: false, source: { secretSet: true } });
    const sameToken = await caller.metricSources.save({
      targetId: target.id,
      source: { ...prometheus(), bearerToken: TOKEN },
    });
    expect(sameToken.changed).toBe(false);
    await caller.metricSources.save({
      targetId: target.id,
      source: { ...prometheus(), bearerToken: "another-token-123" },
    });
    const removed = await caller.metricSources.save({
      targetId: target.id,
      source: { ...prometheus(), bearerToken: null },
    });
    expect(removed).toMatchObject({ changed: true, source: { secretSet: false } });
    const events = await db.auditEvent.findMany({
      where: { entityType: "MetricSource", targetId: target.id },
      orderBy: { sequence: "asc" },
    });
    expect(events.map((event) => (event.after as { secret: string }).secret)).toEqual(["set", "replaced", "unset"]);
  });

  it("refuses bad input by field path and writes nothing", async () => {
    const caller = await admin();
    const target = await makeTarget(db);
    const refused = async (source: unknown) => {
      const error = await caller.metricSources
        .save({ targetId: target.id, source: source as never })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "BAD_REQUEST" });
      // The AppError the service threw, as tRPC passes it to the error formatter (issues by field path).
      return (error as { cause: { details: { issues: Record<string, string> } } }).cause.details.issues;
    };
    expect(
      await refused({ kind: "PROMETHEUS", config: { url: "ftp://x", timeoutSeconds: 60, queries: { p95Ms: "" } } }),
    ).toMatchObject({
      "config.url": expect.stringMatching(/https or http/) as string,
      "config.timeoutSeconds": expect.stringMatching(/at most 30/) as string,
      "config.queries.requestCount": expect.stringMatching(/minimum of requests/) as string,
      "config.queries.p95Ms": expect.stringMatching(/PromQL/) as string,
    });
    const cloudWatch = {
      kind: "CLOUDWATCH",
      config: {
        region: "us-east-1",
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        metrics: [{ id: "n", namespace: "AWS/Bedrock", metricName: "Invocations", stat: "Sum" }],
        queries: { requestCount: "n" },
      },
    };
    expect(await refused(cloudWatch)).toEqual({ secretAccessKey: "Enter the secret access key of this access key id" });
    expect(
      await refused({
        ...cloudWatch,
        config: { ...cloudWatch.config, accessKeyId: undefined },
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      }),
    ).toHaveProperty("config.accessKeyId");
    expect(await db.metricSource.count({ where: { targetId: target.id } })).toBe(0);
    expect(await db.auditEvent.count({ where: { entityType: "MetricSource", targetId: target.id } })).toBe(0);
  });

  it("drops the saved token when the kind changes: a token is no secret access key", async () => {
    const caller = await admin();
    const target = await makeTarget(db);
    await caller.metricSources.save({ targetId: target.id, source: { ...prometheus(), bearerToken: TOKEN } });
    const switched = await caller.metricSources.save({
      targetId: target.id,
      source: {
        kind: "CLOUDWATCH",
        config: {
          region: "eu-west-1",
          metrics: [{ id: "n", namespace: "AWS/Bedrock", metricName: "Invocations", stat: "Sum" }],
          queries: { requestCount: "n" },
        },
      },
    });
    expect(switched.source).toMatchObject({ kind: "CLOUDWATCH", secretSet: false });
  });

  it("is for admins only", async () => {
    const operator = await callerFor(db, (await makeUser(db, "OPERATOR")).id);
    const target = await makeTarget(db);
    await expect(operator.metricSources.save({ targetId: target.id, source: prometheus() })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(operator.metricSources.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("metricSources.remove and byTarget", () => {
  it("removes the source, audited, and answers null afterwards", async () => {
    const caller = await admin();
    const target = await makeTarget(db);
    await caller.metricSources.save({ targetId: target.id, source: prometheus() });
    expect(await caller.metricSources.byTarget({ targetId: target.id })).toMatchObject({ kind: "PROMETHEUS" });
    expect(await caller.metricSources.remove({ targetId: target.id })).toEqual({ deleted: true });
    expect(await caller.metricSources.remove({ targetId: target.id })).toEqual({ deleted: false });
    expect(await caller.metricSources.byTarget({ targetId: target.id })).toBeNull();
    const actions = await db.auditEvent.findMany({
      where: { entityType: "MetricSource", targetId: target.id },
      orderBy: { sequence: "asc" },
      select: { action: true },
    });
    expect(actions.map((event) => event.action)).toEqual(["metric_source.saved", "metric_source.deleted"]);
    await expect(caller.metricSources.remove({ targetId: "missing" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("metricSources.test", () => {
  it("pulls the form's settings with the saved token, shows readings or the error, and records nothing", async () => {
    const server = await prometheusStandIn((query) => ({ requests: "321", p95: "845.5", nope: undefined })[query]);
    servers.push(server);
    const caller = await admin();
    const target = await makeTarget(db);
    await caller.metricSources.save({ targetId: target.id, source: { ...prometheus(server.url), bearerToken: TOKEN } });
    const source = {
      kind: "PROMETHEUS" as const,
      config: { url: server.url, queries: { requestCount: "requests", p95Ms: "p95" } },
    };
    const ok = await caller.metricSources.test({ targetId: target.id, source });
    expect(ok).toMatchObject({
      ok: true,
      readings: { requestCount: 321, readings: { p95Ms: 845.5, errorRate: null } },
    });
    expect(ok.window.to - ok.window.from).toBe(300_000);
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const failed = await caller.metricSources.test({
      targetId: target.id,
      source: { ...source, config: { ...source.config, queries: { requestCount: "nope" } } },
    });
    expect(failed).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^Request count: HTTP 400 \(bad_data\)/) as string,
    });
    expect(await db.metricSource.findUniqueOrThrow({ where: { targetId: target.id } })).toMatchObject({
      lastPulledAt: null,
      lastError: null,
    });
  });
});
