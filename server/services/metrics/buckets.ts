// Metric storage: batches of events and pre-aggregated windows merged into per-target buckets (read back by
// bucket-reads.ts, pruned by platform/retention.ts), and the summary and chart series the dashboard reads.
// Storage model: docs/METRICS.md.
import "server-only";
import { z } from "zod";
import { Prisma, type Db, type Tx } from "../../db";
import { AppError } from "../../domain/errors";
import {
  aggregateEvents,
  assertBucketFits,
  bucketStart,
  chartStepMs,
  combineTotals,
  downsampleSeries,
  MAX_CHART_POINTS,
  MAX_CHART_RANGE_DAYS,
  mergeWindow,
  metricBatchSchema,
  limitRange,
  targetRangeShape,
  usdToMicros,
  type MetricBucket,
  type MetricEvent,
  type MetricTotals,
  type WindowMetrics,
} from "../../domain/metrics";
import { LatencySketch } from "../../domain/sketch";
import { pickReadings, type SloReadings } from "../../domain/slo";
import {
  ALL,
  ALL_VERSIONS,
  FLAG_ARM_ROWS,
  rowDimensions,
  rowKey,
  toColumns,
  toTotals,
  type PendingRow,
  type StoredRow,
} from "./bucket-rows";
import { rollUpRows } from "./rollups";
import { loadBreakdown, loadBuckets } from "./bucket-reads";
import { loadStepSeries } from "./chart-series";
import { rollupWidths } from "../../domain/rollups";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";

const recordMetricsSchema = metricBatchSchema.extend({ targetId: z.string().min(1, "Target is required") });

export interface RecordMetricsResult {
  events: number;
  windows: number;
  /** Buckets created or updated: all-traffic, breakdown, snapshot version and flag-arm rows alike. */
  buckets: number;
}

/** The dimensions of a row beyond provider and model (bucket-rows.ts). */
interface RowDimensions {
  snapshotVersion?: number;
  flag?: { key: string; on: boolean };
}

export interface RecordOptions {
  bucketWidthMs: number;
  now: Date;
  /**
   * Runs inside the transaction that writes the batch, with what it stores: the machine API records the
   * Idempotency-Key's response there, so a batch that committed is never written again by a retry.
   */
  inTransaction?: (tx: Tx, result: RecordMetricsResult) => Promise<void>;
}

/**
 * Merges a batch into its buckets in one transaction, or writes nothing when any part is invalid.
 * The batch is aggregated in memory first, so it touches each bucket once: one read of the existing
 * rows, one createMany for new ones, one update per existing one.
 *
 * Concurrency: each bucket is read, combined and written back, so two batches for one bucket must not
 * both read the old row. On PostgreSQL the transaction is SERIALIZABLE: the loser of a read-modify-write
 * race gets a serialization failure (P2034), and of an insert race a unique violation (P2002). Atomic
 * increments would do for the counters but not for the sketch, which needs the stored bytes, and
 * `SELECT … FOR UPDATE` is not expressible in provider-neutral Prisma. SQLite has a single writer: a
 * transaction that read before another connection committed cannot upgrade to a writer and fails with
 * SQLITE_BUSY instead of overwriting. Either way the whole attempt rolls back and is retried.
 */
export async function recordMetrics(db: Db, input: unknown, options: RecordOptions): Promise<RecordMetricsResult> {
  return recordCheckedMetrics(db, parseInput(recordMetricsSchema, input), options);
}

/**
 * `recordMetrics` for a batch whose events and windows were already checked against `metricEventSchema` and
 * `metricWindowSchema` (intake adapters screen every item, server/domain/intake/intake-items.ts): the same writes
 * without parsing them a second time.
 */
export async function recordCheckedMetrics(
  db: Db,
  { targetId, events, windows }: z.output<typeof recordMetricsSchema>,
  options: RecordOptions,
): Promise<RecordMetricsResult> {
  const { bucketWidthMs } = options;
  const misaligned = windows.findIndex((window) => window.start % bucketWidthMs !== 0);
  if (misaligned !== -1) {
    const message = `Window start must be a multiple of the ${bucketWidthMs / 1000} s bucket width`;
    throw new AppError("VALIDATION", `Invalid input: windows.${misaligned}.start: ${message}`, {
      issues: { [`windows.${misaligned}.start`]: message },
    });
  }

  const [, armedFlags] = await Promise.all([
    assertSnapshotVersions(db, targetId, { events, windows }),
    flagsWithArms(db, targetId, events),
  ]);

  const pending = new Map<string, PendingRow>();
  const add = (
    start: number,
    provider: string | null,
    model: string | null,
    totals: MetricTotals,
    { snapshotVersion = ALL_VERSIONS, flag }: RowDimensions = {},
  ) => {
    const row = {
      widthSeconds: 0,
      start,
      provider: provider ?? ALL,
      model: model ?? ALL,
      snapshotVersion: flag ? FLAG_ARM_ROWS : snapshotVersion,
      flagKey: flag?.key ?? "",
      flagOn: flag?.on ?? false,
    };
    const key = rowKey(row);
    const existing = pending.get(key);
    // Totals first: a domain bucket passed as totals carries its own (null) provider and model.
    pending.set(key, { ...(existing ? combineTotals(existing, totals) : totals), ...row });
  };
  for (const bucket of aggregateEvents(events, { widthMs: bucketWidthMs })) add(bucket.start, null, null, bucket);
  for (const bucket of aggregateEvents(events, { widthMs: bucketWidthMs, breakdown: true })) {
    // Events without provider and model belong to the all-traffic series only.
    if (bucket.provider !== null || bucket.model !== null) add(bucket.start, bucket.provider, bucket.model, bucket);
  }
  // Attributed events count a third time, in their version's rows (provider and model "").
  const byVersion = new Map<number, MetricEvent[]>();
  for (const event of events) {
    if (event.snapshotVersion === undefined) continue;
    const group = byVersion.get(event.snapshotVersion);
    if (group) group.push(event);
    else byVersion.set(event.snapshotVersion, [event]);
  }
  for (const [version, attributed] of byVersion) {
    for (const bucket of aggregateEvents(attributed, { widthMs: bucketWidthMs })) {
      add(bucket.start, null, null, bucket, { snapshotVersion: version });
    }
  }
  // Events reporting a flag that a running re-enablement ramps count once more, in that flag's on or off arm.
  for (const key of armedFlags) {
    for (const on of [true, false]) {
      const arm = events.filter((event) => event.flags?.[key] === on);
      for (const bucket of aggregateEvents(arm, { widthMs: bucketWidthMs })) {
        add(bucket.start, null, null, bucket, { flag: { key, on } });
      }
    }
  }
  for (const window of windows) {
    const totals: MetricTotals = {
      requestCount: window.requestCount,
      errorCount: window.errorCount,
      costMicros: usdToMicros(window.costUsd),
      inputTokens: window.inputTokens ?? 0,
      outputTokens: window.outputTokens ?? 0,
      latency: window.sketch,
      ttft: window.ttftSketch ?? LatencySketch.empty(),
    };
    add(window.start, null, null, totals);
    if (window.provider !== undefined || window.model !== undefined) {
      add(window.start, window.provider ?? null, window.model ?? null, totals);
    }
    if (window.snapshotVersion !== undefined) {
      add(window.start, null, null, totals, { snapshotVersion: window.snapshotVersion });
    }
  }
  if (pending.size === 0) return { events: 0, windows: 0, buckets: 0 };

  const result = { events: events.length, windows: windows.length, buckets: pending.size };
  const rollups = rollUpRows(pending.values(), rollupWidths(bucketWidthMs));
  // No separate existence check: the foreign key refuses a missing target (P2003) at no extra query.
  try {
    await retryOnConflict(() =>
      db.$transaction(
        async (tx) => {
          // The batch's rollups in the same transaction: a range read through them always equals its buckets.
          await mergeRows(tx, targetId, new Map([...pending, ...rollups]), options.now, (merged, bucket) =>
            assertBucketFits(merged, bucket.start, { events, windows, bucketWidthMs }),
          );
          await options.inTransaction?.(tx, result);
        },
        { isolationLevel: Prisma.TransactionIsolationLevel.Serializable, maxWait: 10_000, timeout: 20_000 },
      ),
    );
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2003") {
      throw new AppError("NOT_FOUND", "No such target");
    }
    throw error;
  }
  return result;
}

type CreatedRow = ReturnType<typeof rowDimensions> & ReturnType<typeof toColumns>;
type Update = { id: string; totals: MetricTotals };

/**
 * Merges pending rows into a target's stored ones: MetricBucket rows (`widthSeconds` 0) and MetricRollup rows
 * alike. One read of the rows the batch touches in both tables, then per table one createMany for new rows and
 * one UPDATE for the existing ones. `check` sees each merged bucket row (not rollups) before anything is written.
 *
 * Raw SQL on this path, which every ingested batch takes: Prisma 6's client engine compiles each model query in
 * Wasm on the event loop, which cost more CPU than the merge itself (docs/PERFORMANCE.md). The SQL is the same on
 * SQLite and PostgreSQL, and Prisma still maps the columns to their types (Date, bigint). Conflicts surface as
 * P2010, which retryOnConflict knows.
 */
async function mergeRows(
  tx: Tx,
  targetId: string,
  pending: ReadonlyMap<string, PendingRow>,
  now: Date,
  check: (merged: MetricTotals, row: PendingRow) => void,
): Promise<void> {
  const startsOf = (rollups: boolean) => {
    const starts = new Set<number>();
    for (const row of pending.values()) if (row.widthSeconds > 0 === rollups) starts.add(row.start);
    // No row starts at the epoch's first millisecond, so an empty list still makes valid SQL.
    return Prisma.join([...(starts.size > 0 ? starts : [-1])].map((start) => new Date(start)));
  };
  const columns = Prisma.sql`"id", "start", "provider", "model", "snapshotVersion", "flagKey", "flagOn", "requestCount",
    "errorCount", "costMicros", "inputTokens", "outputTokens", "sketch", "ttftSketch"`;
  const existing = await tx.$queryRaw<(StoredRow & { widthSeconds: number | bigint })[]>`
    SELECT ${columns}, 0 AS "widthSeconds" FROM "MetricBucket"
    WHERE "targetId" = ${targetId} AND "start" IN (${startsOf(false)})
    UNION ALL
    SELECT ${columns}, "widthSeconds" FROM "MetricRollup"
    WHERE "targetId" = ${targetId} AND "start" IN (${startsOf(true)})`;
  const existingByKey = new Map(
    existing.map((row) => [
      rowKey({
        start: row.start.getTime(),
        provider: row.provider,
        model: row.model,
        snapshotVersion: Number(row.snapshotVersion),
        flagKey: row.flagKey ?? "",
        // SQLite hands booleans back as 0/1 through raw queries.
        flagOn: Boolean(row.flagOn),
        widthSeconds: Number(row.widthSeconds),
      }),
      row,
    ]),
  );
  const bucketWrites = { created: [] as CreatedRow[], updates: [] as Update[] };
  const rollupWrites = { created: [] as CreatedRow[], updates: [] as Update[] };
  for (const [key, row] of pending) {
    const stored = existingByKey.get(key);
    const merged = stored ? combineTotals(toTotals(stored), row) : row;
    if (row.widthSeconds === 0) check(merged, row);
    const into = row.widthSeconds === 0 ? bucketWrites : rollupWrites;
    if (stored) into.updates.push({ id: stored.id, totals: merged });
    else into.created.push({ ...rowDimensions(row), ...toColumns(row) });
  }
  const data = (created: CreatedRow[]) =>
    created.map(({ start, ...rest }) => ({ targetId, start: new Date(start), ...rest }));
  if (bucketWrites.created.length > 0) {
    await tx.metricBucket.createMany({
      data: data(bucketWrites.created).map(({ widthSeconds: _bucket, ...bucket }) => bucket),
    });
  }
  if (rollupWrites.created.length > 0) await tx.metricRollup.createMany({ data: data(rollupWrites.created) });
  await updateRows(tx, "MetricBucket", bucketWrites.updates, now);
  await updateRows(tx, "MetricRollup", rollupWrites.updates, now);
}

/**
 * Writes merged totals back in one statement for every row: UPDATE … FROM (VALUES …), which SQLite (3.33+) and
 * PostgreSQL both take, with VALUES' default column names (column1, column2…): SQLite has no column list for it.
 */
async function updateRows(tx: Tx, table: "MetricBucket" | "MetricRollup", updates: Update[], now: Date) {
  if (updates.length === 0) return;
  const values = updates.map(({ id, totals }) => {
    const columns = toColumns(totals);
    return Prisma.sql`(${id}, CAST(${columns.requestCount} AS BIGINT), CAST(${columns.errorCount} AS BIGINT),
      CAST(${columns.costMicros} AS BIGINT), CAST(${columns.inputTokens} AS BIGINT),
      CAST(${columns.outputTokens} AS BIGINT), CAST(${columns.sketch} AS TEXT), CAST(${columns.ttftSketch} AS TEXT))`;
  });
  const name = Prisma.raw(`"${table}"`);
  await tx.$executeRaw`
    UPDATE ${name} SET "requestCount" = "v"."column2", "errorCount" = "v"."column3", "costMicros" = "v"."column4",
      "inputTokens" = "v"."column5", "outputTokens" = "v"."column6", "sketch" = "v"."column7",
      "ttftSketch" = "v"."column8", "updatedAt" = ${now}
    FROM (VALUES ${Prisma.join(values)}) AS "v"
    WHERE ${name}."id" = "v"."column1"`;
}

/**
 * The flags of the batch's events that the target's running re-enablement plan ramps: only those get arm rows,
 * so a sender reporting every flag it evaluates costs nothing beyond them. One indexed read, and none for a
 * batch without `flags`.
 */
async function flagsWithArms(db: Db, targetId: string, events: readonly MetricEvent[]): Promise<string[]> {
  if (!events.some((event) => event.flags !== undefined)) return [];
  const plan = await db.flagReenablement.findUnique({
    where: { activeTargetId: targetId },
    select: { flagKeys: true },
  });
  const keys = Array.isArray(plan?.flagKeys) ? plan.flagKeys.filter((key) => typeof key === "string") : [];
  return keys.filter((key) => events.some((event) => event.flags?.[key] !== undefined));
}

/**
 * Every `snapshotVersion` the batch reports must be a snapshot of this target (one indexed read of the unique
 * (targetId, version)); else the batch is refused by the first item naming a missing one, nothing written.
 */
async function assertSnapshotVersions(
  db: Db,
  targetId: string,
  batch: { events: readonly { snapshotVersion?: number }[]; windows: readonly { snapshotVersion?: number }[] },
): Promise<void> {
  const reported = new Set<number>();
  for (const item of [...batch.events, ...batch.windows]) {
    if (item.snapshotVersion !== undefined) reported.add(item.snapshotVersion);
  }
  if (reported.size === 0) return;
  const rows = await db.$queryRaw<{ version: number | bigint }[]>`
    SELECT "version" FROM "ConfigSnapshot" WHERE "targetId" = ${targetId} AND "version" IN (${Prisma.join([...reported])})`;
  const known = new Set(rows.map((row) => Number(row.version)));
  for (const field of ["events", "windows"] as const) {
    const index = batch[field].findIndex(
      (item) => item.snapshotVersion !== undefined && !known.has(item.snapshotVersion),
    );
    if (index === -1) continue;
    const version = batch[field][index]?.snapshotVersion;
    const message = `Snapshot version ${version} is not a snapshot of this target`;
    throw new AppError("VALIDATION", `Invalid input: ${field}.${index}.snapshotVersion: ${message}`, {
      issues: { [`${field}.${index}.snapshotVersion`]: message },
    });
  }
}

const summaryRangeSchema = limitRange(z.object(targetRangeShape), 1);

export interface MetricsSummary {
  window: WindowMetrics;
  /** One window per provider/model seen in the range. */
  breakdown: (WindowMetrics & { provider: string | null; model: string | null })[];
}

/** A target's traffic over a range of at most a day, in total and per provider/model. */
export async function metricsSummary(db: Db, input: unknown): Promise<MetricsSummary> {
  const { targetId, from, to } = parseInput(summaryRangeSchema, input);
  const range = { from: from.getTime(), to: to.getTime() };
  const [buckets, breakdownBuckets] = await Promise.all([
    loadBuckets(db, targetId, { from, to }),
    loadBreakdown(db, targetId, { from, to }),
  ]);
  const series = new Map<string, MetricBucket[]>();
  for (const bucket of breakdownBuckets) {
    const key = `${bucket.provider ?? ALL}\u0000${bucket.model ?? ALL}`;
    const rows = series.get(key);
    if (rows) rows.push(bucket);
    else series.set(key, [bucket]);
  }
  return {
    window: mergeWindow(buckets, range),
    breakdown: [...series.values()].map((rows) => ({
      provider: rows[0]?.provider ?? null,
      model: rows[0]?.model ?? null,
      ...mergeWindow(rows, range),
    })),
  };
}

/** One chart point: its requests and every SLO reading of the catalogue (null where the step had no data). */
export interface SeriesPoint extends SloReadings {
  start: Date;
  requestCount: number;
}

/** A downsampled step as a chart point. */
export function seriesPoint(point: WindowMetrics): SeriesPoint {
  return { start: new Date(point.from), requestCount: point.requestCount, ...pickReadings(point) };
}

export interface MetricSeries {
  /** Each point covers [start, start + stepMs): whole buckets, as few as keep the range within maxPoints. */
  stepMs: number;
  points: SeriesPoint[];
}

const seriesRangeSchema = limitRange(
  z.object({
    ...targetRangeShape,
    maxPoints: z.number().int().min(10).max(MAX_CHART_POINTS).default(MAX_CHART_POINTS),
  }),
  MAX_CHART_RANGE_DAYS,
);

/**
 * The all-traffic series of a range of up to 30 days for charts, downsampled on the server to at most
 * `maxPoints` points (latency sketches merge, so each point's P95 is exact to the sketch's 1%).
 */
export async function metricSeries(db: Db, input: unknown, settings: { bucketWidthMs: number }): Promise<MetricSeries> {
  const { targetId, from, to, maxPoints } = parseInput(seriesRangeSchema, input);
  const range = { from: from.getTime(), to: to.getTime() };
  const stepMs = chartStepMs(range, settings.bucketWidthMs, maxPoints);
  // Summed per step by the database: a week of 10 s buckets is 60,480 rows otherwise.
  const firstStep = new Date(bucketStart(range.from, stepMs));
  const buckets =
    (await loadStepSeries(db, { targetIds: [targetId], from: firstStep, to, stepMs, ...settings })).get(targetId) ?? [];
  return {
    stepMs,
    points: downsampleSeries(buckets, range, stepMs).map(seriesPoint),
  };
}
