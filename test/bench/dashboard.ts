// The dashboard's server responses at the size the issue names: 50 targets with 7 days of 10 s buckets each
// (~3 M rows), 30 days of 1-minute and 10-minute rollups (the 23 days before the buckets stand for a database
// whose raw buckets are pruned after 7 days) and a full verdict history. Times the overview, 7-day and 30-day
// chart series and the target page's bundle of queries through tRPC callers, as the console calls them; prints
// figures, asserts nothing on time (it does refuse to time rollups that disagree with the buckets).
import Database from "better-sqlite3";
import { loadavg } from "node:os";
import pg from "pg";
import superjson from "superjson";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import type { Db } from "@/server/db";
import { sqliteFilePath } from "@/server/db/url";
import type { Verdict } from "@/server/domain/evaluation";
import type { MetricBucket } from "@/server/domain/metrics";
import { defaultPolicy } from "@/server/domain/policy";
import { systemActor } from "@/server/services/audit/audit-log";
import { createUser } from "@/server/services/access/users";
import { freshDatabases, type BenchDatabase } from "./databases";
import { hourOfBuckets } from "./domain";
import { percentile, timeRuns, type Figure } from "./lib";
import { assertSeededHistory, seedMetricHistory, sqliteTime, type HistoryLayout } from "./metric-history";

const TARGETS = 50;
const DAYS = 7;
/** The chart's longest range (MAX_CHART_RANGE_DAYS): rollups reach this far back, buckets only `DAYS`. */
const ROLLUP_DAYS = 30;
const BUCKET_MS = 10_000;
const VERDICTS_PER_TARGET = 1_000;
const RUNS = 20;
const WARMUP = 3;
export const NOW = Date.UTC(2026, 0, 8);
const LAYOUT: HistoryLayout = { now: NOW, bucketMs: BUCKET_MS, bucketDays: DAYS, rollupDays: ROLLUP_DAYS };

/**
 * 720 realistic buckets (~20 requests each, log-normal latencies, 1% errors) from two simulated hours, reused
 * round-robin: every stored sketch is a real one, and a series merges many different ones.
 */
export function bucketTemplates(): MetricBucket[] {
  return [...hourOfBuckets(NOW, 21), ...hourOfBuckets(NOW, 22)];
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

/** Prisma's createMany takes ~100 s per 360k rows here: the verdicts go in as raw SQL, like the buckets. */
async function seedVerdicts(database: BenchDatabase, targetIds: readonly string[]) {
  const verdict = JSON.stringify(healthyVerdict);
  if (database.name === "SQLite") {
    const sqlite = new Database(sqliteFilePath(database.url));
    try {
      const insertVerdict = sqlite.prepare(
        `INSERT INTO "VerdictRecord" ("id","targetId","evaluatedAt","status","severity","consecutiveCount",` +
          `"details","policyVersion") VALUES (?,?,?,'HEALTHY',NULL,0,?,1)`,
      );
      sqlite.transaction(() => {
        targetIds.forEach((targetId, t) => {
          for (let i = 0; i < VERDICTS_PER_TARGET; i++) {
            insertVerdict.run(`v${t}_${i}`, targetId, sqliteTime(NOW - i * BUCKET_MS), verdict);
          }
        });
      })();
    } finally {
      sqlite.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    for (const [t, targetId] of targetIds.entries()) {
      await client.query(
        `INSERT INTO "VerdictRecord" ("id","targetId","evaluatedAt","status","severity","consecutiveCount","details","policyVersion")
         SELECT 'v' || $1::int || '_' || g, $2, timestamp '1970-01-01' + ($3::bigint - g * $4::bigint) * interval '1 millisecond',
           'HEALTHY'::"VerdictStatus", NULL, 0, $5::jsonb, 1
         FROM generate_series(0, $6::int - 1) AS g`,
        [t, targetId, NOW, BUCKET_MS, verdict, VERDICTS_PER_TARGET],
      );
    }
    await client.query(`ANALYZE "VerdictRecord"`);
  } finally {
    await client.end();
  }
}

/** The serialized response, as the console receives it (superjson, before compression). */
const responseBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(superjson.serialize(value)));

/**
 * The benchmark's data set on a migrated, empty database, checked (rollups against buckets) before anything is
 * timed; exported to profile queries against it.
 */
export async function seedDashboardBench(database: BenchDatabase) {
  const seeded = await seedRows(database.db);
  const targetIds = seeded.targets.map((target) => target.id);
  const templates = bucketTemplates();
  const rows = await seedMetricHistory(database, targetIds, templates, LAYOUT);
  await seedVerdicts(database, targetIds);
  await assertSeededHistory(database.db, { id: targetIds[0] ?? "", index: 0 }, templates, LAYOUT);
  return { ...seeded, rows };
}

export async function dashboard(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const database of await freshDatabases()) {
    try {
      const seedStart = performance.now();
      const { targets, userId, rows } = await seedDashboardBench(database);
      console.error(
        `  ${database.name}: seeded ${rows.buckets} buckets and ${rows.rollups} rollups in ${Math.round(performance.now() - seedStart)} ms`,
      );

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
      const name = (what: string) =>
        `${what}, ${TARGETS} targets × ${DAYS} d of 10 s buckets + ${ROLLUP_DAYS} d of rollups, ${database.name}`;
      const timed = async (what: string, fn: () => Promise<unknown>, extra: Figure[] = []) => {
        const { wall, cpu } = await timeRuns(fn, { runs: RUNS, warmup: WARMUP });
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
      for (const days of [DAYS, ROLLUP_DAYS]) {
        const what = `metrics.series, ${days}-day window`;
        const range = { targetId: target.id, from: new Date(NOW - days * 86_400_000), to: new Date(NOW) };
        const series = await (await caller()).metrics.series(range);
        await timed(what, async () => (await caller()).metrics.series(range), [
          { benchmark: name(what), metric: "points", value: series.points.length, unit: "" },
          { benchmark: name(what), metric: "response", value: responseBytes(series) / 1024, unit: "KiB" },
        ]);
      }

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
