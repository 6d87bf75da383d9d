// Metric history for the database benchmarks: buckets and their 1-minute and 10-minute rollups seeded as raw SQL
// from a few hundred realistic bucket templates, and the check that the seeded rollups agree with the buckets.
// Readers take whole windows from rollups (server/domain/rollups.ts), so a benchmark whose rollups disagree with
// its buckets would time the wrong data: every suite that seeds buckets runs the check before timing anything.
import Database from "better-sqlite3";
import pg from "pg";
import { Prisma, type Db } from "@/server/db";
import { sqliteFilePath } from "@/server/db/url";
import type { MetricTotals } from "@/server/domain/metrics";
import { rollupWidths } from "@/server/domain/rollups";
import { LatencySketch } from "@/server/domain/sketch";
import { sumRequestsByTargetAndVersion } from "@/server/services/metrics/bucket-reads";
import { loadStepSeries } from "@/server/services/metrics/chart-series";
import { rebuildRollups, ROLLUPS_FROM_SETTING } from "@/server/services/metrics/rollups";
import type { BenchDatabase } from "./databases";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** A stored row's columns that vary in the benchmarks (tokens are 0, TTFT sketches NULL: no request streams). */
export interface RowTemplate {
  requestCount: number;
  errorCount: number;
  costMicros: number;
  sketch: string;
}

export function toTemplate(totals: MetricTotals): RowTemplate {
  return {
    requestCount: totals.requestCount,
    errorCount: totals.errorCount,
    costMicros: totals.costMicros,
    sketch: totals.latency.encode(),
  };
}

/**
 * The rollups of buckets taken round-robin from `buckets`: entry s holds buckets s … s + count − 1 (modulo their
 * number) merged, the rollup of a window of `count` buckets whose first bucket is template s.
 */
export function mergedTemplates(buckets: readonly MetricTotals[], count: number): RowTemplate[] {
  return buckets.map((_, s) => {
    const window = Array.from({ length: count }, (_, k) => buckets[(s + k) % buckets.length] as MetricTotals);
    const sum = (field: "requestCount" | "errorCount" | "costMicros") =>
      window.reduce((total, bucket) => total + bucket[field], 0);
    return {
      requestCount: sum("requestCount"),
      errorCount: sum("errorCount"),
      costMicros: sum("costMicros"),
      sketch: LatencySketch.merge(window.map((bucket) => bucket.latency)).encode(),
    };
  });
}

/** Timestamps as the SQLite adapter writes DateTime columns. */
export const sqliteTime = (ms: number) => new Date(ms).toISOString().replace("Z", "+00:00");

/**
 * Where a history lies: buckets over the last `bucketDays` before `now`, rollups over the last `rollupDays`
 * (at least `bucketDays`; more stands for a database whose raw buckets are pruned sooner than their rollups).
 */
export interface HistoryLayout {
  /** The end of the history, exclusive: a multiple of 10 minutes. */
  now: number;
  bucketMs: number;
  bucketDays: number;
  rollupDays: number;
}

/** One series of rows to insert: `count` rows `widthMs` apart from `from`, row g taking template `(first + g × step) % n`. */
interface SeriesRows {
  widthMs: number;
  from: number;
  count: number;
  first: number;
  step: number;
}

/**
 * The buckets and rollups of target t (its index among the seeded targets): bucket i (counted from the first
 * bucket's start, negative before it) takes template (i + t) mod n, so targets differ, and a rollup window
 * takes the merge of the templates of its buckets, however the windows fall on the template cycle.
 */
function seriesOf(n: number, layout: HistoryLayout, t: number) {
  const bucketsFrom = layout.now - layout.bucketDays * DAY_MS;
  const rollupsFrom = layout.now - layout.rollupDays * DAY_MS;
  const firstOf = (from: number) => ((((from - bucketsFrom) / layout.bucketMs + t) % n) + n) % n;
  const buckets: SeriesRows = {
    widthMs: layout.bucketMs,
    from: bucketsFrom,
    count: (layout.now - bucketsFrom) / layout.bucketMs,
    first: firstOf(bucketsFrom),
    step: 1,
  };
  const rollups = rollupWidths(layout.bucketMs).map((widthMs): SeriesRows => ({
    widthMs,
    from: rollupsFrom,
    count: (layout.now - rollupsFrom) / widthMs,
    first: firstOf(rollupsFrom),
    step: widthMs / layout.bucketMs,
  }));
  return { buckets, rollups };
}

/**
 * Seeds every target's history as `HistoryLayout` places it, from `templates` reused round-robin: on SQLite
 * with better-sqlite3 prepared inserts in one transaction per target, on PostgreSQL with one INSERT … SELECT
 * generate_series per target and table (the templates passed once as arrays), then ANALYZE. Returns the rows
 * written to each table.
 */
export async function seedMetricHistory(
  database: BenchDatabase,
  targetIds: readonly string[],
  templates: readonly MetricTotals[],
  layout: HistoryLayout,
): Promise<{ buckets: number; rollups: number }> {
  const widths = rollupWidths(layout.bucketMs);
  // Encoded and merged once for every target: they depend on the row's width only.
  const bucketTemplates = templates.map(toTemplate);
  const rollupTemplates = new Map(
    widths.map((widthMs) => [widthMs, mergedTemplates(templates, widthMs / layout.bucketMs)]),
  );
  const plans = targetIds.map((targetId, t) => {
    const { buckets, rollups } = seriesOf(templates.length, layout, t);
    return {
      targetId,
      t,
      buckets: { ...buckets, templates: bucketTemplates },
      rollups: rollups.map((series) => ({ ...series, templates: rollupTemplates.get(series.widthMs) ?? [] })),
    };
  });
  const written = {
    buckets: plans.reduce((sum, plan) => sum + plan.buckets.count, 0),
    rollups: plans.reduce((sum, plan) => sum + plan.rollups.reduce((rows, series) => rows + series.count, 0), 0),
  };
  if (database.name === "SQLite") {
    const sqlite = new Database(sqliteFilePath(database.url));
    try {
      const insertBucket = sqlite.prepare(
        `INSERT INTO "MetricBucket" ("id","targetId","start","provider","model","requestCount","errorCount",` +
          `"costMicros","inputTokens","outputTokens","sketch","updatedAt") VALUES (?,?,?,'','',?,?,?,0,0,?,?)`,
      );
      const insertRollup = sqlite.prepare(
        `INSERT INTO "MetricRollup" ("id","targetId","widthSeconds","start","provider","model","requestCount",` +
          `"errorCount","costMicros","inputTokens","outputTokens","sketch","updatedAt") VALUES (?,?,?,?,'','',?,?,?,0,0,?,?)`,
      );
      const updatedAt = sqliteTime(layout.now);
      const seedTarget = sqlite.transaction((plan: (typeof plans)[number]) => {
        const { targetId, t } = plan;
        for (const series of [plan.buckets, ...plan.rollups]) {
          const widthSeconds = series.widthMs / 1000;
          const n = series.templates.length;
          for (let g = 0; g < series.count; g++) {
            const template = series.templates[(series.first + g * series.step) % n] as RowTemplate;
            const start = sqliteTime(series.from + g * series.widthMs);
            const { requestCount, errorCount, costMicros, sketch } = template;
            if (series === plan.buckets) {
              insertBucket.run(`b${t}_${g}`, targetId, start, requestCount, errorCount, costMicros, sketch, updatedAt);
            } else {
              insertRollup.run(
                `r${t}_${widthSeconds}_${g}`,
                targetId,
                widthSeconds,
                start,
                requestCount,
                errorCount,
                costMicros,
                sketch,
                updatedAt,
              );
            }
          }
        }
      });
      for (const plan of plans) seedTarget(plan);
    } finally {
      sqlite.close();
    }
    return written;
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const time = (param: string) => `timestamp '1970-01-01' + ${param} * interval '1 millisecond'`;
  try {
    for (const plan of plans) {
      for (const series of [plan.buckets, ...plan.rollups]) {
        const rollup = series !== plan.buckets;
        const widthSeconds = series.widthMs / 1000;
        const template = (array: string) => `(${array})[1 + ($4::int + g * $5::int) % $6::int]`;
        await client.query(
          `INSERT INTO ${rollup ? `"MetricRollup"` : `"MetricBucket"`} ("id","targetId",${rollup ? `"widthSeconds",` : ""}
             "start","provider","model","requestCount","errorCount","costMicros","inputTokens","outputTokens","sketch","updatedAt")
           SELECT $1::text || g, $2, ${rollup ? `${widthSeconds},` : ""} ${time("($3::bigint + g * $7::bigint)")}, '', '',
             ${template("$8::int[]")}, ${template("$9::int[]")}, ${template("$10::bigint[]")}, 0, 0, ${template("$11::text[]")},
             ${time("$12::bigint")}
           FROM generate_series(0, $13::int - 1) AS g`,
          [
            rollup ? `r${plan.t}_${widthSeconds}_` : `b${plan.t}_`,
            plan.targetId,
            series.from,
            series.first,
            series.step,
            series.templates.length,
            series.widthMs,
            series.templates.map((row) => row.requestCount),
            series.templates.map((row) => row.errorCount),
            series.templates.map((row) => row.costMicros),
            series.templates.map((row) => row.sketch),
            layout.now,
            series.count,
          ],
        );
      }
    }
    // As autovacuum would have by then: the planner needs the tables' statistics.
    await client.query(`ANALYZE "MetricBucket"; ANALYZE "MetricRollup"`);
  } finally {
    await client.end();
  }
  return written;
}

interface Sums {
  rows: number;
  requestCount: number;
  errorCount: number;
  costMicros: number;
}

/** Rows and summed counts of a target's all-traffic rows starting in [from, to): buckets, or rollups of one width. */
async function sumRows(
  db: Db,
  targetId: string,
  range: { from: number; to: number },
  widthMs: number | null,
): Promise<Sums> {
  const table = widthMs === null ? Prisma.sql`"MetricBucket"` : Prisma.sql`"MetricRollup"`;
  const width = widthMs === null ? Prisma.empty : Prisma.sql`AND "widthSeconds" = ${widthMs / 1000}`;
  const [row] = await db.$queryRaw<Record<keyof Sums, bigint | number | null>[]>`
    SELECT COUNT(*) AS "rows", CAST(SUM("requestCount") AS BIGINT) AS "requestCount",
      CAST(SUM("errorCount") AS BIGINT) AS "errorCount", CAST(SUM("costMicros") AS BIGINT) AS "costMicros"
    FROM ${table}
    WHERE "targetId" = ${targetId} AND "provider" = '' AND "model" = '' AND "snapshotVersion" = 0 ${width}
      AND "start" >= ${new Date(range.from)} AND "start" < ${new Date(range.to)}`;
  return {
    rows: Number(row?.rows ?? 0),
    requestCount: Number(row?.requestCount ?? 0),
    errorCount: Number(row?.errorCount ?? 0),
    costMicros: Number(row?.costMicros ?? 0),
  };
}

/** The columns of a seeded row that the templates do not set. */
const ALL_TRAFFIC = {
  provider: "",
  model: "",
  snapshotVersion: 0,
  flagKey: "",
  flagOn: false,
  inputTokens: 0,
  outputTokens: 0,
  ttftSketch: null,
};

/** A rollup row as a comparable line: every column but the id and updatedAt, whichever types the driver returned. */
function lineOf(row: Record<string, unknown>): string {
  return JSON.stringify([
    Number(row.widthSeconds),
    (row.start as Date).toISOString(),
    row.provider,
    row.model,
    Number(row.snapshotVersion),
    row.flagKey,
    // SQLite hands booleans back as 0/1 through raw queries.
    Boolean(row.flagOn),
    ...["requestCount", "errorCount", "costMicros", "inputTokens", "outputTokens"].map((column) => Number(row[column])),
    row.sketch,
    row.ttftSketch,
  ]);
}

/** A target's rollup rows starting in [from, to), as sorted `lineOf` lines. */
async function rollupLines(db: Db, targetId: string, range: { from: number; to: number }): Promise<string[]> {
  const rows = await db.$queryRaw<Record<string, unknown>[]>`
    SELECT "widthSeconds", "start", "provider", "model", "snapshotVersion", "flagKey", "flagOn", "requestCount",
      "errorCount", "costMicros", "inputTokens", "outputTokens", "sketch", "ttftSketch"
    FROM "MetricRollup"
    WHERE "targetId" = ${targetId} AND "start" >= ${new Date(range.from)} AND "start" < ${new Date(range.to)}`;
  return rows.map(lineOf).sort();
}

const sameSums = (a: Sums, b: Sums) =>
  a.rows === b.rows &&
  a.requestCount === b.requestCount &&
  a.errorCount === b.errorCount &&
  a.costMicros === b.costMicros;

/**
 * Throws unless a target's rollups agree with its buckets over [from, to), a span of whole 10-minute windows in
 * which every bucket is stored: for each width, as many rollups as windows, summing to the buckets' counts;
 * `sumRequestsByTargetAndVersion` (rollups for whole windows, buckets at the edges) equal to a plain sum of the
 * buckets over ranges with and without ragged edges; `rebuildRollups` over the span's last hour leaving its rows
 * as they were; and every window's totals and sketches the same read from rollups as from buckets. Needs no
 * `metricRollupsFrom` Setting (a fresh database): it sets and deletes one.
 */
export async function assertRollupsMatchBuckets(
  db: Db,
  check: { targetId: string; from: number; to: number; bucketWidthMs: number },
): Promise<void> {
  const { targetId, from, to, bucketWidthMs } = check;
  const fail = (what: string) => {
    throw new Error(`Seeded rollups disagree with the buckets of target ${targetId}: ${what}`);
  };
  const buckets = await sumRows(db, targetId, { from, to }, null);
  if (buckets.rows !== (to - from) / bucketWidthMs)
    fail(`${buckets.rows} buckets in a span of ${(to - from) / bucketWidthMs}`);
  for (const widthMs of rollupWidths(bucketWidthMs)) {
    const rollups = await sumRows(db, targetId, { from, to }, widthMs);
    const expected = { ...buckets, rows: (to - from) / widthMs };
    if (!sameSums(rollups, expected))
      fail(`${widthMs / 1000} s rollups sum to ${JSON.stringify(rollups)}, the buckets to ${JSON.stringify(expected)}`);
  }
  const ranges = [
    { from, to },
    { from: from + 70_000, to: to - 130_000 },
    { from: Math.max(from, to - 6 * HOUR_MS) + 25_000, to: to - 5 * 60_000 },
  ];
  for (const range of ranges) {
    const read = (
      await sumRequestsByTargetAndVersion(
        db,
        [targetId],
        { from: new Date(range.from), to: new Date(range.to) },
        {
          bucketWidthMs,
        },
      )
    )
      .get(targetId)
      ?.get(0);
    const raw = await sumRows(db, targetId, range, null);
    if (read?.requestCount !== raw.requestCount || read.errorCount !== raw.errorCount) {
      fail(
        `sumRequestsByTargetAndVersion over [${new Date(range.from).toISOString()}, ${new Date(range.to).toISOString()}) ` +
          `reads ${JSON.stringify(read ?? null)}, the buckets hold ${raw.requestCount} requests and ${raw.errorCount} errors`,
      );
    }
  }
  const hour = { from: to - HOUR_MS, to };
  const seeded = await rollupLines(db, targetId, hour);
  await rebuildRollups(db, { targetId, ...hour, bucketWidthMs });
  const rebuilt = await rollupLines(db, targetId, hour);
  const differing = seeded.findIndex((line, i) => line !== rebuilt[i]);
  if (seeded.length !== rebuilt.length || differing >= 0) {
    fail(
      `rebuildRollups over the last hour wrote ${rebuilt.length} rows for ${seeded.length} seeded` +
        (differing >= 0 ? `; first difference:\n  seeded  ${seeded[differing]}\n  rebuilt ${rebuilt[differing]}` : ""),
    );
  }
  // Every window of the span, sketches included, as the chart reader sees it: steps of one rollup width read
  // through rollups, then with the marker saying rollups are incomplete until `to`, which makes it read buckets.
  for (const widthMs of rollupWidths(bucketWidthMs)) {
    const steps = async () =>
      (
        (
          await loadStepSeries(db, {
            targetIds: [targetId],
            from: new Date(from),
            to: new Date(to),
            stepMs: widthMs,
            bucketWidthMs,
          })
        ).get(targetId) ?? []
      ).map((step) => JSON.stringify({ ...step, latency: step.latency.encode(), ttft: step.ttft.encode() }));
    const fromRollups = await steps();
    await db.setting.create({ data: { key: ROLLUPS_FROM_SETTING, value: String(to) } });
    const fromBuckets = await steps().finally(() => db.setting.delete({ where: { key: ROLLUPS_FROM_SETTING } }));
    const differing = fromBuckets.findIndex((line, i) => line !== fromRollups[i]);
    if (fromRollups.length !== (to - from) / widthMs || fromBuckets.length !== fromRollups.length || differing >= 0) {
      fail(
        `loadStepSeries in ${widthMs / 1000} s steps reads ${fromRollups.length} steps from rollups, ` +
          `${fromBuckets.length} from buckets` +
          (differing >= 0
            ? `; first difference:\n  rollups ${fromRollups[differing]?.slice(0, 300)}\n  buckets ${fromBuckets[differing]?.slice(0, 300)}`
            : ""),
      );
    }
  }
}

/**
 * Throws unless `seedMetricHistory`'s rows for target t are what its layout says: its rollups agree with its
 * buckets (`assertRollupsMatchBuckets`), and the rollups older than the buckets number one per window and add up,
 * width by width, to the templates of the buckets they stand for, the rows of the oldest hour and of the hour
 * before the buckets matching those templates' merges exactly (sums over whole template cycles would not notice
 * rows taking the wrong ones).
 */
export async function assertSeededHistory(
  db: Db,
  target: { id: string; index: number },
  templates: readonly MetricTotals[],
  layout: HistoryLayout,
): Promise<void> {
  const bucketsFrom = layout.now - layout.bucketDays * DAY_MS;
  await assertRollupsMatchBuckets(db, {
    targetId: target.id,
    from: bucketsFrom,
    to: layout.now,
    bucketWidthMs: layout.bucketMs,
  });
  const older = { from: layout.now - layout.rollupDays * DAY_MS, to: bucketsFrom };
  if (older.from >= older.to) return;
  const fail = (what: string) => {
    throw new Error(`Seeded rollups before the buckets of target ${target.id}: ${what}`);
  };
  const n = templates.length;
  const templateOf = (start: number) => ((((start - bucketsFrom) / layout.bucketMs + target.index) % n) + n) % n;
  const expected: Sums = { rows: 0, requestCount: 0, errorCount: 0, costMicros: 0 };
  for (let start = older.from; start < older.to; start += layout.bucketMs) {
    const template = templates[templateOf(start)] as MetricTotals;
    expected.requestCount += template.requestCount;
    expected.errorCount += template.errorCount;
    expected.costMicros += template.costMicros;
  }
  const widths = rollupWidths(layout.bucketMs);
  for (const widthMs of widths) {
    const rollups = await sumRows(db, target.id, older, widthMs);
    const want = { ...expected, rows: (older.to - older.from) / widthMs };
    if (!sameSums(rollups, want)) {
      fail(`${widthMs / 1000} s rollups sum to ${JSON.stringify(rollups)}, their templates to ${JSON.stringify(want)}`);
    }
  }
  const merged = new Map(widths.map((widthMs) => [widthMs, mergedTemplates(templates, widthMs / layout.bucketMs)]));
  for (const hour of [
    { from: older.from, to: older.from + HOUR_MS },
    { from: older.to - HOUR_MS, to: older.to },
  ]) {
    const want = widths
      .flatMap((widthMs) =>
        Array.from({ length: HOUR_MS / widthMs }, (_, w) => {
          const start = hour.from + w * widthMs;
          const template = merged.get(widthMs)?.[templateOf(start)] as RowTemplate;
          return lineOf({ widthSeconds: widthMs / 1000, start: new Date(start), ...ALL_TRAFFIC, ...template });
        }),
      )
      .sort();
    const stored = await rollupLines(db, target.id, hour);
    const differing = want.findIndex((line, i) => line !== stored[i]);
    if (want.length !== stored.length || differing >= 0) {
      fail(
        `${stored.length} rows from ${new Date(hour.from).toISOString()} where ${want.length} were due` +
          (differing >= 0 ? `; first difference:\n  stored   ${stored[differing]}\n  expected ${want[differing]}` : ""),
      );
    }
  }
}
