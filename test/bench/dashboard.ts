// The dashboard's server responses at the size the issue names: 50 targets with 7 days of 10 s buckets each
// (~3 M rows) and a full verdict history. Times the overview, a 7-day chart series and the target page's
// bundle of queries through tRPC callers, as the console calls them; prints figures, asserts nothing.
import Database from "better-sqlite3";
import { loadavg } from "node:os";
import pg from "pg";
import superjson from "superjson";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import type { Db } from "@/server/db";
import { sqliteFilePath } from "@/server/db/url";
import type { Verdict } from "@/server/domain/evaluation";
import { defaultPolicy } from "@/server/domain/policy";
import { systemActor } from "@/server/services/audit/audit-log";
import { createUser } from "@/server/services/access/users";
import { freshDatabases, type BenchDatabase } from "./databases";
import { hourOfBuckets } from "./domain";
import { percentile, type Figure } from "./lib";

const TARGETS = 50;
const DAYS = 7;
const BUCKET_MS = 10_000;
const BUCKETS_PER_TARGET = (DAYS * 86_400_000) / BUCKET_MS;
const VERDICTS_PER_TARGET = 1_000;
const RUNS = 20;
const WARMUP = 3;
export const NOW = Date.UTC(2026, 0, 8);

interface BucketTemplate {
  requestCount: number;
  errorCount: number;
  costMicros: number;
  sketch: string;
}

/**
 * 720 realistic buckets (~20 requests each, log-normal latencies, 1% errors) from two simulated hours, reused
 * round-robin: every stored sketch is a real one, and a series merges many different ones.
 */
function bucketTemplates(): BucketTemplate[] {
  return [...hourOfBuckets(NOW, 21), ...hourOfBuckets(NOW, 22)].map((bucket) => ({
    requestCount: bucket.requestCount,
    errorCount: bucket.errorCount,
    costMicros: bucket.costMicros,
    sketch: bucket.latency.encode(),
  }));
}

const healthyVerdict: Verdict = {
  status: "HEALTHY",
  observed: {
    windowSeconds: 300,
    requestCount: 600,
    errorRate: 0.01,
    p95Ms: 3_100,
    costPerRequestUsd: 0.004,
    ttftP95Ms: null,
  },
  explanation: "All SLOs met over the last 5 min: 600 requests, error rate 1.00%, P95 3,100 ms, $0.0040 per request",
};

/** Targets, a viewer, snapshots, policies and rollback history through Prisma: small, so speed does not matter. */
async function seedRows(db: Db) {
  await db.target.createMany({
    data: Array.from({ length: TARGETS }, (_, i) => ({ slug: `bench-${i}`, name: `Bench target ${i}` })),
  });
  const targets = await db.target.findMany({ select: { id: true, slug: true }, orderBy: { slug: "asc" } });
  const config = (version: number) => ({ model: `model-v${version}`, timeoutMs: 30_000 });
  await db.configSnapshot.createMany({
    data: targets.flatMap((target) =>
      [1, 2, 3].map((version) => ({
        targetId: target.id,
        version,
        config: config(version),
        checksum: `checksum-${version}`,
        createdByType: "SYSTEM",
        createdAt: new Date(NOW - (4 - version) * 86_400_000),
        publishedAt: new Date(NOW - (4 - version) * 86_400_000),
      })),
    ),
  });
  const snapshots = await db.configSnapshot.findMany({ select: { id: true, targetId: true, version: true } });
  const snapshotOf = (targetId: string, version: number) =>
    snapshots.find((snapshot) => snapshot.targetId === targetId && snapshot.version === version)?.id ?? "";
  for (const target of targets) {
    await db.target.update({
      where: { id: target.id },
      data: { currentSnapshotId: snapshotOf(target.id, 3), knownGoodSnapshotId: snapshotOf(target.id, 2) },
    });
  }
  await db.policy.createMany({
    data: targets.map((target) => ({ targetId: target.id, version: 1, config: defaultPolicy, createdAt: new Date(0) })),
  });
  // 20 ended rollbacks per target over the week, and one in progress for every tenth target.
  await db.rollback.createMany({
    data: targets.flatMap((target, t) =>
      Array.from({ length: 20 }, (_, i) => ({
        targetId: target.id,
        ...(t % 10 === 0 && i === 0 ? { activeTargetId: target.id } : {}),
        trigger: "SLO" as const,
        status: t % 10 === 0 && i === 0 ? ("IN_PROGRESS" as const) : ("COMPLETED" as const),
        fromSnapshotId: snapshotOf(target.id, 3),
        toSnapshotId: snapshotOf(target.id, 2),
        steps: [25, 50, 100],
        currentStep: t % 10 === 0 && i === 0 ? 1 : 2,
        trafficPercent: t % 10 === 0 && i === 0 ? 50 : 100,
        approvalsRequired: 0,
        requestedAt: new Date(NOW - i * 8 * 3_600_000 - 60_000),
      })),
    ),
  });
  const user = await createUser(
    db,
    { actor: systemActor, email: "viewer@bench.test", name: "Bench viewer", role: "VIEWER", password: "x".repeat(12) },
    new Date(NOW),
  );
  return { targets, userId: user.id };
}

/** Timestamps as the SQLite adapter writes DateTime columns. */
const sqliteTime = (ms: number) => new Date(ms).toISOString().replace("Z", "+00:00");

/** Prisma's createMany takes ~100 s per 360k rows here: the buckets and verdicts go in as raw SQL. */
async function seedBulk(database: BenchDatabase, targetIds: readonly string[]) {
  const templates = bucketTemplates();
  const firstStart = NOW - BUCKETS_PER_TARGET * BUCKET_MS;
  const verdict = JSON.stringify(healthyVerdict);
  if (database.name === "SQLite") {
    const sqlite = new Database(sqliteFilePath(database.url));
    try {
      const insertBucket = sqlite.prepare(
        `INSERT INTO "MetricBucket" ("id","targetId","start","provider","model","requestCount","errorCount",` +
          `"costMicros","inputTokens","outputTokens","sketch","updatedAt") VALUES (?,?,?,'','',?,?,?,0,0,?,?)`,
      );
      const insertVerdict = sqlite.prepare(
        `INSERT INTO "VerdictRecord" ("id","targetId","evaluatedAt","status","severity","consecutiveCount",` +
          `"details","policyVersion") VALUES (?,?,?,'HEALTHY',NULL,0,?,1)`,
      );
      const seedTarget = sqlite.transaction((targetId: string, t: number) => {
        const updatedAt = sqliteTime(NOW);
        for (let i = 0; i < BUCKETS_PER_TARGET; i++) {
          const template = templates[(i + t) % templates.length] as BucketTemplate;
          insertBucket.run(
            `b${t}_${i}`,
            targetId,
            sqliteTime(firstStart + i * BUCKET_MS),
            template.requestCount,
            template.errorCount,
            template.costMicros,
            template.sketch,
            updatedAt,
          );
        }
        for (let i = 0; i < VERDICTS_PER_TARGET; i++) {
          insertVerdict.run(`v${t}_${i}`, targetId, sqliteTime(NOW - i * BUCKET_MS), verdict);
        }
      });
      targetIds.forEach((targetId, t) => seedTarget(targetId, t));
    } finally {
      sqlite.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    for (const [t, targetId] of targetIds.entries()) {
      // generate_series in the server: one statement per target, the templates passed once as arrays.
      await client.query(
        `INSERT INTO "MetricBucket" ("id","targetId","start","provider","model","requestCount","errorCount",
           "costMicros","inputTokens","outputTokens","sketch","updatedAt")
         SELECT 'b' || $1::int || '_' || g, $2, timestamp '1970-01-01' + ($3::bigint + g * $4::bigint) * interval '1 millisecond',
           '', '', ($5::int[])[1 + (g + $1) % $8], ($6::int[])[1 + (g + $1) % $8], ($7::bigint[])[1 + (g + $1) % $8], 0, 0,
           ($9::text[])[1 + (g + $1) % $8], timestamp '1970-01-01' + $10::bigint * interval '1 millisecond'
         FROM generate_series(0, $11::int - 1) AS g`,
        [
          t,
          targetId,
          firstStart,
          BUCKET_MS,
          templates.map((template) => template.requestCount),
          templates.map((template) => template.errorCount),
          templates.map((template) => template.costMicros),
          templates.length,
          templates.map((template) => template.sketch),
          NOW,
          BUCKETS_PER_TARGET,
        ],
      );
      await client.query(
        `INSERT INTO "VerdictRecord" ("id","targetId","evaluatedAt","status","severity","consecutiveCount","details","policyVersion")
         SELECT 'v' || $1::int || '_' || g, $2, timestamp '1970-01-01' + ($3::bigint - g * $4::bigint) * interval '1 millisecond',
           'HEALTHY'::"VerdictStatus", NULL, 0, $5::jsonb, 1
         FROM generate_series(0, $6::int - 1) AS g`,
        [t, targetId, NOW, BUCKET_MS, verdict, VERDICTS_PER_TARGET],
      );
    }
    // As autovacuum would have by then: the planner needs the tables' statistics.
    await client.query(`ANALYZE "MetricBucket"; ANALYZE "VerdictRecord"`);
  } finally {
    await client.end();
  }
}

/**
 * Wall-clock and CPU milliseconds per run of `fn`, each sorted, after `WARMUP` unmeasured runs. The CPU time is
 * this process's (on SQLite the database's work too, on PostgreSQL not the server's): on a machine shared
 * with other work it approximates what the wall time would be on an idle one.
 */
async function timeRuns(fn: () => Promise<unknown>): Promise<{ wall: number[]; cpu: number[] }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const usage = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(usage);
    wall.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1_000);
  }
  return { wall: wall.sort((a, b) => a - b), cpu: cpu.sort((a, b) => a - b) };
}

/** The serialized response, as the console receives it (superjson, before compression). */
const responseBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(superjson.serialize(value)));

/** The benchmark's data set on a migrated, empty database; exported to profile queries against it. */
export async function seedDashboardBench(database: BenchDatabase) {
  const seeded = await seedRows(database.db);
  await seedBulk(
    database,
    seeded.targets.map((target) => target.id),
  );
  return seeded;
}

export async function dashboard(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const database of await freshDatabases()) {
    try {
      const seedStart = performance.now();
      const { targets, userId } = await seedDashboardBench(database);
      const rows = await database.db.metricBucket.count();
      console.error(`  ${database.name}: seeded ${rows} buckets in ${Math.round(performance.now() - seedStart)} ms`);

      // A caller per request, as the route handler builds one (it re-reads the user every time).
      const caller = async () =>
        createCaller(
          await createContext({
            db: database.db,
            // A freshly seeded user: their sessions were never ended.
            session: { userId, sessionVersion: 0 },
            clock: { now: () => new Date(NOW) },
          }),
        );
      const name = (what: string) => `${what}, ${TARGETS} targets × ${DAYS} d of 10 s buckets, ${database.name}`;
      const timed = async (what: string, fn: () => Promise<unknown>, extra: Figure[] = []) => {
        const { wall, cpu } = await timeRuns(fn);
        figures.push(
          { benchmark: name(what), metric: "median", value: percentile(wall, 0.5), unit: "ms" },
          { benchmark: name(what), metric: "p95", value: percentile(wall, 0.95), unit: "ms", note: "goal < 300 ms" },
          {
            benchmark: name(what),
            metric: "CPU median",
            value: percentile(cpu, 0.5),
            unit: "ms",
            note: `this process; load average ${loadavg()[0]?.toFixed(1) ?? "?"}`,
          },
          ...extra,
        );
      };

      const overview = await (await caller()).dashboard.overview();
      await timed("dashboard.overview", async () => (await caller()).dashboard.overview(), [
        { benchmark: name("dashboard.overview"), metric: "targets", value: overview.targets.length, unit: "" },
        {
          benchmark: name("dashboard.overview"),
          metric: "response",
          value: responseBytes(overview) / 1024,
          unit: "KiB",
        },
      ]);

      const target = targets[0] as { id: string; slug: string };
      const week = { targetId: target.id, from: new Date(NOW - DAYS * 86_400_000), to: new Date(NOW) };
      const series = await (await caller()).metrics.series(week);
      await timed("metrics.series, 7-day window", async () => (await caller()).metrics.series(week), [
        { benchmark: name("metrics.series, 7-day window"), metric: "points", value: series.points.length, unit: "" },
        {
          benchmark: name("metrics.series, 7-day window"),
          metric: "response",
          value: responseBytes(series) / 1024,
          unit: "KiB",
        },
      ]);

      // The target page (components/use-performance-rollback.ts): the target by slug, then the rest at once.
      for (const [label, windowMs] of [
        ["1 h", 3_600_000],
        ["7 d", DAYS * 86_400_000],
      ] as const) {
        const range = { from: new Date(NOW - windowMs), to: new Date(NOW) };
        await timed(`target page bundle, ${label} window`, async () => {
          const api = await caller();
          const found = await api.targets.bySlug({ slug: target.slug });
          const targetId = found.id;
          await Promise.all([
            api.metrics.series({ targetId, ...range }),
            windowMs <= 86_400_000 ? api.metrics.summary({ targetId, ...range }) : null,
            api.evaluation.verdicts({ targetId, limit: 1 }),
            api.evaluation.periods({ targetId, ...range }),
            api.rollbacks.list({ targetId, limit: 50 }),
            api.policies.get({ targetId }),
            api.snapshots.list({ targetId }),
          ]);
        });
      }
    } finally {
      await database.drop();
    }
  }
  return figures;
}
