// A full evaluation pass over 1,000 targets with an hour of 10 s buckets each, read from the database.
import type { Db } from "@/server/db";
import { runEvaluationPass } from "@/server/services/monitoring/evaluation";
import { freshDatabases } from "./databases";
import { hourOfBuckets } from "./domain";
import type { Figure } from "./lib";

const TARGETS = 1_000;
const BUCKET_MS = 10_000;

async function seed(db: Db, now: number): Promise<void> {
  // One hour of realistic buckets, serialized once and stored for every target.
  const template = hourOfBuckets(now, 11).map((bucket) => ({
    start: new Date(bucket.start),
    requestCount: bucket.requestCount,
    errorCount: bucket.errorCount,
    costMicros: BigInt(bucket.costMicros),
    inputTokens: 0n,
    outputTokens: 0n,
    sketch: bucket.latency.encode(),
  }));
  await db.target.createMany({
    data: Array.from({ length: TARGETS }, (_, i) => ({ slug: `bench-${i}`, name: `Bench ${i}` })),
  });
  const targets = await db.target.findMany({ select: { id: true } });
  for (let i = 0; i < targets.length; i += 20) {
    const data = targets
      .slice(i, i + 20)
      .flatMap((target) => template.map((bucket) => ({ ...bucket, targetId: target.id })));
    await db.metricBucket.createMany({ data });
  }
}

export async function evaluationPass(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const now = Date.UTC(2026, 0, 1, 12);
  for (const database of await freshDatabases()) {
    try {
      const seedStart = performance.now();
      await seed(database.db, now);
      console.error(
        `  ${database.name}: seeded ${TARGETS} targets × 360 buckets in ${Math.round(performance.now() - seedStart)} ms`,
      );
      const name = `evaluation pass, ${TARGETS} targets × 1 h of 10 s buckets, ${database.name}`;
      // Consecutive cycles 10 s apart, as the scheduler runs them; the first one reads a cold cache.
      for (let run = 0; run < 3; run++) {
        const started = performance.now();
        const summary = await runEvaluationPass(database.db, {
          now: new Date(now + run * BUCKET_MS),
          bucketWidthMs: BUCKET_MS,
        });
        if (summary.errors.length > 0) throw new Error(`pass failed for ${summary.errors.length} targets`);
        figures.push({
          benchmark: name,
          metric: `wall time, run ${run + 1}`,
          value: performance.now() - started,
          unit: "ms",
          note: run === 0 ? "goal < 1,000 ms" : "",
        });
      }
    } finally {
      await database.drop();
    }
  }
  return figures;
}
