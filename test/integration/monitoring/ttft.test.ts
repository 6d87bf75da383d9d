// Time to first token judged on stored traffic: a TTFT violation in the evaluation pass while latency is
// within its SLO, an emergency-level TTFT breach that an ingested batch rolls back at once as one on latency
// would, and the status endpoint and rollback evidence carrying the reading.
import { describe, expect, it } from "vitest";
import { LatencySketch } from "@/server/domain/sketch";
import { evidenceSchema } from "@/server/services/rollbacks/rows";
import { getRollbackView } from "@/server/services/rollbacks/views";
import { targetStatus } from "@/server/services/machine/config-delivery";
import { ingestMetrics } from "@/server/services/machine/ingest";
import { evaluateTarget } from "@/server/services/monitoring/evaluation";
import { BUCKET_MS, testDb, traffic } from "../helpers";
import { feed, lifecyclePolicy, lifecycleTarget, SECOND, YEAR } from "../lifecycle-fixtures";

const db = testDb();
const key = { prefix: "rwd_test", targetSlugs: null };
const T0 = Date.UTC(2026, 6, 1, 12, 0, 0);

/**
 * Latency within its (raised) limit; P95 TTFT at most 1 s, an emergency above 4 × 1 s. A minute of
 * `traffic(…, { latencyMs: 9_000 })` has latencies 100 ms … 6 s, so P95 latency ≈ 5.7 s < 30 s.
 */
const ttftPolicy = { ...lifecyclePolicy, maxP95LatencyMs: 30_000, maxTtftP95Ms: 1_000 };

/** A request a second whose first token comes after `share` of its latency. */
function streamed(from: number, seconds: number, share: number) {
  return traffic(from, seconds, { latencyMs: 9_000 }).map((event) => ({
    ...event,
    ttftMs: Math.round(event.latencyMs * share),
  }));
}

/** What the window's P95 TTFT should read, within the sketch's 1%. */
function ttftP95(events: ReturnType<typeof streamed>) {
  return LatencySketch.of(events.map((event) => event.ttftMs)).quantile(0.95) ?? Number.NaN;
}

function ingest(slug: string, events: ReturnType<typeof traffic>, now: number) {
  return ingestMetrics(
    db,
    { key, body: { target: slug, events } },
    { now: new Date(now), bucketWidthMs: BUCKET_MS, retentionMs: YEAR },
  );
}

describe("time to first token in monitoring", () => {
  it("is a violation in the evaluation pass while P95 latency meets its SLO", async () => {
    const { target } = await lifecycleTarget(db, ttftPolicy);
    // First tokens at a quarter of the latency: P95 TTFT ≈ 1.4 s, over 1 s but under the 4 s emergency.
    const events = streamed(T0, 60, 0.25);
    await ingest(target.slug, events, T0 + 60 * SECOND);
    const { verdict, decision } = await evaluateTarget(db, target.id, {
      now: new Date(T0 + 60 * SECOND),
      bucketWidthMs: BUCKET_MS,
    });
    expect(verdict).toMatchObject({
      status: "VIOLATION",
      violations: [{ slo: "TTFT_P95", threshold: 1_000 }],
      observed: { requestCount: 60, ttftP95Ms: expect.closeTo(ttftP95(events), 6) as unknown },
    });
    expect(ttftP95(events)).toBeGreaterThan(1_300);
    expect(verdict.observed.p95Ms).toBeLessThan(30_000);
    expect(decision.kind).toBe("NOTIFY");

    // The orchestrator's status reads the judged window, TTFT included.
    const status = await targetStatus(db, target.slug, new Date(T0 + 60 * SECOND));
    expect(status.verdict).toMatchObject({
      status: "VIOLATION",
      observed: { windowSeconds: 60, requestCount: 60, ttftP95Ms: expect.closeTo(ttftP95(events), 6) as unknown },
    });
  });

  it("is never judged for a target whose policy sets no TTFT limit, however slow the first token", async () => {
    const { target } = await lifecycleTarget(db, { ...lifecyclePolicy, maxP95LatencyMs: 30_000 });
    const ingested = await ingest(target.slug, streamed(T0, 60, 1), T0 + 61 * SECOND);
    expect(ingested.action).toBeNull();
    const { verdict } = await evaluateTarget(db, target.id, {
      now: new Date(T0 + 60 * SECOND),
      bucketWidthMs: BUCKET_MS,
    });
    expect(verdict.status).toBe("HEALTHY");
    expect(verdict.observed.ttftP95Ms).toBeGreaterThan(5_000);
  });

  it("rolls back at once on an emergency-level TTFT breach in an ingested batch, as on latency", async () => {
    const { target, good } = await lifecycleTarget(db, ttftPolicy);
    // Healthy streaming first: first tokens at a twentieth of the latency (P95 ≈ 430 ms).
    expect((await ingest(target.slug, streamed(T0 - 60 * SECOND, 60, 0.05), T0)).action).toBeNull();
    // First tokens at 90% of the latency: P95 TTFT ≈ 5.1 s > 4 × 1 s, with P95 latency still under 30 s.
    const slow = streamed(T0, 60, 0.9);
    const action = (await ingest(target.slug, slow, T0 + 60 * SECOND)).action;
    expect(action).toMatchObject({
      verdict: { status: "BREACH", severity: "EMERGENCY" },
      decision: "EMERGENCY_ROLLBACK",
      rollback: { status: "IN_PROGRESS", created: true },
    });
    expect(action?.verdict.explanation).toMatch(/P95 time to first token/);

    const rollback = await db.rollback.findFirstOrThrow({ where: { targetId: target.id } });
    expect(rollback).toMatchObject({ trigger: "EMERGENCY", toSnapshotId: good.id, trafficPercent: 100 });
    const evidence = evidenceSchema.parse(rollback.evidence);
    expect(evidence.verdict).toMatchObject({
      status: "BREACH",
      severity: "EMERGENCY",
      violations: [{ slo: "TTFT_P95", threshold: 1_000 }],
      observed: { ttftP95Ms: expect.closeTo(ttftP95(slow), 6) as unknown },
    });
    // The dashboard's view of it carries the TTFT limit the evidence was judged against.
    const view = await getRollbackView(db, rollback.id);
    expect(view.policy.thresholds).toMatchObject({ maxTtftP95Ms: 1_000, maxP95LatencyMs: 30_000 });
  });

  it("leaves the TTFT limit out of a rollback's thresholds when the policy sets none", async () => {
    const { target } = await lifecycleTarget(db);
    await feed(db, target.id, T0 - 60 * SECOND, 60, "outage");
    const action = (await ingest(target.slug, traffic(T0, 1), T0 + SECOND)).action;
    expect(action).toMatchObject({ decision: "EMERGENCY_ROLLBACK" });
    const rollback = await db.rollback.findFirstOrThrow({ where: { targetId: target.id } });
    const { policy } = await getRollbackView(db, rollback.id);
    expect(policy.thresholds).toMatchObject({ maxP95LatencyMs: 1_000 });
    expect(policy.thresholds).not.toHaveProperty("maxTtftP95Ms");
  });
});
