// Chart series summed by the database: each chart step's rows added up in SQL and their sketches joined into one
// string, read through rollups for steps of whole minutes (a 7-day chart reads 1,008 10-minute rollups instead of
// 60,480 buckets; measured in docs/PERFORMANCE.md). The SQL differs between SQLite and PostgreSQL in one place
// only: how a row's start becomes its step number.
import "server-only";
import { Prisma, type Db } from "../../db";
import type { MetricBucket } from "../../domain/metrics";
import { rollupWidthForStep } from "../../domain/rollups";
import { LatencySketch } from "../../domain/sketch";
import { columnIn, dialectOf } from "../platform/sql-dialect";
import { planStoredRange, rangeRows } from "./rollups";

/**
 * The all-traffic series' provider and model in storage, and its `snapshotVersion` 0 (a version's attributed
 * rows would count twice): see server/services/metrics/buckets.ts.
 */
const ALL = "";

type SqlInteger = bigint | number;

interface StepRow {
  targetId: string;
  step: SqlInteger;
  requestCount: SqlInteger;
  errorCount: SqlInteger;
  costMicros: SqlInteger;
  inputTokens: SqlInteger;
  outputTokens: SqlInteger;
  /** The step's sketches, as `LatencySketch.encode` wrote them, joined by commas. */
  sketches: string | null;
  /** The step's TTFT sketches the same way; NULL columns (no streamed requests) are left out by the aggregate. */
  ttftSketches: string | null;
}

/**
 * The all-traffic series over [from, to) of `targetIds`, merged into steps of `stepMs` counted from `from`:
 * target id → one bucket per step that had traffic, with the step's start, oldest first. Give `from` aligned
 * as downsampleSeries aligns it, and these buckets downsample to the same points as the raw ones. The ids are
 * listed rather than selected from Target, so that PostgreSQL reads each target's range on the (targetId,
 * start, …) index instead of scanning the table (it did: 500 ms against 65 ms for 50 targets). Steps made of
 * whole rollups (chartStepMs chooses such steps past a minute) read those, and buckets only at the edges.
 */
export async function loadStepSeries(
  db: Db,
  options: { targetIds: readonly string[]; from: Date; to: Date; stepMs: number; bucketWidthMs: number },
): Promise<Map<string, MetricBucket[]>> {
  const { targetIds, from, to, stepMs, bucketWidthMs } = options;
  const series = new Map<string, MetricBucket[]>();
  if (targetIds.length === 0) return series;
  const fromMs = from.getTime();
  const postgres = dialectOf(db) === "postgresql";
  // SQLite stores DateTime as ISO 8601 text (julianday reads it); PostgreSQL as timestamp(3) in UTC.
  const step = postgres
    ? Prisma.sql`CAST(FLOOR((EXTRACT(EPOCH FROM "start") * 1000 - ${fromMs}) / ${stepMs}) AS BIGINT)`
    : Prisma.sql`(CAST(ROUND((julianday("start") - 2440587.5) * 86400000) AS INTEGER) - CAST(${fromMs} AS INTEGER)) / CAST(${stepMs} AS INTEGER)`;
  const joined = (column: "sketch" | "ttftSketch") =>
    postgres
      ? Prisma.sql`string_agg(${Prisma.raw(`"${column}"`)}, ',')`
      : Prisma.sql`group_concat(${Prisma.raw(`"${column}"`)}, ',')`;
  const pieces = await planStoredRange(
    db,
    { from, to },
    { bucketWidthMs, maxWidthMs: rollupWidthForStep(stepMs, bucketWidthMs) ?? 0 },
  );
  const where = Prisma.sql`${columnIn(db, "targetId", targetIds)} AND "provider" = ${ALL} AND "model" = ${ALL}
    AND "snapshotVersion" = 0`;
  const columns = Prisma.sql`"targetId", "start", "requestCount", "errorCount", "costMicros", "inputTokens",
    "outputTokens", "sketch", "ttftSketch"`;
  const rows = await db.$queryRaw<StepRow[]>`
    SELECT "targetId", ${step} AS "step", CAST(SUM("requestCount") AS BIGINT) AS "requestCount",
      CAST(SUM("errorCount") AS BIGINT) AS "errorCount", CAST(SUM("costMicros") AS BIGINT) AS "costMicros",
      CAST(SUM("inputTokens") AS BIGINT) AS "inputTokens", CAST(SUM("outputTokens") AS BIGINT) AS "outputTokens",
      ${joined("sketch")} AS "sketches", ${joined("ttftSketch")} AS "ttftSketches"
    FROM ${rangeRows(pieces, where, columns)} AS "r"
    GROUP BY 1, 2
    ORDER BY 1, 2`;
  for (const row of rows) {
    const buckets = series.get(row.targetId) ?? [];
    if (buckets.length === 0) series.set(row.targetId, buckets);
    buckets.push({
      start: fromMs + Number(row.step) * stepMs,
      provider: null,
      model: null,
      requestCount: Number(row.requestCount),
      errorCount: Number(row.errorCount),
      costMicros: Number(row.costMicros),
      inputTokens: Number(row.inputTokens),
      outputTokens: Number(row.outputTokens),
      latency: LatencySketch.mergeEncoded(row.sketches ?? ""),
      ttft: LatencySketch.mergeEncoded(row.ttftSketches ?? ""),
    });
  }
  return series;
}
