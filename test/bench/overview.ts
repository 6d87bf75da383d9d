// `--only overview`: dashboard.overview with 1,000 targets, each with an hour of 10 s buckets (the sparklines' span)
// and an hour of verdicts, in a spread of states (2% breaching, 1% awaiting approval, 1% rolling back, 2% without
// data, the rest healthy). Times the first page, a search and a later page of one group through tRPC callers, as
// the console calls them; prints figures, asserts nothing.
import Database from "better-sqlite3";
import { loadavg } from "node:os";
import pg from "pg";
import { createCaller } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import type { Db } from "@/server/db";
import { sqliteFilePath } from "@/server/db/url";
import type { Verdict } from "@/server/domain/evaluation";
import type { OverviewView } from "@/server/domain/overview";
import { rollupWidths } from "@/server/domain/rollups";
import { createUser } from "@/server/services/access/users";
import { systemActor } from "@/server/services/audit/audit-log";
import { freshDatabases, type BenchDatabase } from "./databases";
import { hourOfBuckets } from "./domain";
import { percentile, timeRuns, type Figure } from "./lib";
import { assertRollupsMatchBuckets, mergedTemplates, sqliteTime, toTemplate } from "./metric-history";

const TARGETS = 1_000;
const BUCKET_MS = 10_000;
/** One verdict per cycle of 10 s over the last hour. */
const VERDICTS_PER_TARGET = 360;
const RUNS = 20;
const WARMUP = 3;
const NOW = Date.UTC(2026, 0, 8);

const observed = {
  windowSeconds: 300,
  requestCount: 600,
  errorRate: 0.01,
  p95Ms: 3_100,
  costPerRequestUsd: 0.004,
  ttftP95Ms: null,
};
const verdicts: Record<"HEALTHY" | "BREACH" | "INSUFFICIENT_DATA", Verdict> = {
  HEALTHY: { status: "HEALTHY", observed, explanation: "All SLOs met over the last 5 min" },
  BREACH: {
    status: "BREACH",
    severity: "CRITICAL",
    observed: { ...observed, errorRate: 0.2 },
    violations: [{ slo: "ERROR_RATE", observed: 0.2, threshold: 0.05, windowSeconds: 300 }],
    consecutiveCount: 3,
    burnRate: null,
    explanation: "Error rate 20.00% > 5.00% over the last 5 min (3rd consecutive violation)",
  },
  INSUFFICIENT_DATA: {
    status: "INSUFFICIENT_DATA",
    observed: { ...observed, requestCount: 2, errorRate: null, p95Ms: null, costPerRequestUsd: null },
    explanation: "Only 2 requests over the last 5 min; at least 10 are needed for a verdict",
  },
};

/** Target t's state: its verdicts' status (none for a target that never reported) and any active rollback. */
function stateOf(t: number): {
  verdict: keyof typeof verdicts | null;
  rollback: "PENDING_APPROVAL" | "IN_PROGRESS" | null;
} {
  if (t % 50 === 0) return { verdict: "BREACH", rollback: null };
  if (t % 100 === 1) return { verdict: null, rollback: null };
  if (t % 100 === 2) return { verdict: "INSUFFICIENT_DATA", rollback: null };
  if (t % 100 === 3) return { verdict: null, rollback: "PENDING_APPROVAL" };
  if (t % 100 === 4) return { verdict: "HEALTHY", rollback: "IN_PROGRESS" };
  return { verdict: "HEALTHY", rollback: null };
}

/** Targets, a current snapshot each, the active rollbacks and a viewer, through Prisma. */
async function seedRows(db: Db) {
  await db.target.createMany({
    data: Array.from({ length: TARGETS }, (_, t) => ({ slug: `bench-${t}`, name: `Bench target ${t}` })),
  });
  const targets = await db.target.findMany({ select: { id: true, slug: true } });
  const indexOf = (slug: string) => Number(slug.slice("bench-".length));
  await db.configSnapshot.createMany({
    data: targets.flatMap((target) =>
      [1, 2].map((version) => ({
        targetId: target.id,
        version,
        config: { model: `model-v${version}` },
        checksum: `checksum-${version}`,
        createdByType: "SYSTEM",
        createdAt: new Date(NOW - 86_400_000),
      })),
    ),
  });
  const snapshots = await db.configSnapshot.findMany({ select: { id: true, targetId: true, version: true } });
  const snapshotOf = new Map(snapshots.map((snapshot) => [`${snapshot.targetId}/${snapshot.version}`, snapshot.id]));
  // One statement per target would take a while: every target's current snapshot is set in one UPDATE.
  await db.$executeRawUnsafe(
    `UPDATE "Target" SET "currentSnapshotId" = (SELECT "id" FROM "ConfigSnapshot" s WHERE s."targetId" = "Target"."id" AND s."version" = 2)`,
  );
  await db.rollback.createMany({
    data: targets.flatMap((target) => {
      const { rollback } = stateOf(indexOf(target.slug));
      if (!rollback) return [];
      return [
        {
          targetId: target.id,
          activeTargetId: target.id,
          trigger: "SLO" as const,
          status: rollback,
          fromSnapshotId: snapshotOf.get(`${target.id}/2`) ?? "",
          toSnapshotId: snapshotOf.get(`${target.id}/1`) ?? "",
          steps: [25, 50, 100],
          currentStep: rollback === "IN_PROGRESS" ? 1 : -1,
          trafficPercent: rollback === "IN_PROGRESS" ? 50 : 0,
          approvalsRequired: 1,
          requestedAt: new Date(NOW - 600_000),
        },
      ];
    }),
  });
  const user = await createUser(
    db,
    { actor: systemActor, email: "viewer@bench.test", name: "Bench viewer", role: "VIEWER", password: "x".repeat(12) },
    new Date(NOW),
  );
  return { targets: targets.map((target) => ({ id: target.id, index: indexOf(target.slug) })), userId: user.id };
}

/**
 * An hour of buckets, their 1-minute and 10-minute rollups and an hour of verdicts per target, as raw SQL
 * (Prisma's createMany would take minutes). Every reporting target has the same hour: bucket i is template i,
 * and the rollup of the window whose first bucket is i the merge of the templates of its buckets.
 */
async function seedBulk(database: BenchDatabase, targets: readonly { id: string; index: number }[]) {
  const hour = hourOfBuckets(NOW, 3);
  const templates = hour.map(toTemplate);
  const firstStart = NOW - templates.length * BUCKET_MS;
  const rollups = rollupWidths(BUCKET_MS).map((widthMs) => {
    const perWindow = widthMs / BUCKET_MS;
    const merged = mergedTemplates(hour, perWindow);
    return {
      widthSeconds: widthMs / 1000,
      windows: Array.from({ length: templates.length / perWindow }, (_, w) => ({
        start: firstStart + w * widthMs,
        ...(merged[w * perWindow] as (typeof merged)[number]),
      })),
    };
  });
  if (database.name === "SQLite") {
    const sqlite = new Database(sqliteFilePath(database.url));
    try {
      const bucket = sqlite.prepare(
        `INSERT INTO "MetricBucket" ("id","targetId","start","provider","model","requestCount","errorCount",` +
          `"costMicros","inputTokens","outputTokens","sketch","updatedAt") VALUES (?,?,?,'','',?,?,?,0,0,?,?)`,
      );
      const rollup = sqlite.prepare(
        `INSERT INTO "MetricRollup" ("id","targetId","widthSeconds","start","provider","model","requestCount",` +
          `"errorCount","costMicros","inputTokens","outputTokens","sketch","updatedAt") VALUES (?,?,?,?,'','',?,?,?,0,0,?,?)`,
      );
      const verdict = sqlite.prepare(
        `INSERT INTO "VerdictRecord" ("id","targetId","evaluatedAt","status","severity","consecutiveCount",` +
          `"details","policyVersion") VALUES (?,?,?,?,?,?,?,1)`,
      );
      sqlite.transaction(() => {
        for (const { id, index } of targets) {
          const { verdict: status } = stateOf(index);
          if (status === null) continue;
          templates.forEach((template, i) =>
            bucket.run(
              `b${index}_${i}`,
              id,
              sqliteTime(firstStart + i * BUCKET_MS),
              template.requestCount,
              template.errorCount,
              template.costMicros,
              template.sketch,
              sqliteTime(NOW),
            ),
          );
          for (const { widthSeconds, windows } of rollups) {
            windows.forEach((window, w) =>
              rollup.run(
                `r${index}_${widthSeconds}_${w}`,
                id,
                widthSeconds,
                sqliteTime(window.start),
                window.requestCount,
                window.errorCount,
                window.costMicros,
                window.sketch,
                sqliteTime(NOW),
              ),
            );
          }
          const details = JSON.stringify(verdicts[status]);
          const severity = status === "BREACH" ? "CRITICAL" : null;
          for (let i = 0; i < VERDICTS_PER_TARGET; i++) {
            verdict.run(`v${index}_${i}`, id, sqliteTime(NOW - i * BUCKET_MS), status, severity, 0, details);
          }
        }
      })();
    } finally {
      sqlite.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const reporting = targets.filter((target) => stateOf(target.index).verdict !== null);
    await client.query(
      `INSERT INTO "MetricBucket" ("id","targetId","start","provider","model","requestCount","errorCount",
         "costMicros","inputTokens","outputTokens","sketch","updatedAt")
       SELECT 'b' || t.n || '_' || g, t.id, timestamp '1970-01-01' + ($2::bigint + g * $3::bigint) * interval '1 millisecond',
         '', '', ($4::int[])[1 + g], ($5::int[])[1 + g], ($6::bigint[])[1 + g], 0, 0, ($7::text[])[1 + g],
         timestamp '1970-01-01' + $8::bigint * interval '1 millisecond'
       FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n), generate_series(0, $9::int - 1) AS g`,
      [
        reporting.map((target) => target.id),
        firstStart,
        BUCKET_MS,
        templates.map((template) => template.requestCount),
        templates.map((template) => template.errorCount),
        templates.map((template) => template.costMicros),
        templates.map((template) => template.sketch),
        NOW,
        templates.length,
      ],
    );
    for (const { widthSeconds, windows } of rollups) {
      await client.query(
        `INSERT INTO "MetricRollup" ("id","targetId","widthSeconds","start","provider","model","requestCount",
           "errorCount","costMicros","inputTokens","outputTokens","sketch","updatedAt")
         SELECT 'r' || t.n || '_' || $2::int || '_' || g, t.id, $2::int,
           timestamp '1970-01-01' + ($3::bigint[])[1 + g] * interval '1 millisecond', '', '',
           ($4::bigint[])[1 + g], ($5::bigint[])[1 + g], ($6::bigint[])[1 + g], 0, 0, ($7::text[])[1 + g],
           timestamp '1970-01-01' + $8::bigint * interval '1 millisecond'
         FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n), generate_series(0, $9::int - 1) AS g`,
        [
          reporting.map((target) => target.id),
          widthSeconds,
          windows.map((window) => window.start),
          windows.map((window) => window.requestCount),
          windows.map((window) => window.errorCount),
          windows.map((window) => window.costMicros),
          windows.map((window) => window.sketch),
          NOW,
          windows.length,
        ],
      );
    }
    await client.query(
      `INSERT INTO "VerdictRecord" ("id","targetId","evaluatedAt","status","severity","consecutiveCount","details","policyVersion")
       SELECT 'v' || t.n || '_' || g, t.id, timestamp '1970-01-01' + ($2::bigint - g * $3::bigint) * interval '1 millisecond',
         t.status::"VerdictStatus", CASE WHEN t.status = 'BREACH' THEN 'CRITICAL'::"BreachSeverity" END, 0, t.details::jsonb, 1
       FROM unnest($1::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(id, status, details, n),
         generate_series(0, $6::int - 1) AS g`,
      [
        reporting.map((target) => target.id),
        NOW,
        BUCKET_MS,
        reporting.map((target) => stateOf(target.index).verdict),
        reporting.map((target) => JSON.stringify(verdicts[stateOf(target.index).verdict ?? "HEALTHY"])),
        VERDICTS_PER_TARGET,
      ],
    );
    await client.query(
      `ANALYZE "MetricBucket"; ANALYZE "MetricRollup"; ANALYZE "VerdictRecord"; ANALYZE "Target"; ANALYZE "Rollback"`,
    );
  } finally {
    await client.end();
  }
}

export async function overviewBench(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const database of await freshDatabases()) {
    try {
      const seedStart = performance.now();
      const { targets, userId } = await seedRows(database.db);
      await seedBulk(database, targets);
      const reporting = targets.find((target) => stateOf(target.index).verdict !== null);
      if (!reporting) throw new Error("No target with buckets to check the rollups of");
      await assertRollupsMatchBuckets(database.db, {
        targetId: reporting.id,
        from: NOW - 3_600_000,
        to: NOW,
        bucketWidthMs: BUCKET_MS,
      });
      console.error(`  ${database.name}: seeded ${TARGETS} targets in ${Math.round(performance.now() - seedStart)} ms`);
      const caller = async () =>
        createCaller(
          await createContext({
            db: database.db,
            session: { userId, sessionVersion: 0 },
            clock: { now: () => new Date(NOW) },
          }),
        );
      const views: [string, OverviewView][] = [
        ["first page", {}],
        ["search “bench-7” (111 targets)", { search: "bench-7" }],
        ["healthy, page 10", { group: "HEALTHY", page: 10 }],
      ];
      for (const [label, view] of views) {
        const name = `dashboard.overview, ${TARGETS.toLocaleString("en-US")} targets, ${label}, ${database.name}`;
        const answer = await (await caller()).dashboard.overview(view);
        const { wall, cpu } = await timeRuns(async () => (await caller()).dashboard.overview(view), {
          runs: RUNS,
          warmup: WARMUP,
        });
        figures.push(
          { benchmark: name, metric: "p50", value: percentile(wall, 0.5), unit: "ms" },
          { benchmark: name, metric: "p95", value: percentile(wall, 0.95), unit: "ms", note: "goal < 300 ms" },
          {
            benchmark: name,
            metric: "CPU median",
            value: percentile(cpu, 0.5),
            unit: "ms",
            note: `this process; load average ${loadavg()[0]?.toFixed(1) ?? "?"}`,
          },
          {
            benchmark: name,
            metric: "cards",
            value: answer.targets.length,
            unit: "",
            note: `of ${answer.shown} shown; ${answer.counts.BREACHING} breaching, ${answer.counts.AWAITING_APPROVAL} awaiting, ${answer.counts.ROLLING_BACK} rolling back, ${answer.counts.NO_DATA} no data`,
          },
        );
      }
    } finally {
      await database.drop();
    }
  }
  return figures;
}
