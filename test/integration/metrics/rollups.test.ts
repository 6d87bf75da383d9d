import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Db } from "@/server/db";
import { bucketStart, downsampleSeries, mergeWindow } from "@/server/domain/metrics";
import { LatencySketch } from "@/server/domain/sketch";
import { recordMetrics } from "@/server/services/metrics/buckets";
import {
  loadBuckets,
  loadJudgedSeriesByTarget,
  sumRequestsByTargetAndVersion,
} from "@/server/services/metrics/bucket-reads";
import { loadStepSeries } from "@/server/services/metrics/chart-series";
import {
  rebuildRollupHistory,
  rebuildRollups,
  rollupsCompleteFrom,
  ROLLUPS_FROM_SETTING,
  type RebuildProgress,
} from "@/server/services/metrics/rollups";
import { createSnapshot } from "../lifecycle-fixtures";
import { BUCKET_MS, makeTarget, testDb } from "../helpers";

const db = testDb();
const T0 = Date.UTC(2027, 8, 1, 0, 0, 0);
const MINUTE = 60_000;
const SPAN = 3 * 3_600_000;
const settings = { bucketWidthMs: BUCKET_MS, now: new Date(T0 + SPAN) };

const stable = (row: object) =>
  JSON.stringify(row, (_, value: unknown) => (typeof value === "bigint" ? `${value}n` : value));

/** Every rollup row of a target, without ids and times of writing, in a stable order. */
async function storedRollups(targetId: string) {
  const rows = await db.metricRollup.findMany({
    where: { targetId },
    omit: { id: true, updatedAt: true },
    orderBy: [{ widthSeconds: "asc" }, { start: "asc" }, { provider: "asc" }, { model: "asc" }],
  });
  return rows
    .map((row) => ({ ...row, sketch: LatencySketch.decode(row.sketch).encode() }))
    .sort((a, b) => stable(a).localeCompare(stable(b)));
}

/** The straightforward sums: every bucket of the range, added up per target and version by Prisma. */
async function rawSums(targetIds: string[], range: { from: Date; to: Date }) {
  const groups = await db.metricBucket.groupBy({
    by: ["targetId", "snapshotVersion"],
    where: {
      targetId: { in: targetIds },
      provider: "",
      model: "",
      snapshotVersion: { gte: 0 },
      start: { gte: range.from, lt: range.to },
    },
    _sum: { requestCount: true, errorCount: true },
  });
  const sums = new Map<string, Map<number, { requestCount: number; errorCount: number }>>();
  for (const group of groups) {
    const counts = sums.get(group.targetId) ?? new Map<number, { requestCount: number; errorCount: number }>();
    sums.set(group.targetId, counts);
    counts.set(group.snapshotVersion, {
      requestCount: group._sum.requestCount ?? 0,
      errorCount: group._sum.errorCount ?? 0,
    });
  }
  return sums;
}

/** A range's chart through loadStepSeries (rollups for whole-minute steps) and through its buckets one by one. */
async function chartsBothWays(targetId: string, range: { from: number; to: number }, stepMs: number) {
  const firstStep = bucketStart(range.from, stepMs);
  const window = { from: new Date(firstStep), to: new Date(range.to) };
  const steps = await loadStepSeries(db, { targetIds: [targetId], ...window, stepMs, bucketWidthMs: BUCKET_MS });
  return {
    viaRollups: downsampleSeries(steps.get(targetId) ?? [], range, stepMs),
    viaBuckets: downsampleSeries(await loadBuckets(db, targetId, window), range, stepMs),
  };
}

const eventArbitrary = fc.record({
  offsetMs: fc.integer({ min: 0, max: SPAN - 1 }),
  latencyMs: fc.integer({ min: 0, max: 60_000 }),
  ok: fc.boolean(),
  costUsd: fc.constantFrom(0, 0.0004, 0.01),
  model: fc.constantFrom(undefined, "m1", "m2"),
  snapshotVersion: fc.constantFrom(undefined, 1, 2),
  ttftMs: fc.option(fc.integer({ min: 0, max: 5_000 }), { nil: undefined }),
});

async function targetWithVersions(database: Db) {
  const target = await makeTarget(database);
  await createSnapshot(database, target.id, 1);
  await createSnapshot(database, target.id, 2);
  return target;
}

describe("rollups", () => {
  it("are, after any sequence of batches (late ones included), the merge of their buckets", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(eventArbitrary, { minLength: 1, maxLength: 40 }), { maxLength: 6 }),
        async (batches) => {
          const target = await targetWithVersions(db);
          for (const batch of batches) {
            const events = batch.map(({ offsetMs, ttftMs, ...event }) => ({
              ts: T0 + offsetMs,
              ...event,
              ...(ttftMs !== undefined && { ttftMs: Math.min(ttftMs, event.latencyMs) }),
            }));
            await recordMetrics(db, { targetId: target.id, events }, settings);
          }
          const written = await storedRollups(target.id);
          await rebuildRollups(db, { targetId: target.id, from: T0, to: T0 + SPAN, bucketWidthMs: BUCKET_MS });
          expect(written).toEqual(await storedRollups(target.id));
          const minutes = new Set(batches.flat().map((event) => Math.floor(event.offsetMs / MINUTE)));
          expect(
            written.filter((row) => row.widthSeconds === 60 && row.snapshotVersion === 0 && !row.model),
          ).toHaveLength(minutes.size);
        },
      ),
      { numRuns: 15 },
    );
  });

  it("answer sums and charts of any range exactly as the buckets one by one", async () => {
    const [first, second] = [await targetWithVersions(db), await targetWithVersions(db)];
    const spread = (targetId: string, seed: number) =>
      recordMetrics(
        db,
        {
          targetId,
          events: Array.from({ length: 4_000 }, (_, i) => ({
            ts: T0 + ((i * 7_919 + seed) % SPAN),
            latencyMs: 50 + ((i * 37) % 9_000),
            ok: i % (seed + 5) !== 0,
            ...(i % 3 === 0 && { snapshotVersion: 1 + (i % 2) }),
            ...(i % 4 === 0 && { model: "m1" }),
          })),
        },
        settings,
      );
    await spread(first.id, 3);
    await spread(second.id, 11);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -600, max: SPAN / 1000 }),
        fc.integer({ min: 1, max: SPAN / 1000 }),
        fc.constantFrom(10_000, 30_000, MINUTE, 2 * MINUTE, 10 * MINUTE, 20 * MINUTE),
        async (fromSeconds, spanSeconds, stepMs) => {
          const range = { from: T0 + fromSeconds * 1000, to: T0 + (fromSeconds + spanSeconds) * 1000 };
          const dates = { from: new Date(range.from), to: new Date(range.to) };
          const ids = [first.id, second.id];
          const sums = await sumRequestsByTargetAndVersion(db, ids, dates, { bucketWidthMs: BUCKET_MS });
          expect(sums).toEqual(await rawSums(ids, dates));
          const { viaRollups, viaBuckets } = await chartsBothWays(first.id, range, stepMs);
          expect(viaRollups).toEqual(viaBuckets);
          // The evaluation pass's windows: all traffic and each version, merged over the range, both ways.
          const judged = async (maxWidthMs: number) => {
            const series = await loadJudgedSeriesByTarget(db, ids, dates, { bucketWidthMs: BUCKET_MS, maxWidthMs });
            return ids.map((id) => {
              const entry = series.get(id);
              return [
                mergeWindow(entry?.all ?? [], range),
                [...(entry?.versions ?? [])]
                  .sort(([a], [b]) => a - b)
                  .map(([version, rows]) => [version, mergeWindow(rows, range)]),
              ];
            });
          };
          expect(await judged(Infinity)).toEqual(await judged(0));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("are read from buckets before their marker, and rebuilt from history newest first", async () => {
    const target = await targetWithVersions(db);
    const events = Array.from({ length: 2_000 }, (_, i) => ({
      ts: T0 + i * 5_000,
      latencyMs: 100 + (i % 50) * 40,
      ok: i % 9 !== 0,
      ...(i % 2 === 0 && { snapshotVersion: 1 }),
    }));
    await recordMetrics(db, { targetId: target.id, events }, settings);
    const written = await storedRollups(target.id);
    const range = { from: T0, to: T0 + SPAN };
    const expected = await chartsBothWays(target.id, range, 20 * MINUTE);

    // A database from before rollups: buckets, no rollups, and the marker their migration writes.
    await db.metricRollup.deleteMany({ where: { targetId: target.id } });
    const newest = await db.metricBucket.findFirst({ orderBy: { start: "desc" }, select: { start: true } });
    await db.setting.create({ data: { key: ROLLUPS_FROM_SETTING, value: String(newest?.start.getTime()) } });
    try {
      expect(await rollupsCompleteFrom(db)).toBe((newest?.start.getTime() ?? NaN) + 1);
      expect((await chartsBothWays(target.id, range, 20 * MINUTE)).viaRollups).toEqual(expected.viaBuckets);
      const dates = { from: new Date(range.from), to: new Date(range.to) };
      const sums = await sumRequestsByTargetAndVersion(db, [target.id], dates, { bucketWidthMs: BUCKET_MS });
      expect(sums).toEqual(await rawSums([target.id], dates));
      expect(sums.get(target.id)?.get(0)?.requestCount).toBe(2_000);

      const progress: RebuildProgress[] = [];
      expect(await rebuildRollupHistory(db, { bucketWidthMs: BUCKET_MS, onProgress: (p) => progress.push(p) })).toBe(
        true,
      );
      // Newest first, in chunks that do not overlap (gaps without buckets skipped), down to the oldest bucket.
      expect(progress[0]?.to).toBeGreaterThan(newest?.start.getTime() ?? Infinity);
      for (let i = 1; i < progress.length; i++) {
        expect(progress[i]?.to).toBeLessThanOrEqual(progress[i - 1]?.from ?? -Infinity);
      }
      expect(progress.at(-1)?.from).toBeLessThanOrEqual(progress.at(-1)?.oldest ?? -Infinity);
      expect(await db.setting.findUnique({ where: { key: ROLLUPS_FROM_SETTING } })).toBeNull();
      expect(await rollupsCompleteFrom(db)).toBe(-Infinity);
      expect(await storedRollups(target.id)).toEqual(written);
      expect(await rebuildRollupHistory(db, { bucketWidthMs: BUCKET_MS })).toBe(false);
    } finally {
      await db.setting.deleteMany({ where: { key: ROLLUPS_FROM_SETTING } });
    }
  });
});
