// Rollups in storage: where they are complete, the SQL that reads a range through them (whole windows from
// MetricRollup, the edges from MetricBucket), and rebuilding them from the buckets. Ingest keeps them up to date
// (buckets.ts); the range plans are server/domain/rollups.ts. See docs/METRICS.md, "Rollups".
import "server-only";
import { Prisma, type Db, type Tx } from "../../db";
import { AppError } from "../../domain/errors";
import { bucketStart, combineTotals } from "../../domain/metrics";
import { planRange, rollupWidths, ROLLUP_WIDTHS_MS, type RangePiece } from "../../domain/rollups";
import { rowDimensions, rowKey, toColumns, toTotals, type PendingRow, type StoredRow } from "./bucket-rows";
import { retryOnConflict } from "../platform/retry";

/**
 * The Setting that says from when rollups are complete: the start of the newest bucket stored before rollups
 * existed (written by their migration; no row on a database that had no buckets then). Windows up to it are
 * read from buckets until `rebuildRollupHistory` fills them in and deletes it.
 */
export const ROLLUPS_FROM_SETTING = "metricRollupsFrom";

/**
 * Epoch ms from which every rollup window is complete: windows starting at or after it may be read as rollups.
 * One primary-key read per range read, raw like the range reads themselves.
 */
export async function rollupsCompleteFrom(db: Db): Promise<number> {
  const [row] = await db.$queryRaw<{ value: string }[]>`
    SELECT "value" FROM "Setting" WHERE "key" = ${ROLLUPS_FROM_SETTING}`;
  const newestBefore = row === undefined ? null : Number(row.value);
  return newestBefore === null || !Number.isFinite(newestBefore) ? -Infinity : newestBefore + 1;
}

/** The columns every range read selects, in the order `rangeRows` writes them, for buckets and rollups alike. */
const ROW_COLUMNS = Prisma.sql`"targetId", "start", "provider", "model", "snapshotVersion", "flagKey", "flagOn",
  "requestCount", "errorCount", "costMicros", "inputTokens", "outputTokens", "sketch", "ttftSketch"`;

/**
 * A derived table of the rows of [range.from, range.to) that satisfy `where` (a condition on the columns both
 * tables share), read through rollups as `planRange` splits the range: one SELECT per piece, joined by UNION ALL.
 * Use it as `FROM ${rangeRows(…)} AS "r"`: sums and merged sketches over it equal those over the buckets.
 */
export function rangeRows(
  pieces: readonly RangePiece[],
  where: Prisma.Sql,
  columns: Prisma.Sql = ROW_COLUMNS,
): Prisma.Sql {
  const selects = pieces.map((piece) =>
    piece.widthMs === null
      ? Prisma.sql`SELECT ${columns} FROM "MetricBucket"
          WHERE ${where} AND "start" >= ${new Date(piece.from)} AND "start" < ${new Date(piece.to)}`
      : Prisma.sql`SELECT ${columns} FROM "MetricRollup"
          WHERE "widthSeconds" = ${piece.widthMs / 1000} AND ${where}
            AND "start" >= ${new Date(piece.from)} AND "start" < ${new Date(piece.to)}`,
  );
  // An empty range still needs a table: no bucket starts before the epoch.
  if (selects.length === 0) selects.push(Prisma.sql`SELECT ${columns} FROM "MetricBucket" WHERE 1 = 0`);
  return Prisma.sql`(${Prisma.join(selects, " UNION ALL ")})`;
}

/** `planRange` with the database's marker: how to read [from, to) through rollups no wider than `maxWidthMs`. */
export async function planStoredRange(
  db: Db,
  range: { from: Date; to: Date },
  options: { bucketWidthMs: number; maxWidthMs?: number },
): Promise<RangePiece[]> {
  return planRange(
    { from: range.from.getTime(), to: range.to.getTime() },
    { ...options, rollupsFrom: await rollupsCompleteFrom(db) },
  );
}

type RollupRow = Omit<StoredRow, "id"> & { targetId: string };

/** What a target's buckets over a range hold, in brief: any merge into them since changes it (counts only grow). */
async function bucketsFingerprint(db: Db | Tx, targetId: string, from: Date, to: Date): Promise<string> {
  const [row] = await db.$queryRaw<{ rows: bigint | number; requests: bigint | number | null }[]>`
    SELECT COUNT(*) AS "rows", SUM("requestCount") AS "requests" FROM "MetricBucket"
    WHERE "targetId" = ${targetId} AND "start" >= ${from} AND "start" < ${to}`;
  return `${Number(row?.rows ?? 0)}:${Number(row?.requests ?? 0)}`;
}

/** The rollup rows of bucket rows: for each width, each window's rows of one dimension, merged. */
export function rollUpRows(buckets: Iterable<PendingRow>, widthsMs: readonly number[]): Map<string, PendingRow> {
  const rollups = new Map<string, PendingRow>();
  for (const bucket of buckets) {
    for (const widthMs of widthsMs) {
      const row = { ...bucket, start: bucketStart(bucket.start, widthMs), widthSeconds: widthMs / 1000 };
      const key = rowKey(row);
      const existing = rollups.get(key);
      rollups.set(key, existing ? { ...combineTotals(existing, row), ...rowDimensions(row) } : row);
    }
  }
  return rollups;
}

/** A stored bucket row as the write paths hold it. */
function pendingBucket(row: RollupRow): PendingRow {
  return {
    widthSeconds: 0,
    start: row.start.getTime(),
    provider: row.provider,
    model: row.model,
    snapshotVersion: Number(row.snapshotVersion ?? 0),
    flagKey: row.flagKey ?? "",
    // SQLite hands booleans back as 0/1 through raw queries.
    flagOn: Boolean(row.flagOn),
    ...toTotals(row),
  };
}

/** Attempts at a rebuild while batches keep landing in its windows. */
const REBUILD_ATTEMPTS = 10;

/**
 * Recomputes one target's rollups over [from, to), widened to whole 10-minute windows, from its buckets. The
 * buckets are read and merged outside any transaction; then one short transaction checks that they have not
 * changed meanwhile (bucketsFingerprint) and replaces the windows' rollups. A batch landing in those windows in
 * between makes the rebuild read again, so none is lost, and the write transaction stays short beside a busy
 * server (a long one on SQLite would keep failing to take the write lock).
 */
export async function rebuildRollups(
  db: Db,
  options: { targetId: string; from: number; to: number; bucketWidthMs: number },
): Promise<number> {
  const { targetId } = options;
  const outer = Math.max(...ROLLUP_WIDTHS_MS);
  const from = new Date(bucketStart(options.from, outer));
  const to = new Date(Math.ceil(options.to / outer) * outer);
  for (let attempt = 1; attempt <= REBUILD_ATTEMPTS; attempt++) {
    const read = await bucketsFingerprint(db, targetId, from, to);
    const buckets = await db.$queryRaw<RollupRow[]>`
      SELECT ${ROW_COLUMNS} FROM "MetricBucket"
      WHERE "targetId" = ${targetId} AND "start" >= ${from} AND "start" < ${to}`;
    const rows = [...rollUpRows(buckets.map(pendingBucket), rollupWidths(options.bucketWidthMs)).values()];
    const written = await retryOnConflict(() =>
      db.$transaction(
        async (tx) => {
          if ((await bucketsFingerprint(tx, targetId, from, to)) !== read) return null;
          await tx.metricRollup.deleteMany({ where: { targetId, start: { gte: from, lt: to } } });
          await tx.metricRollup.createMany({
            data: rows.map((row) => ({
              targetId,
              ...rowDimensions(row),
              start: new Date(row.start),
              ...toColumns(row),
            })),
          });
          return rows.length;
        },
        { isolationLevel: Prisma.TransactionIsolationLevel.Serializable, maxWait: 10_000, timeout: 60_000 },
      ),
    );
    if (written !== null) return written;
  }
  throw new AppError(
    "CONFLICT",
    `Batches kept arriving while rebuilding rollups (${REBUILD_ATTEMPTS} attempts): try again`,
  );
}

/** Buckets of history rebuilt per transaction: 6 hours, 2,160 buckets of each series at 10 s. */
const REBUILD_CHUNK_MS = 6 * 3_600_000;

export interface RebuildProgress {
  /** The chunk just rebuilt, for every target: [from, to) in epoch ms. */
  from: number;
  to: number;
  /** The oldest bucket's start: where the rebuild ends. */
  oldest: number;
  /** Targets with buckets in the chunk, and the rollup rows written for them. */
  targets: number;
  rollups: number;
}

/**
 * Fills in the rollups of the history stored before they existed, newest first, 6 hours at a time for the targets
 * with buckets in them (gaps without buckets are skipped), moving the marker back after each chunk so charts read
 * the rebuilt part through rollups at once. Safe beside a running server, and resumable: run again, it starts
 * where the marker stands. Deletes the marker at the end. Returns false when there was nothing to do.
 */
export async function rebuildRollupHistory(
  db: Db,
  options: { bucketWidthMs: number; onProgress?: (progress: RebuildProgress) => void },
): Promise<boolean> {
  const marker = await db.setting.findUnique({ where: { key: ROLLUPS_FROM_SETTING }, select: { value: true } });
  if (marker === null) return false;
  const outer = Math.max(...ROLLUP_WIDTHS_MS);
  const oldestRow = await db.metricBucket.findFirst({ orderBy: { start: "asc" }, select: { start: true } });
  const oldest = oldestRow ? bucketStart(oldestRow.start.getTime(), outer) : 0;
  // The window holding the marker's bucket is the newest that may lack rows written before rollups existed.
  let to = bucketStart(Number(marker.value), outer) + outer;
  for (;;) {
    const newest = await db.metricBucket.findFirst({
      where: { start: { lt: new Date(to) } },
      orderBy: { start: "desc" },
      select: { start: true },
    });
    if (!newest) break;
    to = Math.min(to, bucketStart(newest.start.getTime(), outer) + outer);
    const from = to - REBUILD_CHUNK_MS;
    const targets = await db.metricBucket.groupBy({
      by: ["targetId"],
      where: { start: { gte: new Date(from), lt: new Date(to) } },
    });
    let rollups = 0;
    for (const { targetId } of targets) {
      rollups += await rebuildRollups(db, { targetId, from, to, bucketWidthMs: options.bucketWidthMs });
    }
    await db.setting.update({ where: { key: ROLLUPS_FROM_SETTING }, data: { value: String(from - 1) } });
    options.onProgress?.({ from, to, oldest, targets: targets.length, rollups });
    to = from;
  }
  await db.setting.delete({ where: { key: ROLLUPS_FROM_SETTING } });
  return true;
}
