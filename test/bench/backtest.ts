// `--only backtest`: a policy backtest as the policy editor asks for one, over 7 days and over 1 day of one target's
// stored history (7 days of 10 s buckets and their rollups, seeded as the dashboard benchmark seeds them), ticking
// every minute. Prints figures, asserts nothing on time (it does refuse to time rollups that disagree with the
// buckets).
import { loadavg } from "node:os";
import type { Db } from "@/server/db";
import { defaultPolicy, type Policy } from "@/server/domain/policy";
import { backtestPolicy, type BacktestSummary } from "@/server/services/monitoring/backtest";
import { bucketTemplates, NOW } from "./dashboard";
import { freshDatabases } from "./databases";
import { percentile, timeRuns, type Figure } from "./lib";
import { assertSeededHistory, seedMetricHistory, type HistoryLayout } from "./metric-history";

const DAYS = 7;
const BUCKET_MS = 10_000;
const CYCLE_SECONDS = 60;
const RUNS = 10;
const WARMUP = 2;
const LAYOUT: HistoryLayout = { now: NOW, bucketMs: BUCKET_MS, bucketDays: DAYS, rollupDays: DAYS };

/**
 * The stored policy the backtest replays: the defaults with a P95 limit that about one 5-minute window of the
 * templates in ten exceeds (their P95s span 4.3–5.4 s), so that the replay finds violations, breaches and
 * rollbacks to report, as a draft worth comparing would.
 */
const policy: Policy = { ...defaultPolicy, maxP95LatencyMs: 5_100 };

/** A target with a current and a known-good snapshot (so that a breach can propose a rollback) and its policy. */
async function seedTarget(db: Db): Promise<string> {
  const target = await db.target.create({ data: { slug: "bench-0", name: "Bench target 0" }, select: { id: true } });
  const snapshots = await Promise.all(
    [1, 2].map((version) =>
      db.configSnapshot.create({
        data: {
          targetId: target.id,
          version,
          config: { model: `model-v${version}`, timeoutMs: 30_000 },
          checksum: `checksum-${version}`,
          createdByType: "SYSTEM",
          createdAt: new Date(NOW - (DAYS + 3 - version) * 86_400_000),
          publishedAt: new Date(NOW - (DAYS + 3 - version) * 86_400_000),
        },
        select: { id: true },
      }),
    ),
  );
  await db.target.update({
    where: { id: target.id },
    data: { currentSnapshotId: snapshots[1]?.id ?? null, knownGoodSnapshotId: snapshots[0]?.id ?? null },
  });
  await db.policy.create({ data: { targetId: target.id, version: 1, config: policy, createdAt: new Date(0) } });
  return target.id;
}

export async function backtestBench(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const database of await freshDatabases()) {
    try {
      const seedStart = performance.now();
      const targetId = await seedTarget(database.db);
      const templates = bucketTemplates();
      const rows = await seedMetricHistory(database, [targetId], templates, LAYOUT);
      await assertSeededHistory(database.db, { id: targetId, index: 0 }, templates, LAYOUT);
      console.error(
        `  ${database.name}: seeded ${rows.buckets} buckets and ${rows.rollups} rollups in ${Math.round(performance.now() - seedStart)} ms`,
      );
      for (const days of [DAYS, 1]) {
        const name = `backtestPolicy, ${days} d of 10 s buckets, ticks of ${CYCLE_SECONDS} s, ${database.name}`;
        const input = {
          targetId,
          from: new Date(NOW - days * 86_400_000),
          to: new Date(NOW),
          cycleSeconds: CYCLE_SECONDS,
        };
        const run = () => backtestPolicy(database.db, input, { bucketWidthMs: BUCKET_MS });
        const summary: BacktestSummary = await run();
        const { wall, cpu } = await timeRuns(run, { runs: RUNS, warmup: WARMUP });
        figures.push(
          { benchmark: name, metric: "median", value: percentile(wall, 0.5), unit: "ms" },
          { benchmark: name, metric: "p95", value: percentile(wall, 0.95), unit: "ms" },
          {
            benchmark: name,
            metric: "CPU median",
            value: percentile(cpu, 0.5),
            unit: "ms",
            note: `this process; load average ${loadavg()[0]?.toFixed(1) ?? "?"}`,
          },
          {
            benchmark: name,
            metric: "ticks",
            value: summary.ticks,
            unit: "",
            note: `${summary.eventCount} events, ${summary.actions.length} rollbacks, ${summary.verdictCounts.BREACH} breaching ticks`,
          },
        );
      }
    } finally {
      await database.drop();
    }
  }
  return figures;
}
