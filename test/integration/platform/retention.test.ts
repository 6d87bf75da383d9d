import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { runMonitoringCycle } from "@/server/services/monitoring/cycle";
import {
  HOUSEKEEPING_PERIOD_MS,
  PRUNE_BATCH,
  pruneExpiredRows,
  RETENTION,
  runRetention,
} from "@/server/services/platform/retention";
import { bucketStart } from "@/server/domain/metrics";
import { BUCKET_MS, callerFor, makeTarget, makeUser, testDb, traffic } from "../helpers";

const db = testDb();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const metricRetentionMs = 30 * DAY;
// Later than anything other tests write, so the newest cycle runs are this file's; removed afterwards.
const NOW = new Date(Date.UTC(2090, 0, 1, 0, 2));
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const holder = `retention-test-${randomBytes(4).toString("hex")}`;
const unique = () => randomBytes(6).toString("hex");

afterAll(async () => {
  await db.cycleRun.deleteMany({ where: { holder } });
});

function cycleRun(startedAt: Date) {
  return { holder, trigger: "scheduler", startedAt, finishedAt: startedAt, durationMs: 1, summary: {} };
}

function verdicts(targetId: string, count: number, newest: Date) {
  return Array.from({ length: count }, (_, i) => ({
    targetId,
    evaluatedAt: new Date(newest.getTime() - (count - 1 - i) * BUCKET_MS),
    status: "HEALTHY" as const,
    consecutiveCount: 0,
    details: {},
  }));
}

describe("retention", () => {
  it("prunes again in the next cycle while a kind has a backlog, then waits for the next period", async () => {
    const periodStart = Math.floor(NOW.getTime() / HOUSEKEEPING_PERIOD_MS) * HOUSEKEEPING_PERIOD_MS;
    const at = (seconds: number) => new Date(periodStart + 7 * HOUSEKEEPING_PERIOD_MS + seconds * 1000);
    // More expired signatures than one run's budget of one batch.
    await db.seenSignature.createMany({
      data: Array.from({ length: PRUNE_BATCH + 20 }, () => ({ signature: unique(), expiresAt: ago(HOUR) })),
    });
    const cycle = async (seconds: number) => {
      const pruned = await runRetention(db, { now: at(seconds), metricRetentionMs, maxBatches: 1 });
      // Stored as the cycle stores its summary: JSON.
      const summary = JSON.parse(JSON.stringify({ pruned })) as Record<string, never>;
      await db.cycleRun.create({ data: { ...cycleRun(at(seconds)), summary }, select: { id: true } });
      return pruned;
    };

    expect(await cycle(5)).toMatchObject({ seenSignatures: PRUNE_BATCH, backlog: true });
    const second = await cycle(15);
    expect(second?.seenSignatures).toBeGreaterThanOrEqual(20);
    expect(second?.backlog).toBe(false);
    expect(await db.seenSignature.count({ where: { expiresAt: { lt: NOW } } })).toBe(0);
    expect(await cycle(25)).toBeNull();
    // Later than the other tests' cycle runs, which count the newest ones.
    await db.cycleRun.deleteMany({ where: { holder, startedAt: { gte: at(0) } } });
  });

  it("deletes metric buckets past METRIC_RETENTION_DAYS and keeps the rest", async () => {
    const target = await makeTarget(db);
    const old = ago(metricRetentionMs).getTime() - 60_000;
    const options = { bucketWidthMs: BUCKET_MS, now: NOW };
    await recordMetrics(
      db,
      { targetId: target.id, events: [...traffic(old, 80), ...traffic(NOW.getTime() - HOUR, 1)] },
      options,
    );
    const before = await db.metricBucket.count({ where: { targetId: target.id } });

    const pruned = await pruneExpiredRows(db, { now: NOW, metricRetentionMs });

    const left = await db.metricBucket.findMany({ where: { targetId: target.id }, select: { start: true } });
    expect(left.map((row) => row.start.getTime()).sort((a, b) => a - b)).toEqual([
      ago(metricRetentionMs).getTime(),
      ago(metricRetentionMs).getTime() + BUCKET_MS,
      NOW.getTime() - HOUR,
    ]);
    expect(pruned.metricBuckets).toBeGreaterThanOrEqual(before - 3);
  });

  it("keeps rollups for METRIC_RETENTION_DAYS and buckets for METRIC_RAW_RETENTION_DAYS when it is lower", async () => {
    const target = await makeTarget(db);
    const rawRetentionMs = 7 * DAY;
    const options = { bucketWidthMs: BUCKET_MS, now: NOW };
    // Twenty minutes each: past both retentions, between them, and recent.
    const starts = [metricRetentionMs + HOUR, 10 * DAY, HOUR].map((ms) => bucketStart(ago(ms).getTime(), 600_000));
    await recordMetrics(db, { targetId: target.id, events: starts.flatMap((start) => traffic(start, 1_200)) }, options);
    const rollupsBefore = await db.metricRollup.count({ where: { targetId: target.id } });
    expect(rollupsBefore).toBe(3 * (20 + 2));

    const pruned = await pruneExpiredRows(db, { now: NOW, metricRetentionMs, rawMetricRetentionMs: rawRetentionMs });

    const oldest = async (rows: Promise<{ start: Date }[]>) =>
      Math.min(...(await rows).map((row) => row.start.getTime()));
    // Buckets: only the recent part. Rollups: the part between the retentions too.
    expect(await oldest(db.metricBucket.findMany({ where: { targetId: target.id }, select: { start: true } }))).toBe(
      starts[2],
    );
    expect(await oldest(db.metricRollup.findMany({ where: { targetId: target.id }, select: { start: true } }))).toBe(
      starts[1],
    );
    expect(await db.metricRollup.count({ where: { targetId: target.id } })).toBe(2 * (20 + 2));
    expect(pruned.metricRollups).toBeGreaterThanOrEqual(20 + 2);
    // The ten-day-old traffic is still charted, from its rollups.
    const caller = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    const month = await caller.metrics.series({ targetId: target.id, from: ago(metricRetentionMs), to: NOW });
    expect(month.points.reduce((sum, point) => sum + point.requestCount, 0)).toBe(2 * 1_200);
  });

  it(`keeps each target's newest ${RETENTION.verdictsPerTarget} verdicts, over several batches`, async () => {
    const [long, short] = [await makeTarget(db), await makeTarget(db)];
    const extra = 2 * PRUNE_BATCH + 7;
    await db.verdictRecord.createMany({ data: verdicts(long.id, RETENTION.verdictsPerTarget + extra, ago(HOUR)) });
    await db.verdictRecord.createMany({ data: verdicts(short.id, 10, ago(2 * metricRetentionMs)) });

    const pruned = await pruneExpiredRows(db, { now: NOW, metricRetentionMs });

    expect(pruned.verdicts).toBeGreaterThanOrEqual(extra);
    const kept = await db.verdictRecord.findMany({
      where: { targetId: long.id },
      orderBy: { evaluatedAt: "asc" },
      select: { evaluatedAt: true },
    });
    expect(kept).toHaveLength(RETENTION.verdictsPerTarget);
    expect(kept.at(-1)?.evaluatedAt).toEqual(ago(HOUR));
    // The count rules, not the age: a quiet target keeps its few old verdicts.
    expect(await db.verdictRecord.count({ where: { targetId: short.id } })).toBe(10);
  });

  it("deletes expired signatures and idempotency records, and login failures outside the throttling window", async () => {
    const [oldSignature, liveSignature] = [`old-${unique()}`, `live-${unique()}`];
    await db.seenSignature.createMany({
      data: [
        { signature: oldSignature, expiresAt: ago(1) },
        { signature: liveSignature, expiresAt: new Date(NOW.getTime() + 60_000) },
      ],
    });
    const apiKeyId = `key-${unique()}`;
    const record = (key: string, createdAt: Date) => ({
      apiKeyId,
      key,
      requestHash: "h",
      status: 200,
      body: {},
      createdAt,
    });
    await db.idempotencyRecord.createMany({
      data: [record("old", ago(RETENTION.idempotencyMs + 1)), record("recent", ago(RETENTION.idempotencyMs - 60_000))],
    });
    const email = `retention-${unique()}@example.test`;
    // More than one batch of stale failures, as a password-spraying burst would leave behind.
    await db.loginFailure.createMany({
      data: [
        ...Array.from({ length: PRUNE_BATCH + 3 }, () => ({ email, createdAt: ago(RETENTION.loginFailuresMs + 1) })),
        { email, createdAt: ago(RETENTION.loginFailuresMs - 60_000) },
      ],
    });

    const pruned = await pruneExpiredRows(db, { now: NOW, metricRetentionMs });

    expect(await db.seenSignature.findMany({ where: { signature: { in: [oldSignature, liveSignature] } } })).toEqual([
      expect.objectContaining({ signature: liveSignature }),
    ]);
    expect(await db.idempotencyRecord.findMany({ where: { apiKeyId }, select: { key: true } })).toEqual([
      { key: "recent" },
    ]);
    expect(await db.loginFailure.count({ where: { email } })).toBe(1);
    expect(pruned.seenSignatures).toBeGreaterThanOrEqual(1);
    expect(pruned.idempotencyRecords).toBeGreaterThanOrEqual(1);
    expect(pruned.loginFailures).toBeGreaterThanOrEqual(PRUNE_BATCH + 3);
  });

  it("keeps a day of cycle runs, and never fewer than the newest ones the scheduler page shows", async () => {
    const kept = RETENTION.cycleRunsKeptAtLeast;
    const old = Array.from({ length: kept + 2 }, (_, i) => cycleRun(ago(2 * DAY + i * 60_000)));
    await db.cycleRun.createMany({ data: [cycleRun(ago(HOUR)), ...old] });

    // One recent run: the newest `kept` stay although most are two days old.
    await pruneExpiredRows(db, { now: NOW, metricRetentionMs });
    const left = await db.cycleRun.findMany({
      where: { holder },
      orderBy: { startedAt: "desc" },
      select: { startedAt: true },
    });
    expect(left).toHaveLength(kept);
    expect(left[0]?.startedAt).toEqual(ago(HOUR));

    // With a day's worth of recent runs, every run older than a day goes.
    await db.cycleRun.createMany({
      data: Array.from({ length: kept }, (_, i) => cycleRun(ago(2 * HOUR + i * 60_000))),
    });
    const pruned = await pruneExpiredRows(db, { now: NOW, metricRetentionMs });
    expect(pruned.cycleRuns).toBeGreaterThanOrEqual(kept - 1);
    expect(await db.cycleRun.count({ where: { holder, startedAt: { lt: ago(DAY) } } })).toBe(0);
    expect(await db.cycleRun.count({ where: { holder } })).toBe(kept + 1);
  });

  it("deletes old notifications that every channel received, never a dead letter or an undelivered one", async () => {
    const old = ago(RETENTION.deliveredNotificationsMs + 1);
    const notification = async (createdAt: Date, dispatched: boolean, statuses: string[]) => {
      const { id } = await db.notification.create({
        data: {
          event: "rollback.completed",
          severity: "INFO",
          title: `retention ${unique()}`,
          body: "",
          payload: {},
          createdAt,
          dispatchedAt: dispatched ? createdAt : null,
          deliveries: {
            create: statuses.map((status) => ({
              channel: "SLACK",
              status,
              nextAttemptAt: createdAt,
              queuedAt: createdAt,
              createdAt,
            })),
          },
        },
        select: { id: true },
      });
      return id;
    };
    const delivered = await notification(old, true, ["DELIVERED", "DELIVERED"]);
    const noChannel = await notification(old, true, []);
    const dead = await notification(old, true, ["DELIVERED", "DEAD"]);
    const pending = await notification(old, true, ["PENDING"]);
    const undispatched = await notification(old, false, []);
    const recent = await notification(ago(DAY), true, ["DELIVERED"]);

    const pruned = await pruneExpiredRows(db, { now: NOW, metricRetentionMs });

    const left = await db.notification.findMany({
      where: { id: { in: [delivered, noChannel, dead, pending, undispatched, recent] } },
      select: { id: true },
    });
    expect(left.map((row) => row.id).sort()).toEqual([dead, pending, undispatched, recent].sort());
    expect(await db.notificationDelivery.count({ where: { notificationId: { in: [delivered, noChannel] } } })).toBe(0);
    expect(pruned.notifications).toBeGreaterThanOrEqual(2);
  });

  it("runs in the first cycle of each period only, and the cycle reports what it pruned", async () => {
    const periodStart = Math.floor(NOW.getTime() / HOUSEKEEPING_PERIOD_MS) * HOUSEKEEPING_PERIOD_MS;
    const later = new Date(periodStart + 3 * HOUSEKEEPING_PERIOD_MS + 30_000);
    await db.cycleRun.create({ data: cycleRun(new Date(later.getTime() - 20_000)), select: { id: true } });
    expect(await runRetention(db, { now: later, metricRetentionMs })).toBeNull();

    const nextPeriod = new Date(periodStart + 4 * HOUSEKEEPING_PERIOD_MS + 5_000);
    const email = `retention-${unique()}@example.test`;
    await db.loginFailure.create({
      data: { email, createdAt: new Date(nextPeriod.getTime() - RETENTION.loginFailuresMs - 1) },
    });
    const summary = await runMonitoringCycle(db, {
      now: nextPeriod,
      bucketWidthMs: BUCKET_MS,
      retentionMs: metricRetentionMs,
    });
    // Other files' targets share the database (one has a broken policy on purpose): only this step's errors count.
    expect(summary.errors.filter((error) => error.message.startsWith("retention"))).toEqual([]);
    expect(summary.pruned).toMatchObject({
      metricBuckets: expect.any(Number) as unknown,
      metricRollups: expect.any(Number) as unknown,
      verdicts: expect.any(Number) as unknown,
      seenSignatures: expect.any(Number) as unknown,
      idempotencyRecords: expect.any(Number) as unknown,
      loginFailures: expect.any(Number) as unknown,
      cycleRuns: expect.any(Number) as unknown,
      notifications: expect.any(Number) as unknown,
    });
    expect(summary.pruned?.loginFailures).toBeGreaterThanOrEqual(1);
    expect(await db.loginFailure.count({ where: { email } })).toBe(0);
  });
});
