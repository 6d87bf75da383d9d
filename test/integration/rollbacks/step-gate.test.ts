// The step gate in the monitoring cycle, on the run's real database: each due step of a gradual rollback is
// judged on the two arms' traffic (rows attributed to snapshot versions) or, without versions, on time windows;
// the check is recorded once with the transition it leads to, and the status endpoint shows it.
import { describe, expect, it } from "vitest";
import type { Db } from "@/server/db";
import { targetStatus } from "@/server/services/machine/config-delivery";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { advanceDueRollbacks } from "@/server/services/rollbacks/cycle-steps";
import { getRollback, getRollbackView } from "@/server/services/rollbacks/views";
import { BUCKET_MS, testDb, traffic } from "../helpers";
import {
  attributed,
  breachVerdict,
  lifecyclePolicy,
  lifecycleTarget,
  MINUTE,
  rollbackDecision,
  SECOND,
  startedAutomaticRollback,
} from "../lifecycle-fixtures";

const db = testDb();

/**
 * Automatic, steps 25/50/100% a minute apart, 10 s for orchestrators to pick a change up, 100 requests per arm,
 * two holds at most. The cycle acts on every rollback of the shared database, so the tests judge their own
 * rollback's state and records rather than the cycle's counts.
 */
const gatePolicy = {
  ...lifecyclePolicy,
  mode: "AUTOMATIC" as const,
  configPickupSeconds: 10,
  stepMinRequests: 100,
  stepMaxHoldIntervals: 2,
};

/** A started automatic rollback of v2 (current, bad) to v1 (known-good), its first step (25%) taken at T. */
async function startedRollback(T: number, policy = gatePolicy) {
  const started = await startedAutomaticRollback(db, policy, T);
  expect(await getRollback(db, started.rollbackId)).toMatchObject({ status: "IN_PROGRESS", trafficPercent: 25 });
  return started;
}

const cycle = (at: number, client: Db = db) =>
  advanceDueRollbacks(client, { now: new Date(at), bucketWidthMs: BUCKET_MS });

type TrafficOptions = Parameters<typeof traffic>[2];

/** Traffic attributed to a snapshot version of this file's database (lifecycle-fixtures `attributed`). */
const served = (targetId: string, version: number, from: number, seconds: number, options?: TrafficOptions) =>
  attributed(db, targetId, version, from, seconds, options);

const checksOf = (rollbackId: string) =>
  db.rollbackStepCheck.findMany({ where: { rollbackId }, orderBy: { checkedAt: "asc" } });

const notificationsOf = (rollbackId: string, event: string) =>
  db.notification.findMany({ where: { rollbackId, event }, select: { severity: true, body: true, payload: true } });

describe("the step gate", () => {
  it("a bad known-good arm ABORTs: traffic back on v2, FAILED, escalated CRITICAL, the check recorded", async () => {
    const T = Date.UTC(2027, 2, 1);
    const { rollbackId, target, bad } = await startedRollback(T);
    // v1 fails a third of its requests; v2, still serving most traffic, 1%.
    await served(target.id, 1, T, 60, { perSecond: 3, errorEvery: 3 });
    await served(target.id, 2, T, 60, { perSecond: 9, errorEvery: 100 });

    await cycle(T + MINUTE);
    const rollback = await getRollback(db, rollbackId);
    expect(rollback).toMatchObject({
      status: "FAILED",
      trafficPercent: 0,
      trafficSplit: [{ snapshotId: bad.id, weight: 100 }],
      endReason: expect.stringMatching(
        /^The known-good snapshot is worse than the current one: error rate 33\.3% against 1\.11% \(p = /,
      ) as unknown,
    });
    const [check] = await checksOf(rollbackId);
    expect(check).toMatchObject({
      rollbackVersion: 1,
      step: 0,
      trafficPercent: 25,
      outcome: "ABORT",
      perArm: true,
      windowFrom: new Date(T + 10 * SECOND),
      arms: [
        { arm: "KNOWN_GOOD", version: 1, requestCount: 150 },
        { arm: "CURRENT", version: 2, requestCount: 450 },
      ],
    });
    const errors = (check?.comparisons as { slo: string; pValue: number; worse: string }[])[0];
    expect(errors).toMatchObject({ slo: "ERROR_RATE", worse: "KNOWN_GOOD" });
    expect(errors?.pValue).toBeLessThan(check?.alpha ?? 0);
    expect(check?.alpha).toBeCloseTo(0.05 / (2 * 2));

    const [aborted] = await notificationsOf(rollbackId, "rollback.gate_aborted");
    expect(aborted).toMatchObject({ severity: "CRITICAL", payload: { escalate: true, trafficPercent: 0 } });
    expect(aborted?.body).toMatch(/error rate 33\.3% against 1\.11% \(p = [0-9.e-]+\)/);
    expect(
      await db.auditEvent.findFirst({
        where: { entityId: rollbackId, action: "rollback.gate_aborted" },
        select: { before: true, after: true },
      }),
    ).toEqual({
      before: { status: "IN_PROGRESS", trafficPercent: 25, approvals: 0 },
      after: { status: "FAILED", trafficPercent: 0, approvals: 0 },
    });
    expect(await db.target.findUnique({ where: { id: target.id }, select: { currentSnapshotId: true } })).toEqual({
      currentSnapshotId: bad.id,
    });
  });

  it("a noisy small sample HOLDs (quietly), then advances with a WARNING after stepMaxHoldIntervals", async () => {
    const T = Date.UTC(2027, 2, 2);
    const { rollbackId, target } = await startedRollback(T);
    // One slow request on v1 against sixty on v2: the old rule jumped to 100% and paged.
    await served(target.id, 1, T + 20 * SECOND, 1, { latencyMs: 3_500 });
    await served(target.id, 2, T, 60);

    await cycle(T + MINUTE);
    expect(await getRollback(db, rollbackId)).toMatchObject({ trafficPercent: 25, stepHolds: 1, currentStep: 0 });
    const view = await getRollbackView(db, rollbackId);
    expect(view.policy.nextStepDueAt).toEqual(new Date(T + 2 * MINUTE));
    await cycle(T + MINUTE + 30 * SECOND);
    expect(await checksOf(rollbackId)).toHaveLength(1);
    await cycle(T + 2 * MINUTE);
    expect(await getRollback(db, rollbackId)).toMatchObject({ trafficPercent: 25, stepHolds: 2 });
    expect(await notificationsOf(rollbackId, "rollback.step_held")).toEqual([]);

    await cycle(T + 3 * MINUTE);
    expect(await getRollback(db, rollbackId)).toMatchObject({ trafficPercent: 50, currentStep: 1, stepHolds: 0 });
    const checks = await checksOf(rollbackId);
    expect(checks.map((check) => [check.outcome, check.rollbackVersion, check.perArm])).toEqual([
      ["HOLD", 1, true],
      ["HOLD", 2, true],
      ["HOLD", 3, true],
    ]);
    expect(checks[0]?.explanation).toBe(
      "Not enough traffic to compare the arms: 1 on the known-good arm and 50 on the current one; each needs 100",
    );
    const [warning] = await notificationsOf(rollbackId, "rollback.advanced_after_holds");
    expect(warning).toMatchObject({ severity: "WARNING", payload: { escalate: true } });
    expect(warning?.body).toContain("Advanced without enough traffic to compare the arms after 2 held intervals");
    expect(
      (await db.auditEvent.findMany({ where: { entityId: rollbackId }, orderBy: { sequence: "asc" } })).map(
        (event) => event.action,
      ),
    ).toEqual([
      "rollback.created",
      "rollback.started",
      "rollback.step_held",
      "rollback.step_held",
      "rollback.advanced_after_holds",
    ]);
  });

  it("a clearly worse current arm FAST_FORWARDs to 100% and escalates", async () => {
    const T = Date.UTC(2027, 2, 3);
    const { rollbackId, target } = await startedRollback(T);
    await served(target.id, 1, T, 60, { perSecond: 3 });
    await served(target.id, 2, T, 60, { perSecond: 9, errorEvery: 5 });

    await cycle(T + MINUTE);
    expect(await getRollback(db, rollbackId)).toMatchObject({ status: "IN_PROGRESS", trafficPercent: 100 });
    expect(await checksOf(rollbackId)).toMatchObject([{ outcome: "FAST_FORWARD", perArm: true }]);
    const [jumped] = await notificationsOf(rollbackId, "rollback.jumped_to_full");
    expect(jumped).toMatchObject({ severity: "CRITICAL", payload: { escalate: true, trafficPercent: 100 } });
    expect(jumped?.body).toMatch(
      /Step 1 of 3 \(25%\): The current snapshot is worse than the known-good one: error rate 20% against 0%/,
    );
  });

  it("equal arms ADVANCE step by step to completion; the 100% step completes unchecked", async () => {
    const T = Date.UTC(2027, 2, 4);
    const { rollbackId, target } = await startedRollback(T);
    await served(target.id, 1, T, 60, { perSecond: 4, errorEvery: 50 });
    await served(target.id, 2, T, 60, { perSecond: 4, errorEvery: 50 });
    await cycle(T + MINUTE);
    expect(await getRollback(db, rollbackId)).toMatchObject({ trafficPercent: 50, currentStep: 1 });
    await served(target.id, 1, T + MINUTE, 60, { perSecond: 4, errorEvery: 50 });
    await served(target.id, 2, T + MINUTE, 60, { perSecond: 4, errorEvery: 50 });
    await cycle(T + 2 * MINUTE);
    expect(await getRollback(db, rollbackId)).toMatchObject({ trafficPercent: 100, currentStep: 2 });
    await cycle(T + 3 * MINUTE);

    const checks = await checksOf(rollbackId);
    expect(checks.map((check) => [check.outcome, check.step, check.trafficPercent])).toEqual([
      ["ADVANCE", 0, 25],
      ["ADVANCE", 1, 50],
    ]);
    expect(checks[1]?.windowFrom).toEqual(new Date(T + MINUTE + 10 * SECOND));
    expect(checks[0]?.explanation).toMatch(/^The known-good snapshot is not worse on any SLO \(200 and 200 requests/);
    const view = await getRollbackView(db, rollbackId);
    expect(view.status).toBe("COMPLETED");
    expect(view.stepChecks.map((check) => check.outcome)).toEqual(["ADVANCE", "ADVANCE"]);
    expect(view.stepChecks[0]?.comparisons.find((c) => c.slo === "ERROR_RATE")).toMatchObject({
      knownGood: 0.02,
      current: 0.02,
      pValue: expect.closeTo(1, 9) as unknown,
      worse: null,
    });
  });

  it("two cycles at the same instant record one check and take one step", async () => {
    const T = Date.UTC(2027, 2, 5);
    const { rollbackId, target } = await startedRollback(T);
    await served(target.id, 1, T, 60, { perSecond: 4 });
    await served(target.id, 2, T, 60, { perSecond: 4 });

    const results = await Promise.all([cycle(T + MINUTE, testDb()), cycle(T + MINUTE, testDb())]);
    expect(results.flatMap((result) => result.errors.filter((error) => error.rollbackId === rollbackId))).toEqual([]);
    expect(await checksOf(rollbackId)).toHaveLength(1);
    expect(await getRollback(db, rollbackId)).toMatchObject({ trafficPercent: 50, version: 2 });
    expect(await db.auditEvent.count({ where: { entityId: rollbackId, action: "rollback.step_advanced" } })).toBe(1);
  });

  it("a sender without versions falls back to time windows, recorded with perArm false", async () => {
    const T = Date.UTC(2027, 2, 6);
    const fixture = await lifecycleTarget(db, gatePolicy, new Date(T - 2 * MINUTE));
    const feed = (from: number, options: Parameters<typeof traffic>[2]) =>
      recordMetrics(
        db,
        { targetId: fixture.target.id, events: traffic(from, 60, options) },
        { bucketWidthMs: BUCKET_MS, now: new Date(from + MINUTE) },
      );
    await feed(T - MINUTE, { perSecond: 3, errorEvery: 20 });
    const { rollbackId } = await startRollbackFromDecision(
      db,
      {
        target: fixture.target,
        decision: rollbackDecision("AUTO_ROLLBACK"),
        verdict: breachVerdict,
        policy: fixture.policy,
        policyVersion: 1,
      },
      new Date(T),
    );
    await cycle(T);
    await feed(T, { perSecond: 3, errorEvery: 20 });

    await cycle(T + MINUTE);
    const [check] = await checksOf(rollbackId);
    expect(check).toMatchObject({
      outcome: "ADVANCE",
      perArm: false,
      arms: [
        { arm: "BEFORE_STEP", version: null, requestCount: 180 },
        { arm: "SINCE_STEP", version: null, requestCount: 150 },
      ],
    });
    expect(check?.explanation).toMatch(/^No snapshot versions reported: compared time windows, not arms\./);

    // The next step's baseline is the step just judged; a thin window since holds instead of jumping.
    await feed(T + MINUTE, { perSecond: 1, errorEvery: 0 });
    await db.metricBucket.deleteMany({
      where: { targetId: fixture.target.id, start: { gte: new Date(T + MINUTE + 30 * SECOND) } },
    });
    await cycle(T + 2 * MINUTE);
    const status = await targetStatus(db, fixture.target.slug, new Date(T + 2 * MINUTE));
    expect(status.rollback?.lastStepCheck).toMatchObject({ outcome: "HOLD", perArm: false, step: 1 });
    expect(status.rollback?.arms).toMatchObject([
      { arm: "KNOWN_GOOD", version: 1, requests: 0, errorRate: null },
      { arm: "CURRENT", version: 2, requests: 0, errorRate: null },
    ]);
  });

  it("the status shows each arm's traffic in the current step and the last check's p-values", async () => {
    const T = Date.UTC(2027, 2, 7);
    const { rollbackId, target } = await startedRollback(T);
    expect((await targetStatus(db, target.slug, new Date(T))).rollback).toMatchObject({
      id: rollbackId,
      lastStepCheck: null,
    });
    await served(target.id, 1, T, 60, { perSecond: 2, latencyMs: 800 });
    await served(target.id, 2, T, 60, { perSecond: 6, latencyMs: 800 });
    await cycle(T + MINUTE);
    await served(target.id, 1, T + MINUTE, 30, { perSecond: 4, errorEvery: 10 });
    await served(target.id, 2, T + MINUTE, 30, { perSecond: 4 });

    const status = await targetStatus(db, target.slug, new Date(T + MINUTE + 30 * SECOND));
    expect(status.rollback).toMatchObject({
      trafficPercent: 50,
      arms: [
        { arm: "KNOWN_GOOD", version: 1, requests: 80, errorRate: 0.1, costPerRequestUsd: 0.001, ttftP95Ms: null },
        { arm: "CURRENT", version: 2, requests: 80, errorRate: 0, costPerRequestUsd: 0.001, ttftP95Ms: null },
      ],
      lastStepCheck: {
        outcome: "ADVANCE",
        perArm: true,
        step: 0,
        checkedAt: new Date(T + MINUTE),
        slos: [
          { slo: "ERROR_RATE", knownGood: 0, current: 0, pValue: expect.closeTo(1, 9) as unknown, worse: null },
          { slo: "P95_LATENCY", pValue: expect.any(Number) as unknown, worse: null },
          { slo: "COST_PER_REQUEST", knownGood: 0.001, current: 0.001, pValue: null, worse: null },
        ],
      },
    });
    expect(status.rollback?.arms[0]?.p95LatencyMs).toBeGreaterThan(600);
  });
});
