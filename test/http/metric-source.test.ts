// GET, PUT, DELETE /api/v1/targets/{slug}/metric-source over real HTTP: a pulled source as code, its secret
// write-only, bad input refused by field path with nothing written, the key's scope and target list enforced.
import { beforeAll, describe, expect, it } from "vitest";
import { signRequestV2 } from "@/server/domain/api-keys";
import { api, makeKey, testDb, uniqueSlug, type TestKey } from "./helpers";

const db = testDb();
let admin: TestKey;
let publisher: TestKey;
const TOKEN = "glsa_secret_token_0123456789abcdef";

beforeAll(async () => {
  admin = await makeKey(db, { scopes: ["policies:write"] });
  publisher = await makeKey(db, { scopes: ["snapshots:write"] });
});

async function newTarget(): Promise<string> {
  const slug = uniqueSlug();
  const response = await api("PUT", `/api/v1/targets/${slug}`, { key: admin, body: { name: `Pulled ${slug}` } });
  expect(response.status).toBe(201);
  return slug;
}

/** A DELETE signed over its empty body; `secondsAgo` keeps two deletes of one path from reading as a replay. */
function remove(path: string, key: TestKey, options: { signed?: boolean; secondsAgo?: number } = {}) {
  const timestamp = Math.floor(Date.now() / 1000) - (options.secondsAgo ?? 0);
  const headers: Record<string, string> =
    options.signed === false
      ? {}
      : { "x-rewind-signature": signRequestV2(key.secret, timestamp, { method: "DELETE", path, rawBody: "" }) };
  return api("DELETE", path, { key, headers });
}

const prometheus = {
  kind: "PROMETHEUS",
  config: {
    url: "http://prometheus.monitoring:9090",
    queries: {
      requestCount: "sum(increase(litellm_proxy_total_requests_metric_total[$window]))",
      errorRate:
        "sum(increase(litellm_proxy_failed_requests_metric_total[$window])) / sum(increase(litellm_proxy_total_requests_metric_total[$window]))",
    },
  },
};

describe("/api/v1/targets/{slug}/metric-source", () => {
  it("creates with 201, answers 200 unchanged, reads back without the secret, deletes", async () => {
    const slug = await newTarget();
    const path = `/api/v1/targets/${slug}/metric-source`;
    expect(await api("GET", path, { key: admin })).toMatchObject({ status: 200, body: { source: null } });

    const created = await api("PUT", path, { key: admin, body: { ...prometheus, bearerToken: TOKEN } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      changed: true,
      source: { kind: "PROMETHEUS", enabled: true, secretSet: true, config: { timeoutSeconds: 5 }, lastError: null },
    });
    const again = await api("PUT", path, { key: admin, body: prometheus });
    expect(again).toMatchObject({ status: 200, body: { changed: false, source: { secretSet: true } } });
    const read = await api("GET", path, { key: admin });
    expect(read.body.source.config).toEqual({ ...prometheus.config, timeoutSeconds: 5 });
    for (const response of [created, again, read]) expect(JSON.stringify(response.body)).not.toContain(TOKEN);

    const row = await db.metricSource.findFirstOrThrow({ where: { target: { slug } } });
    const events = await db.auditEvent.findMany({ where: { entityType: "MetricSource", entityId: row.id } });
    expect(events.map((event) => [event.action, event.actorType, event.actorId])).toEqual([
      ["metric_source.saved", "API_KEY", admin.id],
    ]);
    expect(JSON.stringify(events)).not.toContain(TOKEN);

    expect((await remove(path, admin, { signed: false })).status).toBe(401);
    expect(await remove(path, admin)).toMatchObject({ status: 200, body: { deleted: true } });
    expect(await remove(path, admin, { secondsAgo: 1 })).toMatchObject({ status: 200, body: { deleted: false } });
    expect(await api("GET", path, { key: admin })).toMatchObject({ status: 200, body: { source: null } });
  });

  it("refuses bad input with 422 by field path and writes nothing", async () => {
    const slug = await newTarget();
    const path = `/api/v1/targets/${slug}/metric-source`;
    const invalid = await api("PUT", path, {
      key: admin,
      body: {
        kind: "CLOUDWATCH",
        config: {
          region: "us-east-1",
          metrics: [{ id: "latency", namespace: "AWS/Bedrock", metricName: "InvocationLatency", stat: "p95x" }],
          queries: { requestCount: "invocations", p95Ms: "latency" },
        },
      },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.issues).toEqual({
      "config.metrics.0.stat": expect.stringMatching(/statistic/i),
      "config.queries.requestCount": expect.stringMatching(/“invocations” is no metric's id/),
    });
    const noSecret = await api("PUT", path, {
      key: admin,
      body: {
        kind: "CLOUDWATCH",
        config: {
          region: "us-east-1",
          accessKeyId: "AKIAIOSFODNN7EXAMPLE",
          metrics: [{ id: "invocations", namespace: "AWS/Bedrock", metricName: "Invocations", stat: "Sum" }],
          queries: { requestCount: "invocations" },
        },
      },
    });
    expect(noSecret.status).toBe(422);
    expect(noSecret.body.error.issues).toEqual({
      secretAccessKey: "Enter the secret access key of this access key id",
    });
    expect((await api("PUT", path, { key: admin, body: { kind: "GRAPHITE" } })).body.error.issues).toEqual({
      kind: "kind must be PROMETHEUS or CLOUDWATCH",
    });
    expect((await api("PUT", path, { key: admin, body: "[1," })).status).toBe(400);
    expect(await db.metricSource.count({ where: { target: { slug } } })).toBe(0);
    expect(await api("GET", path, { key: admin })).toMatchObject({ status: 200, body: { source: null } });
  });

  it("needs policies:write, the target on the key's list, and a target that exists", async () => {
    const slug = await newTarget();
    const path = `/api/v1/targets/${slug}/metric-source`;
    expect((await api("PUT", path, { key: publisher, body: prometheus })).status).toBe(403);
    expect((await api("GET", path, { key: publisher })).status).toBe(403);
    const limited = await makeKey(db, { scopes: ["policies:write"], targets: ["some-other-target"] });
    expect((await remove(path, limited)).status).toBe(403);
    expect((await api("GET", `/api/v1/targets/${uniqueSlug()}/metric-source`, { key: admin })).status).toBe(404);
    expect((await api("GET", path)).status).toBe(401);
    expect(await db.metricSource.count({ where: { target: { slug } } })).toBe(0);
  });
});
