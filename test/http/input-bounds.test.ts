// The hostile inputs of issue #12 over real HTTP: each is refused with 422 and the field path on either database
// (before, some were 500s with PostgreSQL's or Prisma's message, some were stored on SQLite only), and a refused
// request writes nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeKey, makeTarget, recentEvents, testDb, type TestKey } from "./helpers";

const db = testDb();
const BUCKET_MS = 10_000;
let key: TestKey;

beforeAll(async () => {
  key = await makeKey(db, { scopes: ["ingest", "snapshots:write", "policies:write"] });
});

/** The start of a complete bucket a minute ago. */
function recentBucket(): number {
  const ts = Date.now() - 60_000;
  return ts - (ts % BUCKET_MS);
}

function window(start: number, fields: Record<string, unknown> = {}) {
  return { start, requestCount: 1, errorCount: 0, costUsd: 0, sketch: { keys: [], counts: [] }, ...fields };
}

async function stored(targetId: string) {
  const rows = await db.metricBucket.aggregate({
    where: { targetId },
    _count: { _all: true },
    _sum: { requestCount: true },
  });
  return { rows: rows._count._all, requests: rows._sum.requestCount ?? 0 };
}

function expectRefused(response: Awaited<ReturnType<typeof api>>, issues: Record<string, unknown>) {
  expect(response.status).toBe(422);
  expect(response.body.error).toMatchObject({ code: "VALIDATION", issues });
}

describe("hostile ingest batches are 422 with field paths", () => {
  it("refuses text either database would refuse or change, and a latency of 1e308", async () => {
    const target = await makeTarget(db);
    const [first, second, third] = recentEvents(3);
    const response = await api("POST", "/api/v1/ingest", {
      key,
      body: {
        target: target.slug,
        events: [
          { ...first, provider: "open\ud800ai" },
          { ...second, model: "gpt\u00004o" },
          { ...third, latencyMs: 1e308 },
        ],
      },
    });
    expectRefused(response, {
      "events.0.provider": expect.stringMatching(/unpaired UTF-16 surrogates/),
      "events.1.model": expect.stringMatching(/NUL/),
      "events.2.latencyMs": "Latency must be at most 1 hour (3,600,000 ms)",
    });
    expect(await stored(target.id)).toEqual({ rows: 0, requests: 0 });
  });

  it("refuses window counts at and near 2^31 and at 2^53", async () => {
    const target = await makeTarget(db);
    const start = recentBucket();
    for (const requestCount of [2 ** 31, 2 ** 31 - 1, 2 ** 53]) {
      const response = await api("POST", "/api/v1/ingest", {
        key,
        body: { target: target.slug, windows: [window(start, { requestCount })] },
      });
      expectRefused(response, { "windows.0.requestCount": "Request count must be at most 100,000,000" });
    }
    expect(await stored(target.id)).toEqual({ rows: 0, requests: 0 });
  });

  it("refuses a window that would overflow its bucket's count once merged with what is stored", async () => {
    const target = await makeTarget(db);
    const start = recentBucket();
    const full = Array.from({ length: 21 }, () => window(start, { requestCount: 100_000_000 }));
    const accepted = await api("POST", "/api/v1/ingest", { key, body: { target: target.slug, windows: full } });
    expect(accepted.status).toBe(202);
    const before = await stored(target.id);
    expect(before.requests).toBe(2_100_000_000);

    const more = await api("POST", "/api/v1/ingest", {
      key,
      body: { target: target.slug, windows: [window(start - BUCKET_MS), window(start, { requestCount: 100_000_000 })] },
    });
    expectRefused(more, {
      "windows.1.requestCount": expect.stringMatching(/would hold more than 2,147,483,647 requests/),
    });
    expect(await stored(target.id)).toEqual(before);
    // The bucket still takes what fits.
    const fits = await api("POST", "/api/v1/ingest", {
      key,
      body: { target: target.slug, windows: [window(start, { requestCount: 40_000_000 })] },
    });
    expect(fits.status).toBe(202);
  });

  it("refuses a batch whose cost would overflow the bucket (10,000 windows of $1e9: over int64 micro-dollars)", async () => {
    const target = await makeTarget(db);
    const start = recentBucket();
    const windows = Array.from({ length: 10_000 }, () => window(start, { costUsd: 1_000_000_000 }));
    const response = await api("POST", "/api/v1/ingest", { key, body: { target: target.slug, windows } });
    expectRefused(response, { "windows.0.costUsd": expect.stringMatching(/micro-dollars of cost/) });
    expect(await stored(target.id)).toEqual({ rows: 0, requests: 0 });
  });
});

describe("hostile configuration and alerts are 422 with field paths", () => {
  it("refuses a snapshot config nested 1,000 deep, or holding NUL or a lone surrogate", async () => {
    const target = await makeTarget(db);
    let deep: unknown = "leaf";
    for (let i = 0; i < 1_000; i++) deep = { next: deep };
    for (const [config, message] of [
      [{ chain: deep }, /^Nested deeper than 32 levels at chain\.next\.next/],
      [{ prompt: "say \u0000 nothing" }, /NUL characters .* at prompt$/],
      [{ ["model\udc00"]: "gpt-4o" }, /^Key: .*unpaired UTF-16 surrogates/],
    ] as const) {
      const response = await api("POST", `/api/v1/targets/${target.slug}/snapshots`, { key, body: { config } });
      expectRefused(response, { config: expect.stringMatching(message) });
    }
    const label = await api("POST", `/api/v1/targets/${target.slug}/snapshots`, {
      key,
      body: { config: { model: "gpt-4o" }, label: "v\u00002" },
    });
    expectRefused(label, { label: expect.stringMatching(/NUL/) });
    expect(await db.configSnapshot.count({ where: { targetId: target.id } })).toBe(0);
  });

  it("refuses a policy that is not an object (it was a TypeError and a 500)", async () => {
    const target = await makeTarget(db);
    const response = await api("PUT", `/api/v1/targets/${target.slug}/policy`, { key, body: '""' });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe("VALIDATION");
    expect(await db.policy.count({ where: { targetId: target.id } })).toBe(0);
  });

  it("refuses Alertmanager text with NUL or lone surrogates", async () => {
    const target = await makeTarget(db);
    const alert = { status: "firing", labels: { rewind_target: target.slug, alertname: "HighLatency" } };
    const response = await api("POST", "/api/v1/alertmanager", {
      key,
      body: {
        version: "4",
        alerts: [
          { ...alert, annotations: { summary: "p95 \u0000 high" } },
          { ...alert, labels: { ...alert.labels, ["team\ud800"]: "x" } },
          { ...alert, startsAt: "\udfff" },
        ],
      },
    });
    expectRefused(response, {
      "alerts.0.annotations.summary": expect.stringMatching(/NUL/),
      "alerts.1.labels.team\ud800": expect.stringMatching(/Label names/),
      "alerts.2.startsAt": expect.stringMatching(/unpaired/),
    });
    expect(await db.verdictRecord.count({ where: { targetId: target.id } })).toBe(0);
  });
});
