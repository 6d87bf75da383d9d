// Time to first token over the machine API: events' `ttftMs` and windows' `ttftSketch` on signed ingest, a bad
// `ttftMs` refused whole with 422, an emergency TTFT breach rolled back at once and reported by the status
// endpoint, and Alertmanager's `rewind_slo: ttft_p95` alerts recorded as TTFT violations.
import { beforeAll, describe, expect, it } from "vitest";
import { LatencySketch } from "@/server/domain/sketch";
import { api, makeKey, recentEvents, testDb, uniqueSlug, type TestKey } from "./helpers";

const db = testDb();
let admin: TestKey;
let publisher: TestKey;
let ingester: TestKey;
let reader: TestKey;

beforeAll(async () => {
  admin = await makeKey(db, { scopes: ["policies:write"], signed: false });
  publisher = await makeKey(db, { scopes: ["snapshots:write"], signed: false });
  ingester = await makeKey(db, { scopes: ["ingest"] });
  reader = await makeKey(db, { scopes: ["config:read"] });
});

/** A target on v2 with v1 known-good, judging 5 minutes of at least 10 requests, P95 TTFT at most 1 s. */
async function streamingTarget() {
  const slug = uniqueSlug();
  await api("PUT", `/api/v1/targets/${slug}`, { key: admin, body: { name: slug } });
  const policy = await api("PUT", `/api/v1/targets/${slug}/policy`, {
    key: admin,
    body: { minRequests: 10, burnRate: { enabled: false }, maxTtftP95Ms: 1_000 },
  });
  expect(policy.status).toBe(201);
  const good = await api("POST", `/api/v1/targets/${slug}/snapshots`, { key: publisher, body: { config: { v: 1 } } });
  const target = await db.target.findUniqueOrThrow({ where: { slug } });
  await db.configSnapshot.update({ where: { id: good.body.id }, data: { knownGoodAt: new Date() } });
  await db.target.update({ where: { id: target.id }, data: { knownGoodSnapshotId: good.body.id } });
  await api("POST", `/api/v1/targets/${slug}/snapshots`, { key: publisher, body: { config: { v: 2 } } });
  return { slug, targetId: target.id, goodId: good.body.id as string };
}

async function stored(targetId: string) {
  const rows = await db.metricBucket.findMany({
    where: { targetId, provider: "", model: "", snapshotVersion: 0 },
    select: { requestCount: true, ttftSketch: true },
  });
  const ttft = LatencySketch.merge(
    rows.flatMap((row) => (row.ttftSketch ? [LatencySketch.decode(row.ttftSketch)] : [])),
  );
  return { requests: rows.reduce((sum, row) => sum + row.requestCount, 0), ttftCount: ttft.count, ttft };
}

describe("ingest: time to first token", () => {
  it("stores events' ttftMs and a window's ttftSketch", async () => {
    const { slug, targetId } = await streamingTarget();
    const events = recentEvents(20, { latencyMs: 900 }).map((event, i) => ({
      ...event,
      ...(i % 2 === 0 && { ttftMs: 300 }),
    }));
    const start = Math.floor((Date.now() - 200_000) / 10_000) * 10_000;
    const windows = [
      {
        start,
        requestCount: 4,
        errorCount: 0,
        costUsd: 0.004,
        sketch: LatencySketch.of([800, 850, 900, 950]).toData(),
        ttftSketch: LatencySketch.of([250, 260, 270]).toData(),
      },
    ];
    const response = await api("POST", "/api/v1/ingest", { key: ingester, body: { target: slug, events, windows } });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ events: 20, windows: 1, action: null });
    const { requests, ttftCount, ttft } = await stored(targetId);
    expect([requests, ttftCount]).toEqual([24, 13]);
    expect(ttft.quantile(1)).toBeCloseTo(300, -1);
  });

  it("names a ttftMs above the latency or negative with 422 and writes nothing of the batch", async () => {
    const { slug, targetId } = await streamingTarget();
    const bad: Record<number, number> = { 4: 501, 7: -1 };
    const events = recentEvents(10, { latencyMs: 500 }).map((event, i) => ({ ...event, ttftMs: bad[i] ?? 100 }));
    const response = await api("POST", "/api/v1/ingest", { key: ingester, body: { target: slug, events } });
    expect(response.status).toBe(422);
    expect(response.body.error).toMatchObject({
      code: "VALIDATION",
      issues: {
        "events.4.ttftMs": "Time to first token must not exceed the latency",
        "events.7.ttftMs": "Time to first token must not be negative",
      },
    });
    expect(Object.keys(response.body.error.issues)).toEqual(["events.4.ttftMs", "events.7.ttftMs"]);
    expect(await stored(targetId)).toMatchObject({ requests: 0, ttftCount: 0 });

    const start = Math.floor((Date.now() - 60_000) / 10_000) * 10_000;
    const overfull = await api("POST", "/api/v1/ingest", {
      key: ingester,
      body: {
        target: slug,
        windows: [
          {
            start,
            requestCount: 2,
            errorCount: 0,
            costUsd: 0,
            sketch: LatencySketch.of([100, 200]).toData(),
            ttftSketch: LatencySketch.of([10, 20, 30]).toData(),
          },
        ],
      },
    });
    expect(overfull.status).toBe(422);
    expect(Object.keys(overfull.body.error.issues)).toEqual(["windows.0.ttftSketch"]);
    expect(await stored(targetId)).toMatchObject({ requests: 0 });
  });

  it("rolls back at once on an emergency-level TTFT breach, and the status endpoint reports the reading", async () => {
    const { slug, targetId, goodId } = await streamingTarget();
    // Latency within the default 8 s; first tokens at 4.5 s, over 3 × the 1 s TTFT limit. The events say they
    // were served by v2, published just before: unattributed, they would fall in its pickup grace.
    const events = recentEvents(60, { latencyMs: 5_000 }).map((event) => ({
      ...event,
      ttftMs: 4_500,
      snapshotVersion: 2,
    }));
    const response = await api("POST", "/api/v1/ingest", { key: ingester, body: { target: slug, events } });
    expect(response.status).toBe(202);
    expect(response.body.action).toMatchObject({
      verdict: { status: "BREACH", severity: "EMERGENCY", explanation: expect.stringMatching(/time to first token/) },
      decision: "EMERGENCY_ROLLBACK",
      rollback: { status: "IN_PROGRESS", created: true },
    });
    expect(await db.rollback.findUnique({ where: { activeTargetId: targetId } })).toMatchObject({
      trigger: "EMERGENCY",
      toSnapshotId: goodId,
    });

    const status = await api("GET", `/api/v1/targets/${slug}/status`, { key: reader });
    expect(status.status).toBe(200);
    expect(status.body.verdict).toMatchObject({
      status: "BREACH",
      severity: "EMERGENCY",
      observed: {
        windowSeconds: 300,
        requestCount: 60,
        errorRate: 0,
        p95Ms: expect.closeTo(5_000, -2),
        costPerRequestUsd: 0.001,
        ttftP95Ms: expect.closeTo(4_500, -2),
      },
    });
  });
});

describe("Alertmanager: rewind_slo ttft_p95", () => {
  it("records a firing alert labelled ttft_p95 as a TTFT violation with its value and threshold", async () => {
    const { slug, targetId } = await streamingTarget();
    const key = await makeKey(db, { scopes: ["ingest"], signed: false });
    const response = await api("POST", "/api/v1/alertmanager", {
      key,
      signature: false,
      body: {
        version: "4",
        groupKey: '{}:{alertname="SlowFirstToken"}',
        status: "firing",
        receiver: "rewind",
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: "http://alertmanager:9093",
        alerts: [
          {
            status: "firing",
            labels: { alertname: "SlowFirstToken", rewind_target: slug, rewind_slo: "ttft_p95", severity: "warning" },
            annotations: { summary: "P95 TTFT at 2.4 s", value: "2400", threshold: "1000" },
            startsAt: new Date(Date.now() - 60_000).toISOString(),
            endsAt: "0001-01-01T00:00:00Z",
            fingerprint: "ttft",
          },
        ],
      },
    });
    expect(response.status).toBe(202);
    expect(response.body.targets).toMatchObject([
      { target: slug, verdict: { status: "VIOLATION" }, decision: "NOTIFY" },
    ]);
    const verdict = await db.verdictRecord.findFirstOrThrow({ where: { targetId } });
    expect(verdict.details).toMatchObject({
      source: "alertmanager",
      violations: [{ slo: "TTFT_P95", observed: 2_400, threshold: 1_000 }],
      observed: { ttftP95Ms: null },
    });
  });
});
