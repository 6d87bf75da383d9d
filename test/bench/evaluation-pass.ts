// Full evaluation passes over 1,000 and 10,000 targets with an hour of 10 s buckets (and their rollups) each, read
// from the database, with the time per target printed so that growth with the number of targets shows; and 10,000
// targets of which 1,000 have traffic, where the idle ones are judged once and then skipped (docs/METRICS.md,
// "Idle targets").
import { loadavg } from "node:os";
import type { Db } from "@/server/db";
import { rebuildRollups } from "@/server/services/metrics/rollups";
import { runEvaluationPass } from "@/server/services/monitoring/evaluation";
import { freshDatabases } from "./databases";
import { hourOfBuckets } from "./domain";
import type { Figure } from "./lib";
import { assertRollupsMatchBuckets } from "./metric-history";

/** Targets, and how many of them have traffic. */
const CASES = [
  { count: 1_000, busy: 1_000 },
  { count: 10_000, busy: 10_000 },
  { count: 10_000, busy: 1_000 },
];
const BUCKET_MS = 10_000;
const HOUR_MS = 3_600_000;

/**
 * `busy` targets with the same hour of realistic buckets and their rollups: the first target's 360 bucket rows
 * through Prisma and its rollups by `rebuildRollups`, then both copied to the others by the database itself
 * (INSERT … SELECT), which seeds 3.6 M rows in a minute instead of an hour. Then `count − busy` targets without any.
 */
async function seed(db: Db, now: number, count: number, busy: number): Promise<void> {
  await db.target.createMany({
    data: Array.from({ length: busy }, (_, i) => ({ slug: `bench-${i}`, name: `Bench ${i}` })),
  });
  const first = await db.target.findFirstOrThrow({ where: { slug: "bench-0" }, select: { id: true } });
  await db.metricBucket.createMany({
    data: hourOfBuckets(now, 11).map((bucket) => ({
      targetId: first.id,
      start: new Date(bucket.start),
      requestCount: bucket.requestCount,
      errorCount: bucket.errorCount,
      costMicros: BigInt(bucket.costMicros),
      inputTokens: 0n,
      outputTokens: 0n,
      sketch: bucket.latency.encode(),
    })),
  });
  await db.$executeRaw`
    INSERT INTO "MetricBucket" ("id", "targetId", "start", "provider", "model", "requestCount", "errorCount",
      "costMicros", "inputTokens", "outputTokens", "sketch", "snapshotVersion", "flagKey", "flagOn", "updatedAt")
    SELECT "t"."id" || '-' || "b"."id", "t"."id", "b"."start", "b"."provider", "b"."model", "b"."requestCount",
      "b"."errorCount", "b"."costMicros", "b"."inputTokens", "b"."outputTokens", "b"."sketch", "b"."snapshotVersion",
      "b"."flagKey", "b"."flagOn", "b"."updatedAt"
    FROM "Target" AS "t" CROSS JOIN "MetricBucket" AS "b"
    WHERE "b"."targetId" = ${first.id} AND "t"."id" <> ${first.id}`;
  await rebuildRollups(db, { targetId: first.id, from: now - HOUR_MS, to: now, bucketWidthMs: BUCKET_MS });
  await db.$executeRaw`
    INSERT INTO "MetricRollup" ("id", "targetId", "widthSeconds", "start", "provider", "model", "requestCount",
      "errorCount", "costMicros", "inputTokens", "outputTokens", "sketch", "ttftSketch", "snapshotVersion", "flagKey",
      "flagOn", "updatedAt")
    SELECT "t"."id" || '-' || "r"."id", "t"."id", "r"."widthSeconds", "r"."start", "r"."provider", "r"."model",
      "r"."requestCount", "r"."errorCount", "r"."costMicros", "r"."inputTokens", "r"."outputTokens", "r"."sketch",
      "r"."ttftSketch", "r"."snapshotVersion", "r"."flagKey", "r"."flagOn", "r"."updatedAt"
    FROM "Target" AS "t" CROSS JOIN "MetricRollup" AS "r"
    WHERE "r"."targetId" = ${first.id} AND "t"."id" <> ${first.id}`;
  // A copied target: the first one's rollups were computed from its buckets by the code under test.
  const last = await db.target.findFirstOrThrow({ where: { slug: `bench-${busy - 1}` }, select: { id: true } });
  await assertRollupsMatchBuckets(db, { targetId: last.id, from: now - HOUR_MS, to: now, bucketWidthMs: BUCKET_MS });
  await db.target.createMany({
    data: Array.from({ length: count - busy }, (_, i) => ({ slug: `idle-${i}`, name: `Idle ${i}` })),
  });
}

const load = () => `load average ${loadavg()[0]?.toFixed(1) ?? "?"}`;

export async function evaluationPass(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const now = Date.UTC(2026, 0, 1, 12);
  for (const { count, busy } of CASES) {
    for (const database of await freshDatabases()) {
      try {
        const seedStart = performance.now();
        await seed(database.db, now, count, busy);
        console.error(
          `  ${database.name}: seeded ${count} targets (${busy} × 360 buckets) in ${Math.round(performance.now() - seedStart)} ms`,
        );
        const name =
          busy === count
            ? `evaluation pass, ${count.toLocaleString("en")} targets × 1 h of 10 s buckets, ${database.name}`
            : `evaluation pass, ${count.toLocaleString("en")} targets of which ${busy.toLocaleString("en")} have 1 h of ` +
              `10 s buckets, ${database.name}`;
        // Consecutive cycles 10 s apart, as the scheduler runs them; the first one reads a cold cache and judges the
        // targets without traffic once (they have no verdict yet), the next ones skip them.
        for (let run = 0; run < 3; run++) {
          const started = performance.now();
          const summary = await runEvaluationPass(database.db, {
            now: new Date(now + run * BUCKET_MS),
            bucketWidthMs: BUCKET_MS,
          });
          const wall = performance.now() - started;
          if (summary.errors.length > 0) throw new Error(`pass failed for ${summary.errors.length} targets`);
          const judged = run === 0 ? count : busy;
          if (summary.targetsEvaluated !== judged || summary.targetsIdle !== count - judged) {
            throw new Error(`judged ${summary.targetsEvaluated} and skipped ${summary.targetsIdle} of ${count}`);
          }
          const goal = busy < count ? "" : `goal < ${count === 1_000 ? "500" : "3,000"} ms; `;
          figures.push(
            {
              benchmark: name,
              metric: `wall time, run ${run + 1}`,
              value: wall,
              unit: "ms",
              note: `${run === 0 ? goal : ""}${summary.targetsEvaluated} judged, ${summary.targetsIdle} idle skipped; ${load()}`,
            },
            { benchmark: name, metric: `per target, run ${run + 1}`, value: (wall * 1000) / count, unit: "µs" },
          );
          if (busy < count) {
            figures.push({
              benchmark: name,
              metric: `per judged target, run ${run + 1}`,
              value: (wall * 1000) / summary.targetsEvaluated,
              unit: "µs",
            });
          }
        }
      } finally {
        await database.drop();
      }
    }
  }
  return figures;
}
