// ingestMetrics on the database: the emergency check after a batch judges complete buckets, so it runs once
// per target per bucket for batches of the current bucket, and at once for writes into complete buckets.
import { describe, expect, it } from "vitest";
import { ingestMetrics } from "@/server/services/machine/ingest";
import { BUCKET_MS, testDb, traffic } from "../helpers";
import { lifecycleTarget, SECOND, YEAR } from "../lifecycle-fixtures";

const db = testDb();
const key = { prefix: "rwd_test", targetSlugs: null };
/** A bucket boundary; lifecyclePolicy judges 60 s windows of at least 10 requests, an emergency at 4 × 5% errors. */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function ingest(slug: string, events: ReturnType<typeof traffic>, now: number) {
  return ingestMetrics(
    db,
    { key, body: { target: slug, events } },
    { now: new Date(now), bucketWidthMs: BUCKET_MS, retentionMs: YEAR },
  );
}

const failing = (from: number, seconds: number) => traffic(from, seconds, { perSecond: 4, errorEvery: 1 });

describe("ingestMetrics: the emergency check", () => {
  it("judges the current bucket's failures with the first batch after it ends, whatever that batch holds", async () => {
    const { target } = await lifecycleTarget(db);
    expect((await ingest(target.slug, failing(T0, 5), T0 + 5 * SECOND)).action).toBeNull();
    expect((await ingest(target.slug, failing(T0 + 5 * SECOND, 4), T0 + 9 * SECOND)).action).toBeNull();
    expect(await db.rollback.count({ where: { targetId: target.id } })).toBe(0);

    // The bucket has ended: one healthy event of the next bucket is enough to have it judged.
    const next = await ingest(target.slug, traffic(T0 + 11 * SECOND, 1), T0 + 12 * SECOND);
    expect(next.action).toMatchObject({
      verdict: { status: "BREACH", severity: "EMERGENCY" },
      decision: "EMERGENCY_ROLLBACK",
      rollback: { status: "IN_PROGRESS", created: true },
    });
  });

  it("judges a batch of late events at once, even right after a check in the same bucket", async () => {
    const { target } = await lifecycleTarget(db);
    const now = T0 + 5 * SECOND;
    expect((await ingest(target.slug, traffic(T0 + SECOND, 1), now)).action).toBeNull();
    const late = await ingest(target.slug, failing(T0 - 40 * SECOND, 20), now);
    expect(late.action).toMatchObject({ decision: "EMERGENCY_ROLLBACK", rollback: { status: "IN_PROGRESS" } });
  });
});
