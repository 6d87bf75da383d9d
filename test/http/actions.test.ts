// Rewind acting without the monitoring cycle: an emergency batch rolls back at once, and Alertmanager's
// firing and resolved alerts become verdicts that are decided on. No cron call anywhere in this file.
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeKey, recentEvents, testDb, uniqueSlug, type TestKey } from "./helpers";

const db = testDb();
let admin: TestKey;
let publisher: TestKey;
let ingester: TestKey;

beforeAll(async () => {
  // Unsigned: every target here is set up with the same bodies, whose signatures would repeat within a second.
  admin = await makeKey(db, { scopes: ["policies:write"], signed: false });
  publisher = await makeKey(db, { scopes: ["snapshots:write"], signed: false });
  ingester = await makeKey(db, { scopes: ["ingest"] });
});

/** A target on v2 with v1 known-good, under a policy judging 5 minutes of at least 10 requests. */
async function targetWithKnownGood(policy: Record<string, unknown> = {}) {
  const slug = uniqueSlug();
  await api("PUT", `/api/v1/targets/${slug}`, { key: admin, body: { name: slug } });
  await api("PUT", `/api/v1/targets/${slug}/policy`, {
    key: admin,
    body: { minRequests: 10, burnRate: { enabled: false }, ...policy },
  });
  const good = await api("POST", `/api/v1/targets/${slug}/snapshots`, { key: publisher, body: { config: { v: 1 } } });
  const target = await db.target.findUniqueOrThrow({ where: { slug } });
  await db.configSnapshot.update({ where: { id: good.body.id }, data: { knownGoodAt: new Date() } });
  await db.target.update({ where: { id: target.id }, data: { knownGoodSnapshotId: good.body.id } });
  const bad = await api("POST", `/api/v1/targets/${slug}/snapshots`, { key: publisher, body: { config: { v: 2 } } });
  return { slug, targetId: target.id, goodId: good.body.id as string, badId: bad.body.id as string };
}

describe("event-driven action", () => {
  it("rolls back at once when a batch makes an emergency-level breach", async () => {
    const { slug, targetId, goodId } = await targetWithKnownGood();
    const cyclesBefore = await db.cycleRun.count();
    // v2 was published a moment ago: only traffic the orchestrator attributes to it judges it (the rest of the
    // window is v1's, or within the pickup grace).
    const events = recentEvents(60, { ok: false }).map((event) => ({ ...event, snapshotVersion: 2 }));
    const response = await api("POST", "/api/v1/ingest", { key: ingester, body: { target: slug, events } });
    expect(response.status).toBe(202);
    expect(
      await db.metricBucket.aggregate({ where: { targetId, snapshotVersion: 2 }, _sum: { requestCount: true } }),
    ).toMatchObject({ _sum: { requestCount: 60 } });
    expect(response.body.action).toMatchObject({
      verdict: { status: "BREACH", severity: "EMERGENCY" },
      decision: "EMERGENCY_ROLLBACK",
      rollback: { status: "IN_PROGRESS", created: true },
    });
    const rollback = await db.rollback.findUniqueOrThrow({ where: { activeTargetId: targetId } });
    expect(rollback).toMatchObject({
      trigger: "EMERGENCY",
      status: "IN_PROGRESS",
      trafficPercent: 100,
      toSnapshotId: goodId,
    });
    expect(await db.cycleRun.count()).toBe(cyclesBefore);

    const reader = await makeKey(db, { scopes: ["config:read"] });
    const config = await api("GET", `/api/v1/targets/${slug}/config`, { key: reader });
    expect(config.body.rollback.split).toEqual([expect.objectContaining({ id: goodId, version: 1, weight: 100 })]);
    // An emergency switches at once: `snapshot` is the known-good one from the rollback's start.
    expect(config.body.snapshot).toMatchObject({ id: goodId, version: 1 });

    // Further batches during the rollback do not act again.
    const more = await api("POST", "/api/v1/ingest", {
      key: ingester,
      body: { target: slug, events: recentEvents(20, { ok: false }) },
    });
    expect(more.body.action).toBeNull();
    expect(await db.rollback.count({ where: { targetId } })).toBe(1);
  });

  it("leaves a violation short of the emergency level to the cycle", async () => {
    const { slug, targetId } = await targetWithKnownGood();
    // 10% errors: over the 5% limit, under 3 × 5%.
    const events = recentEvents(60).map((event, i) => ({ ...event, ok: i % 10 !== 0 }));
    const response = await api("POST", "/api/v1/ingest", { key: ingester, body: { target: slug, events } });
    expect(response.status).toBe(202);
    expect(response.body.action).toBeNull();
    expect(await db.rollback.count({ where: { targetId } })).toBe(0);
    expect(await db.verdictRecord.count({ where: { targetId } })).toBe(0);
  });
});

function payload(alerts: { status: "firing" | "resolved"; labels: Record<string, string>; summary?: string }[]) {
  return {
    version: "4",
    groupKey: '{}:{alertname="HighErrorRate"}',
    truncatedAlerts: 0,
    status: alerts.some((alert) => alert.status === "firing") ? "firing" : "resolved",
    receiver: "rewind",
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    alerts: alerts.map(({ status, labels, summary }, i) => ({
      status,
      labels: { alertname: "HighErrorRate", ...labels },
      annotations: summary ? { summary, value: "0.12", threshold: "0.05" } : {},
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      endsAt: status === "resolved" ? new Date().toISOString() : "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus:9090/graph",
      fingerprint: `f${i}`,
    })),
  };
}

describe("POST /api/v1/alertmanager", () => {
  let alerts: TestKey;
  beforeAll(async () => {
    alerts = await makeKey(db, { scopes: ["ingest"], signed: false });
  });

  it("turns firing alerts into verdicts by severity and resolved ones into a healthy verdict", async () => {
    const { slug, targetId } = await targetWithKnownGood();
    const post = (body: unknown) => api("POST", "/api/v1/alertmanager", { key: alerts, body, signature: false });

    const warning = await post(
      payload([
        { status: "firing", labels: { rewind_target: slug, severity: "warning" }, summary: "errors at 12%" },
        { status: "firing", labels: { severity: "critical" } },
      ]),
    );
    expect(warning.status).toBe(202);
    expect(warning.body).toMatchObject({
      ignoredAlerts: 1,
      targets: [{ target: slug, verdict: { status: "VIOLATION" }, decision: "NOTIFY", rollback: null }],
    });
    expect(await db.notification.count({ where: { targetId, event: "verdict.violation" } })).toBe(1);

    const critical = await post(payload([{ status: "firing", labels: { rewind_target: slug, severity: "critical" } }]));
    expect(critical.body.targets[0]).toMatchObject({
      verdict: { status: "BREACH", severity: "CRITICAL" },
      decision: "PROPOSE_ROLLBACK",
      rollback: { status: "PENDING_APPROVAL", created: true },
    });

    const resolved = await post(
      payload([{ status: "resolved", labels: { rewind_target: slug, severity: "critical" } }]),
    );
    expect(resolved.body.targets[0]).toMatchObject({ verdict: { status: "HEALTHY" }, decision: "NONE" });

    const verdicts = await db.verdictRecord.findMany({ where: { targetId }, orderBy: { evaluatedAt: "asc" } });
    expect(verdicts.map((v) => [v.status, v.severity, v.consecutiveCount])).toEqual([
      ["VIOLATION", null, 1],
      ["BREACH", "CRITICAL", 2],
      ["HEALTHY", null, 0],
    ]);
    expect(verdicts[0]?.details).toMatchObject({
      source: "alertmanager",
      violations: [{ slo: "ERROR_RATE", observed: 0.12, threshold: 0.05 }],
      alerts: [{ alertname: "HighErrorRate", severity: "warning", status: "firing" }],
    });
  });

  it("rolls back at once on an emergency alert", async () => {
    const { slug, targetId } = await targetWithKnownGood();
    const response = await api("POST", "/api/v1/alertmanager", {
      key: alerts,
      body: payload([{ status: "firing", labels: { rewind_target: slug, severity: "page" } }]),
      signature: false,
    });
    expect(response.body.targets[0]).toMatchObject({
      decision: "EMERGENCY_ROLLBACK",
      rollback: { status: "IN_PROGRESS" },
    });
    expect(await db.rollback.findUnique({ where: { activeTargetId: targetId } })).toMatchObject({
      trigger: "EMERGENCY",
    });
  });

  it("judges the known targets of a group and reports (and records) the unknown ones", async () => {
    const { slug, targetId } = await targetWithKnownGood();
    const missing = uniqueSlug("missing");
    const response = await api("POST", "/api/v1/alertmanager", {
      key: alerts,
      body: payload([
        { status: "firing", labels: { rewind_target: missing, severity: "critical" } },
        { status: "firing", labels: { rewind_target: slug, severity: "critical" } },
        { status: "firing", labels: { rewind_target: missing, severity: "warning" } },
      ]),
      signature: false,
    });
    // Alertmanager retries no 4xx: one unknown target must not lose the group's other alerts.
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      unknownTargets: [{ target: missing, alerts: 2 }],
      targets: [{ target: slug, decision: "PROPOSE_ROLLBACK" }],
    });
    expect(response.body.targets).toHaveLength(1);
    expect(await db.verdictRecord.count({ where: { targetId } })).toBe(1);
    const recorded = await db.auditEvent.findMany({
      where: { action: "integration.alert_target_unknown", entityId: missing },
      select: { reason: true },
    });
    expect(recorded).toEqual([{ reason: `2 alerts labelled rewind_target=${missing}: no such target` }]);
  });

  it("refuses another payload version (422) and a key that must sign (401)", async () => {
    const v3 = await api("POST", "/api/v1/alertmanager", {
      key: alerts,
      body: { ...payload([]), version: "3" },
      signature: false,
    });
    expect(v3.status).toBe(422);
    expect(v3.body.error.issues).toHaveProperty("version");
    const signedKey = await api("POST", "/api/v1/alertmanager", { key: ingester, body: payload([]), signature: false });
    expect(signedKey.status).toBe(401);
  });
});
