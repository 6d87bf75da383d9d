// Cumulative OTLP metrics on the real database (SQLite, or PostgreSQL with TEST_DATABASE=postgresql): each stream's
// last point in OtlpMetricStream turns exports into deltas, a repeated export counts once, two instances receiving
// the same point concurrently count it once, a request that fails as a whole leaves the state as it found it, and
// housekeeping prunes streams unseen for a day.
import { randomBytes } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { createDb } from "@/server/db";
import { intakeAdapters } from "@/server/services/intake/adapters";
import { streamKeyOf } from "@/server/services/intake/otlp-metrics";
import { receiveIntake } from "@/server/services/intake/receive";
import { pruneExpiredRows } from "@/server/services/platform/retention";
import { makeTarget, testDb } from "../helpers";

const db = testDb();
const adapter = intakeAdapters["otlp-metrics"];
const BUCKET_MS = 10_000;
const options = (now: Date) => ({ now, bucketWidthMs: BUCKET_MS, retentionMs: 30 * 86_400_000 });
const NS = 1_000_000n;

/** A cumulative duration histogram point of one stream (its service instance is unique per test). */
function cumulativeExport(
  target: string,
  instance: string,
  point: { startMs: number; endMs: number; counts: [number, number, number]; errors?: boolean },
) {
  const count = point.counts.reduce((a, b) => a + b, 0);
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: "service.instance.id", value: { stringValue: instance } },
            { key: "rewind.target", value: { stringValue: target } },
          ],
        },
        scopeMetrics: [
          {
            scope: { name: "genai" },
            metrics: [
              {
                name: "gen_ai.client.operation.duration",
                unit: "s",
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      attributes: [
                        { key: "gen_ai.request.model", value: { stringValue: "gpt-4o" } },
                        ...(point.errors ? [{ key: "error.type", value: { stringValue: "timeout" } }] : []),
                      ],
                      startTimeUnixNano: String(BigInt(point.startMs) * NS),
                      timeUnixNano: String(BigInt(point.endMs) * NS),
                      count: String(count),
                      sum: count * 0.5,
                      bucketCounts: point.counts.map(String),
                      explicitBounds: [0.5, 1],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  });
}

function send(body: string, now: Date, extra: { target?: string | null; client?: typeof db } = {}) {
  return receiveIntake(
    extra.client ?? db,
    adapter,
    {
      key: { prefix: "rwd_test", targetSlugs: null },
      body: Buffer.from(body),
      contentType: "application/json",
      contentEncoding: null,
      target: extra.target ?? null,
    },
    options(now),
  );
}

async function requests(targetId: string) {
  const rows = await db.metricBucket.findMany({
    where: { targetId, provider: "", model: "", snapshotVersion: 0 },
    select: { requestCount: true, errorCount: true },
  });
  return {
    requests: rows.reduce((sum, row) => sum + row.requestCount, 0),
    errors: rows.reduce((sum, row) => sum + row.errorCount, 0),
  };
}

const body = (reply: { body: Uint8Array | string }) =>
  JSON.parse(String(reply.body)) as { partialSuccess?: { rejectedDataPoints: string; errorMessage: string } };
const instance = () => `i-${randomBytes(4).toString("hex")}`;

describe("cumulative OTLP metric streams", () => {
  it("turns successive exports into deltas and counts a repeated export once", async () => {
    const target = await makeTarget(db);
    const id = instance();
    const start = Date.now() - 120_000;
    const first = await send(
      cumulativeExport(target.slug, id, { startMs: start, endMs: start + 30_000, counts: [2, 1, 0] }),
      new Date(),
    );
    expect([first.status, body(first)]).toEqual([200, {}]);
    expect(await requests(target.id)).toEqual({ requests: 3, errors: 0 });

    const second = cumulativeExport(target.slug, id, { startMs: start, endMs: start + 60_000, counts: [5, 2, 1] });
    expect(body(await send(second, new Date()))).toEqual({});
    expect(await requests(target.id)).toEqual({ requests: 8, errors: 0 });

    // The exporter retries (or a Collector sends twice): refused as already counted, nothing added.
    const again = body(await send(second, new Date()));
    expect(again.partialSuccess).toEqual({
      rejectedDataPoints: "1",
      errorMessage: expect.stringMatching(/timeUnixNano: Not newer than the stream's last point/) as string,
    });
    expect(await requests(target.id)).toEqual({ requests: 8, errors: 0 });

    // The process restarted: a new start time, its point taken whole.
    const restart = start + 70_000;
    await send(
      cumulativeExport(target.slug, id, { startMs: restart, endMs: restart + 20_000, counts: [1, 0, 0] }),
      new Date(),
    );
    expect(await requests(target.id)).toEqual({ requests: 9, errors: 0 });
    const row = await db.otlpMetricStream.findFirst({
      where: { startTime: String(BigInt(restart) * NS) },
      select: { time: true },
    });
    expect(row?.time).toBe(String(BigInt(restart + 20_000) * NS));
  });

  it("counts a point once when two instances receive it at the same time", async () => {
    const target = await makeTarget(db);
    const id = instance();
    const start = Date.now() - 120_000;
    await send(
      cumulativeExport(target.slug, id, { startMs: start, endMs: start + 30_000, counts: [1, 0, 0], errors: true }),
      new Date(),
    );
    // PostgreSQL: a second client, as a second instance would be. SQLite: the same client (better-sqlite3 waits for
    // another connection's lock synchronously, so two in one process would block each other); the two requests
    // still interleave between their read and their compare-and-set.
    const postgres = inject("databaseUrl").startsWith("postgres");
    const other = postgres ? createDb(inject("databaseUrl")) : db;
    try {
      for (let round = 1; round <= 5; round++) {
        const next = cumulativeExport(target.slug, id, {
          startMs: start,
          endMs: start + 30_000 + round * 5_000,
          counts: [1 + round * 2, round, 0],
          errors: true,
        });
        const replies = await Promise.all([send(next, new Date()), send(next, new Date(), { client: other })]);
        const refused = replies.map((reply) => body(reply).partialSuccess?.rejectedDataPoints ?? "0").sort();
        expect(refused).toEqual(["0", "1"]);
      }
    } finally {
      if (postgres) await other.$disconnect();
    }
    // 1 + 5 rounds of 3 more each: each request counted once.
    expect(await requests(target.id)).toEqual({ requests: 16, errors: 16 });
  });

  it("leaves the stream as it found it when the request fails as a whole", async () => {
    const target = await makeTarget(db);
    const id = instance();
    const start = Date.now() - 120_000;
    const point = cumulativeExport(target.slug, id, { startMs: start, endMs: start + 30_000, counts: [1, 1, 0] });
    // X-Rewind-Target names a target that does not exist: 404 for the request, after its points were read.
    await expect(send(point, new Date(), { target: "no-such-target-anywhere" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const stored = await db.otlpMetricStream.count({ where: { time: String(BigInt(start + 30_000) * NS) } });
    expect(stored).toBe(0);
    // So the sender's retry (now without the header) is counted.
    expect(body(await send(point, new Date()))).toEqual({});
    expect(await requests(target.id)).toEqual({ requests: 2, errors: 0 });
  });

  it("is pruned by housekeeping once unseen for a day", async () => {
    const now = new Date();
    const [stale, fresh] = [streamKeyOf(`stale ${instance()}`), streamKeyOf(`fresh ${instance()}`)];
    const row = { startTime: "1", time: "2", point: { kind: "number", value: 1 } };
    await db.otlpMetricStream.create({
      data: { key: stale, ...row, updatedAt: new Date(now.getTime() - 25 * 3_600_000) },
    });
    await db.otlpMetricStream.create({
      data: { key: fresh, ...row, updatedAt: new Date(now.getTime() - 23 * 3_600_000) },
    });
    const pruned = await pruneExpiredRows(db, { now, metricRetentionMs: 30 * 86_400_000 });
    expect(pruned.otlpMetricStreams).toBeGreaterThanOrEqual(1);
    const left = await db.otlpMetricStream.findMany({ where: { key: { in: [stale, fresh] } }, select: { key: true } });
    expect(left.map(({ key }) => key)).toEqual([fresh]);
  });
});
