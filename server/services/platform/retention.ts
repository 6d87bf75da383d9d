// Housekeeping: the monitoring cycle's retention step, the one place rows are deleted because they are old.
// What each kind keeps, and why: docs/ARCHITECTURE.md ("Housekeeping"). Deletes run in bounded batches, one
// short statement each, so a backlog never holds SQLite's write lock (or many PostgreSQL row locks) for long.
import "server-only";
import { z } from "zod";
import type { Db } from "../../db";
import { ROLLUP_WIDTHS_MS } from "../../domain/rollups";
import { SIGN_IN_FAILURE_WINDOW_MS } from "../../domain/sign-in-throttle";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Verdicts kept per target (evaluation lists at most this many). */
export const VERDICT_HISTORY_LIMIT = 1_000;
/** How long an Idempotency-Key's first response is replayed (machine/replay-protection.ts). */
export const IDEMPOTENCY_RETENTION_MS = DAY_MS;

/**
 * How much of each kind is kept. Metric rollups keep METRIC_RETENTION_DAYS (the cycle's `metricRetentionMs`), and
 * buckets METRIC_RAW_RETENTION_DAYS (`rawMetricRetentionMs`, the same unless set lower).
 */
export const RETENTION = {
  /** Per target: what verdict periods, streaks and evidence read; about a day at the 10 s cycle. */
  verdictsPerTarget: VERDICT_HISTORY_LIMIT,
  /** Signatures are kept until their timestamp would be refused as stale anyway (`expiresAt`). */
  idempotencyMs: IDEMPOTENCY_RETENTION_MS,
  /** Failures older than the throttling window no longer count (and leave the admins' list of attempts). */
  loginFailuresMs: SIGN_IN_FAILURE_WINDOW_MS,
  /** A day of cycle runs, and never fewer than the newest few the scheduler page shows. */
  cycleRunsMs: DAY_MS,
  cycleRunsKeptAtLeast: 10,
  /** Notifications whose every delivery succeeded (or that no channel received); dead letters stay for admins. */
  deliveredNotificationsMs: 30 * DAY_MS,
  /** A cumulative OTLP metric stream unseen this long starts over as a new stream (intake/otlp-metrics.ts). */
  otlpMetricStreamsMs: DAY_MS,
} as const;

/** Housekeeping runs in the first cycle of each period: finding each target's 1,000th verdict is not free. */
export const HOUSEKEEPING_PERIOD_MS = 5 * 60_000;
/** Rows per delete statement. */
export const PRUNE_BATCH = 500;
/**
 * Batches per kind per run: at most 50,000 rows of a kind go in one run. A kind that spends its whole budget
 * leaves a backlog, and then the next cycle prunes again instead of waiting for the next period: rows that grow
 * with the request rate (seen signatures, idempotency records) never outgrow the housekeeping.
 */
export const MAX_BATCHES = 100;

export interface PrunedCounts {
  metricBuckets: number;
  metricRollups: number;
  verdicts: number;
  seenSignatures: number;
  idempotencyRecords: number;
  loginFailures: number;
  cycleRuns: number;
  notifications: number;
  otlpMetricStreams: number;
  /** Some kind spent its whole budget: rows of it are left, and the next cycle prunes again. */
  backlog: boolean;
}

/**
 * Deletes batches until one comes back short or the kind's batch budget is spent. `deleteBatch` deletes at
 * most `take` rows and says how many it deleted.
 */
async function inBatches(budget: { batches: number }, deleteBatch: (take: number) => Promise<number>) {
  let deleted = 0;
  while (budget.batches > 0) {
    const count = await deleteBatch(PRUNE_BATCH);
    deleted += count;
    // Only a batch that deleted rows spends budget: the per-target kinds look at every target, most of which
    // have nothing to delete, and the budget is shared by all targets.
    if (count > 0) budget.batches -= 1;
    if (count < PRUNE_BATCH) break;
  }
  return deleted;
}

const ids = (rows: { id: string }[]) => rows.map((row) => row.id);

/** Buckets older than the raw metric retention, target by target (the unique index leads with targetId, start). */
async function pruneMetricBuckets(db: Db, targetIds: string[], before: Date, maxBatches: number): Promise<number> {
  const budget = { batches: maxBatches };
  let deleted = 0;
  for (const targetId of targetIds) {
    deleted += await inBatches(budget, async (take) => {
      const rows = await db.metricBucket.findMany({
        where: { targetId, start: { lt: before } },
        select: { id: true },
        take,
      });
      if (rows.length === 0) return 0;
      return (await db.metricBucket.deleteMany({ where: { id: { in: ids(rows) } } })).count;
    });
  }
  return deleted;
}

/** Rollups older than the metric retention, target by target (the unique index leads with targetId, widthSeconds). */
async function pruneMetricRollups(db: Db, targetIds: string[], before: Date, maxBatches: number): Promise<number> {
  const budget = { batches: maxBatches };
  let deleted = 0;
  for (const targetId of targetIds) {
    deleted += await inBatches(budget, async (take) => {
      const rows = await db.metricRollup.findMany({
        where: { targetId, widthSeconds: { in: ROLLUP_WIDTHS_MS.map((ms) => ms / 1000) }, start: { lt: before } },
        select: { id: true },
        take,
      });
      if (rows.length === 0) return 0;
      return (await db.metricRollup.deleteMany({ where: { id: { in: ids(rows) } } })).count;
    });
  }
  return deleted;
}

/** Everything but each target's newest RETENTION.verdictsPerTarget verdicts. */
async function pruneVerdicts(db: Db, targetIds: string[], maxBatches: number): Promise<number> {
  const budget = { batches: maxBatches };
  let deleted = 0;
  for (const targetId of targetIds) {
    const newestDropped = await db.verdictRecord.findFirst({
      where: { targetId },
      orderBy: { evaluatedAt: "desc" },
      skip: RETENTION.verdictsPerTarget,
      select: { evaluatedAt: true },
    });
    if (!newestDropped) continue;
    deleted += await inBatches(budget, async (take) => {
      const rows = await db.verdictRecord.findMany({
        where: { targetId, evaluatedAt: { lte: newestDropped.evaluatedAt } },
        select: { id: true },
        take,
      });
      if (rows.length === 0) return 0;
      return (await db.verdictRecord.deleteMany({ where: { id: { in: ids(rows) } } })).count;
    });
  }
  return deleted;
}

function pruneSeenSignatures(db: Db, now: Date, maxBatches: number): Promise<number> {
  return inBatches({ batches: maxBatches }, async (take) => {
    const rows = await db.seenSignature.findMany({
      where: { expiresAt: { lt: now } },
      select: { signature: true },
      take,
    });
    if (rows.length === 0) return 0;
    const signatures = rows.map((row) => row.signature);
    return (await db.seenSignature.deleteMany({ where: { signature: { in: signatures } } })).count;
  });
}

function pruneIdempotencyRecords(db: Db, now: Date, maxBatches: number): Promise<number> {
  const before = new Date(now.getTime() - RETENTION.idempotencyMs);
  return inBatches({ batches: maxBatches }, async (take) => {
    const rows = await db.idempotencyRecord.findMany({
      where: { createdAt: { lt: before } },
      select: { id: true },
      take,
    });
    if (rows.length === 0) return 0;
    return (await db.idempotencyRecord.deleteMany({ where: { id: { in: ids(rows) }, createdAt: { lt: before } } }))
      .count;
  });
}

function pruneLoginFailures(db: Db, now: Date, maxBatches: number): Promise<number> {
  const before = new Date(now.getTime() - RETENTION.loginFailuresMs);
  return inBatches({ batches: maxBatches }, async (take) => {
    const rows = await db.loginFailure.findMany({ where: { createdAt: { lte: before } }, select: { id: true }, take });
    if (rows.length === 0) return 0;
    return (await db.loginFailure.deleteMany({ where: { id: { in: ids(rows) } } })).count;
  });
}

async function pruneCycleRuns(db: Db, now: Date, maxBatches: number): Promise<number> {
  const oldestShown = await db.cycleRun.findFirst({
    orderBy: { startedAt: "desc" },
    skip: RETENTION.cycleRunsKeptAtLeast - 1,
    select: { startedAt: true },
  });
  if (!oldestShown) return 0;
  const before = new Date(Math.min(now.getTime() - RETENTION.cycleRunsMs, oldestShown.startedAt.getTime()));
  return inBatches({ batches: maxBatches }, async (take) => {
    const rows = await db.cycleRun.findMany({ where: { startedAt: { lt: before } }, select: { id: true }, take });
    if (rows.length === 0) return 0;
    return (await db.cycleRun.deleteMany({ where: { id: { in: ids(rows) } } })).count;
  });
}

/** Delivered notifications: dispatched, and no delivery still pending or dead (a dead letter waits for an admin). */
function pruneDeliveredNotifications(db: Db, now: Date, maxBatches: number): Promise<number> {
  const before = new Date(now.getTime() - RETENTION.deliveredNotificationsMs);
  const delivered = {
    createdAt: { lt: before },
    dispatchedAt: { not: null },
    deliveries: { none: { status: { not: "DELIVERED" } } },
  };
  return inBatches({ batches: maxBatches }, async (take) => {
    const rows = await db.notification.findMany({ where: delivered, select: { id: true }, take });
    if (rows.length === 0) return 0;
    const notificationIds = ids(rows);
    // Deliveries first, without relying on the foreign key's cascade (SQLite enforces it only when enabled).
    const [, { count }] = await db.$transaction([
      db.notificationDelivery.deleteMany({ where: { notificationId: { in: notificationIds } } }),
      db.notification.deleteMany({ where: { id: { in: notificationIds }, ...delivered } }),
    ]);
    return count;
  });
}

function pruneOtlpMetricStreams(db: Db, now: Date, maxBatches: number): Promise<number> {
  const before = new Date(now.getTime() - RETENTION.otlpMetricStreamsMs);
  return inBatches({ batches: maxBatches }, async (take) => {
    const rows = await db.otlpMetricStream.findMany({
      where: { updatedAt: { lt: before } },
      select: { key: true },
      take,
    });
    if (rows.length === 0) return 0;
    const keys = rows.map((row) => row.key);
    // Only rows still unseen: a stream a request just moved keeps its state.
    return (await db.otlpMetricStream.deleteMany({ where: { key: { in: keys }, updatedAt: { lt: before } } })).count;
  });
}

interface RetentionOptions {
  now: Date;
  metricRetentionMs: number;
  /** The buckets' own retention; `metricRetentionMs` when not given. */
  rawMetricRetentionMs?: number;
  /** Batches per kind in this run (MAX_BATCHES; tests make a backlog with fewer). */
  maxBatches?: number;
}

/** Prunes every kind at `now`, whatever ran before. */
export async function pruneExpiredRows(db: Db, options: RetentionOptions): Promise<PrunedCounts> {
  const { now, metricRetentionMs, rawMetricRetentionMs = metricRetentionMs, maxBatches = MAX_BATCHES } = options;
  const targetIds = ids(await db.target.findMany({ select: { id: true }, orderBy: { id: "asc" } }));
  const before = (ms: number) => new Date(now.getTime() - ms);
  const counts = {
    metricBuckets: await pruneMetricBuckets(db, targetIds, before(rawMetricRetentionMs), maxBatches),
    metricRollups: await pruneMetricRollups(db, targetIds, before(metricRetentionMs), maxBatches),
    verdicts: await pruneVerdicts(db, targetIds, maxBatches),
    seenSignatures: await pruneSeenSignatures(db, now, maxBatches),
    idempotencyRecords: await pruneIdempotencyRecords(db, now, maxBatches),
    loginFailures: await pruneLoginFailures(db, now, maxBatches),
    cycleRuns: await pruneCycleRuns(db, now, maxBatches),
    notifications: await pruneDeliveredNotifications(db, now, maxBatches),
    otlpMetricStreams: await pruneOtlpMetricStreams(db, now, maxBatches),
  };
  const budget = maxBatches * PRUNE_BATCH;
  return { ...counts, backlog: Object.values(counts).some((count) => count >= budget) };
}

const backlogSchema = z.object({ pruned: z.object({ backlog: z.literal(true) }) });

/**
 * The cycle's retention step: prunes in the first cycle of each HOUSEKEEPING_PERIOD_MS (the last recorded cycle
 * before `now` started in an earlier period, or there is none) and in every cycle after one that left a backlog;
 * else does nothing and answers null. Stateless beyond the cycle runs' summaries, so any cadence and any number
 * of instances prune once per period, and as often as it takes while a backlog lasts.
 */
export async function runRetention(db: Db, options: RetentionOptions): Promise<PrunedCounts | null> {
  const previous = await db.cycleRun.findFirst({
    where: { startedAt: { lt: options.now } },
    orderBy: { startedAt: "desc" },
    select: { startedAt: true, summary: true },
  });
  const period = (at: Date) => Math.floor(at.getTime() / HOUSEKEEPING_PERIOD_MS);
  const backlogLeft = backlogSchema.safeParse(previous?.summary).success;
  if (previous && period(previous.startedAt) === period(options.now) && !backlogLeft) return null;
  return pruneExpiredRows(db, options);
}
