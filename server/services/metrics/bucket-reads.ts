// Reading buckets back: a target's all-traffic series, every target's in bulk (with the judged configuration's
// version rows), counts summed by the database, the provider/model breakdown and per-version totals.
import "server-only";
import { Prisma, type Db } from "../../db";
import { combineTotals, emptyTotals, type MetricBucket, type MetricTotals } from "../../domain/metrics";
import {
  ALL,
  ALL_VERSIONS,
  FLAG_ARM_ROWS,
  bucketSelect,
  toBucket,
  toTotals,
  totalsSelect,
  type StoredRow,
} from "./bucket-rows";
import { columnIn } from "../platform/sql-dialect";
import { planStoredRange, rangeRows } from "./rollups";

export interface TimeRange {
  from: Date;
  to: Date;
}

/**
 * The all-traffic series of buckets starting in [from, to), sorted by start. Raw SQL like recordMetrics: the
 * emergency check after ingested batches reads it.
 */
export async function loadBuckets(db: Db, targetId: string, range: TimeRange): Promise<MetricBucket[]> {
  const rows = await db.$queryRaw<StoredRow[]>`
    SELECT "start", "provider", "model", "requestCount", "errorCount", "costMicros", "inputTokens", "outputTokens",
      "sketch", "ttftSketch"
    FROM "MetricBucket"
    WHERE "targetId" = ${targetId} AND "provider" = ${ALL} AND "model" = ${ALL}
      AND "snapshotVersion" = ${ALL_VERSIONS} AND "start" >= ${range.from} AND "start" < ${range.to}
    ORDER BY "start"`;
  return rows.map(toBucket);
}

/**
 * A target's all-traffic series over [from, to) read through rollups no wider than `maxWidthMs` (planRange): whole
 * windows come back as one row each, starting at the window's start, and the edges as buckets; sorted by start.
 * Merged over any range made of whole rows, they give what the buckets give (the replays of backtest.ts).
 */
export async function loadSeriesThroughRollups(
  db: Db,
  targetId: string,
  range: TimeRange,
  options: { bucketWidthMs: number; maxWidthMs: number },
): Promise<MetricBucket[]> {
  const pieces = await planStoredRange(db, range, options);
  const where = Prisma.sql`"targetId" = ${targetId} AND "provider" = ${ALL} AND "model" = ${ALL}
    AND "snapshotVersion" = ${ALL_VERSIONS}`;
  const rows = await db.$queryRaw<StoredRow[]>`
    SELECT * FROM ${rangeRows(pieces, where)} AS "r" ORDER BY "start"`;
  return rows.map(toBucket);
}

/**
 * One target's all-traffic series and, when `version` is given, that snapshot version's rows over [from, to), in
 * one raw query (the emergency check after ingested batches reads it, like loadBuckets).
 */
export async function loadJudgedSeries(
  db: Db,
  targetId: string,
  version: number | null,
  range: TimeRange,
): Promise<JudgedSeries> {
  const versions = version === null ? [ALL_VERSIONS] : [ALL_VERSIONS, version];
  const rows = await db.$queryRaw<StoredRow[]>`
    SELECT "start", "provider", "model", "snapshotVersion", "requestCount", "errorCount", "costMicros", "inputTokens",
      "outputTokens", "sketch", "ttftSketch"
    FROM "MetricBucket"
    WHERE "targetId" = ${targetId} AND "provider" = ${ALL} AND "model" = ${ALL}
      AND "snapshotVersion" IN (${Prisma.join(versions)}) AND "start" >= ${range.from} AND "start" < ${range.to}
    ORDER BY "start"`;
  const series: JudgedSeries = { all: [], versions: new Map() };
  for (const row of rows) {
    const rowVersion = Number(row.snapshotVersion ?? ALL_VERSIONS);
    if (rowVersion === ALL_VERSIONS) series.all.push(toBucket(row));
    else series.versions.set(rowVersion, [...(series.versions.get(rowVersion) ?? []), toBucket(row)]);
  }
  return series;
}

/** A target's all-traffic series and each snapshot version's rows over one range (evaluation's bulk read). */
export interface JudgedSeries {
  all: MetricBucket[];
  versions: Map<number, MetricBucket[]>;
}

/**
 * The all-traffic series AND every snapshot version's rows (not the provider/model breakdown) of `targetIds` over
 * [from, to), in one query: the evaluation pass judges a target's current version by its own rows when it has some,
 * else the all-traffic series clipped at the configuration change. With `maxWidthMs`, whole windows are read as
 * rollups (planRange): only for ranges judged whole, since a cut inside a rollup's window cannot be made.
 */
export async function loadJudgedSeriesByTarget(
  db: Db,
  targetIds: readonly string[],
  range: TimeRange,
  options: { bucketWidthMs: number; maxWidthMs: number },
): Promise<Map<string, JudgedSeries>> {
  const series = new Map<string, JudgedSeries>();
  if (targetIds.length === 0) return series;
  const pieces = await planStoredRange(db, range, options);
  const where = Prisma.sql`${columnIn(db, "targetId", targetIds)} AND "provider" = ${ALL} AND "model" = ${ALL}
    AND "snapshotVersion" >= ${ALL_VERSIONS}`;
  const rows = await db.$queryRaw<(Omit<StoredRow, "id"> & { targetId: string })[]>`
    SELECT * FROM ${rangeRows(pieces, where)} AS "r" ORDER BY "targetId", "start"`;
  for (const row of rows) {
    let entry = series.get(row.targetId);
    if (!entry) {
      entry = { all: [], versions: new Map() };
      series.set(row.targetId, entry);
    }
    const version = Number(row.snapshotVersion ?? ALL_VERSIONS);
    if (version === ALL_VERSIONS) {
      entry.all.push(toBucket(row));
      continue;
    }
    const buckets = entry.versions.get(version);
    if (buckets) buckets.push(toBucket(row));
    else entry.versions.set(version, [toBucket(row)]);
  }
  return series;
}

/**
 * Request and error counts per bucket of the all-traffic series of `targetIds` over [from, to), oldest first,
 * without sketches: burn-rate windows cut at a configuration change cannot use the per-window sums.
 */
export async function loadCountSeriesByTarget(
  db: Db,
  targetIds: readonly string[],
  range: TimeRange,
): Promise<Map<string, Pick<MetricBucket, "start" | "requestCount" | "errorCount">[]>> {
  const series = new Map<string, Pick<MetricBucket, "start" | "requestCount" | "errorCount">[]>();
  if (targetIds.length === 0) return series;
  const rows = await db.metricBucket.findMany({
    where: {
      targetId: { in: [...targetIds] },
      provider: ALL,
      model: ALL,
      snapshotVersion: ALL_VERSIONS,
      start: { gte: range.from, lt: range.to },
    },
    select: { targetId: true, start: true, requestCount: true, errorCount: true },
    orderBy: [{ targetId: "asc" }, { start: "asc" }],
  });
  for (const row of rows) {
    const buckets = series.get(row.targetId) ?? [];
    if (buckets.length === 0) series.set(row.targetId, buckets);
    buckets.push({ start: row.start.getTime(), requestCount: row.requestCount, errorCount: row.errorCount });
  }
  return series;
}

/** Counts of one series: `snapshotVersion` 0 is all traffic, v ≥ 1 that version's attributed rows. */
export type VersionCounts = Map<number, Pick<MetricTotals, "requestCount" | "errorCount">>;

/**
 * Request and error counts over [from, to) per target and per snapshot version (0: all traffic), summed by the
 * database in one query through rollups (server/domain/rollups.ts): an hour of a target's 10 s buckets is 360
 * rows, and read as whole 10-minute and 1-minute windows with buckets at the edges at most 20. The burn-rate
 * windows of targets judged by their version's rows and of the others come from the same query.
 */
export async function sumRequestsByTargetAndVersion(
  db: Db,
  targetIds: readonly string[],
  range: TimeRange,
  options: { bucketWidthMs: number },
): Promise<Map<string, VersionCounts>> {
  const sums = new Map<string, VersionCounts>();
  if (targetIds.length === 0) return sums;
  const pieces = await planStoredRange(db, range, options);
  const where = Prisma.sql`${columnIn(db, "targetId", targetIds)} AND "provider" = ${ALL} AND "model" = ${ALL}
    AND "snapshotVersion" >= ${ALL_VERSIONS}`;
  const columns = Prisma.sql`"targetId", "snapshotVersion", "requestCount", "errorCount"`;
  const groups = await db.$queryRaw<
    { targetId: string; snapshotVersion: number | bigint; requestCount: number | bigint; errorCount: number | bigint }[]
  >`
    SELECT "targetId", "snapshotVersion", CAST(SUM("requestCount") AS BIGINT) AS "requestCount",
      CAST(SUM("errorCount") AS BIGINT) AS "errorCount"
    FROM ${rangeRows(pieces, where, columns)} AS "r"
    GROUP BY 1, 2`;
  for (const group of groups) {
    const counts: VersionCounts =
      sums.get(group.targetId) ?? new Map<number, Pick<MetricTotals, "requestCount" | "errorCount">>();
    if (counts.size === 0) sums.set(group.targetId, counts);
    counts.set(Number(group.snapshotVersion), {
      requestCount: Number(group.requestCount),
      errorCount: Number(group.errorCount),
    });
  }
  return sums;
}

/**
 * Each requested snapshot version's traffic over [from, to), merged: the rows the orchestrator attributed to
 * that version (docs/METRICS.md). A version without rows in the range maps to empty totals, so callers tell
 * "no attributed traffic" by `requestCount === 0`.
 */
export async function loadVersionTotals(
  db: Db,
  targetId: string,
  versions: readonly number[],
  range: TimeRange,
): Promise<Map<number, MetricTotals>> {
  const rows = await db.metricBucket.findMany({
    where: {
      targetId,
      provider: ALL,
      model: ALL,
      snapshotVersion: { in: [...versions] },
      start: { gte: range.from, lt: range.to },
    },
    select: { snapshotVersion: true, ...totalsSelect },
  });
  const totals = new Map(versions.map((version) => [version, emptyTotals()]));
  for (const row of rows) {
    const sum = totals.get(row.snapshotVersion);
    if (sum) totals.set(row.snapshotVersion, combineTotals(sum, toTotals(row)));
  }
  return totals;
}

/** Provider/model rows starting in [from, to), sorted by start, provider, model. */
export async function loadBreakdown(db: Db, targetId: string, range: TimeRange): Promise<MetricBucket[]> {
  const rows = await db.metricBucket.findMany({
    where: {
      targetId,
      snapshotVersion: ALL_VERSIONS,
      NOT: { provider: ALL, model: ALL },
      start: { gte: range.from, lt: range.to },
    },
    select: bucketSelect,
    orderBy: [{ start: "asc" }, { provider: "asc" }, { model: "asc" }],
  });
  return rows.map(toBucket);
}

/** A target's all-traffic totals over [from, to) (epoch ms), merged: what a time-window step check compares. */
export async function loadTargetTotals(
  db: Db,
  targetId: string,
  range: { from: number; to: number },
): Promise<MetricTotals> {
  const buckets = await loadBuckets(db, targetId, { from: new Date(range.from), to: new Date(range.to) });
  return buckets.reduce<MetricTotals>((sum, bucket) => combineTotals(sum, bucket), emptyTotals());
}

/** One flag's two arms over [from, to): the traffic the orchestrator reported with the flag on, and off. */
export interface FlagArms {
  on: MetricTotals;
  off: MetricTotals;
}

/** The arms of `flagKeys` (docs/METRICS.md, "Flag arms"), merged over [from, to); keys without rows are empty. */
export async function loadFlagArms(
  db: Db,
  targetId: string,
  flagKeys: readonly string[],
  range: { from: number; to: number },
): Promise<Map<string, FlagArms>> {
  const arms = new Map(flagKeys.map((key) => [key, { on: emptyTotals(), off: emptyTotals() }]));
  if (flagKeys.length === 0 || range.to <= range.from) return arms;
  const rows = await db.metricBucket.findMany({
    where: {
      targetId,
      snapshotVersion: FLAG_ARM_ROWS,
      flagKey: { in: [...flagKeys] },
      start: { gte: new Date(range.from), lt: new Date(range.to) },
    },
    select: { flagKey: true, flagOn: true, ...totalsSelect },
  });
  for (const row of rows) {
    const arm = arms.get(row.flagKey);
    if (!arm) continue;
    if (row.flagOn) arm.on = combineTotals(arm.on, toTotals(row));
    else arm.off = combineTotals(arm.off, toTotals(row));
  }
  return arms;
}
