import { describe, expect, it } from "vitest";
import type { PolicyInput } from "@/server/domain/policy";
import { evaluateTarget, runEvaluationPass } from "@/server/services/monitoring/evaluation";
import { VERDICT_HISTORY_LIMIT } from "@/server/services/platform/retention";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { updatePolicy } from "@/server/services/config/policies";
import { BUCKET_MS, callerFor, makeTarget, makeUser, testDb, traffic } from "../helpers";

const db = testDb();
const MINUTE = 60_000;
const YEAR = 365 * 86_400_000;

/** One-minute windows, no burn-rate alert, ten requests suffice, P95 limit 1 s. */
const strictPolicy: PolicyInput = {
  evaluationWindowSeconds: 60,
  verificationWindowSeconds: 60,
  minRequests: 10,
  consecutiveViolations: 3,
  maxP95LatencyMs: 1_000,
  emergencyMultiplier: 10,
  burnRate: { enabled: false },
};

async function targetWithPolicy(policy: PolicyInput = strictPolicy) {
  const target = await makeTarget(db, { currentSnapshotId: "snap-new", knownGoodSnapshotId: "snap-good" });
  await updatePolicy(db, { actorId: null, targetId: target.id, policy }, new Date(0));
  return target;
}

function record(targetId: string, events: ReturnType<typeof traffic>, now: number) {
  return recordMetrics(db, { targetId, events }, { bucketWidthMs: BUCKET_MS, now: new Date(now) });
}

describe("evaluateTarget", () => {
  it("records each verdict, and the violation streak survives a restart", async () => {
    const T = Date.UTC(2026, 4, 1, 12);
    const target = await targetWithPolicy();
    await record(target.id, traffic(T, 300, { perSecond: 2, latencyMs: 3_000 }), T);
    const options = (offsetMs: number) => ({ now: new Date(T + offsetMs), bucketWidthMs: BUCKET_MS });

    const first = await evaluateTarget(db, target.id, options(MINUTE + 4_000));
    expect(first.verdict).toMatchObject({ status: "VIOLATION", consecutiveCount: 1, observed: { requestCount: 120 } });
    expect(first.decision.kind).toBe("NOTIFY");
    await evaluateTarget(db, target.id, options(2 * MINUTE));
    // A new client, as after a restart: the streak comes from the recorded verdicts.
    const third = await evaluateTarget(testDb(), target.id, options(3 * MINUTE));
    expect(third.verdict).toMatchObject({ status: "BREACH", severity: "CRITICAL", consecutiveCount: 3 });
    expect(third.decision).toMatchObject({ kind: "PROPOSE_ROLLBACK", escalate: false });

    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    const history = await viewer.evaluation.verdicts({ targetId: target.id });
    expect(history.map((v) => [v.status, v.severity, v.consecutiveCount, v.policyVersion])).toEqual([
      ["BREACH", "CRITICAL", 3, 1],
      ["VIOLATION", null, 2, 1],
      ["VIOLATION", null, 1, 1],
    ]);
    expect(history[0]?.details.explanation).toMatch(/P95 latency .* > 1 s over the last 1 min/);
  });

  it("gives no verdict on thin data, with the default policy when none was saved", async () => {
    const T = Date.UTC(2026, 4, 2);
    const target = await makeTarget(db);
    await record(target.id, traffic(T, 20, { latencyMs: 20_000 }), T);
    const { verdict, decision } = await evaluateTarget(db, target.id, {
      now: new Date(T + MINUTE),
      bucketWidthMs: BUCKET_MS,
    });
    expect(verdict).toMatchObject({ status: "INSUFFICIENT_DATA", observed: { requestCount: 20, windowSeconds: 300 } });
    expect(decision.kind).toBe("NONE");
    expect(await db.verdictRecord.findFirst({ where: { targetId: target.id } })).toMatchObject({ policyVersion: null });
  });

  it("breaches on a sustained error-budget burn while the window alone passes", async () => {
    const T = Date.UTC(2026, 4, 3);
    const target = await targetWithPolicy({
      ...strictPolicy,
      maxP95LatencyMs: 60_000,
      maxErrorRate: 0.9,
      burnRate: { enabled: true, errorBudget: 0.1, longWindowSeconds: 1_800, shortWindowSeconds: 300, factor: 2 },
    });
    await record(target.id, traffic(T, 1_800, { errorEvery: 2 }), T);
    const { verdict } = await evaluateTarget(db, target.id, {
      now: new Date(T + 30 * MINUTE),
      bucketWidthMs: BUCKET_MS,
    });
    expect(verdict).toMatchObject({
      status: "BREACH",
      severity: "CRITICAL",
      consecutiveCount: 1,
      burnRate: { longBurn: 5, shortBurn: 5, longWindowSeconds: 1_800, shortWindowSeconds: 300 },
    });
  });
});

describe("runEvaluationPass", () => {
  it("evaluates every monitored target, reports a failing one without stopping the others", async () => {
    const T = Date.UTC(2026, 4, 4);
    const healthy = await targetWithPolicy();
    const broken = await targetWithPolicy();
    const paused = await targetWithPolicy();
    await db.target.update({ where: { id: paused.id }, data: { monitoringEnabled: false } });
    await db.policy.create({
      data: { targetId: broken.id, version: 2, config: { maxErrorRate: 7 }, createdAt: new Date(T) },
    });
    await record(healthy.id, traffic(T, 60, { latencyMs: 500 }), T);

    const summary = await runEvaluationPass(db, { now: new Date(T + MINUTE), bucketWidthMs: BUCKET_MS });
    expect(summary.errors).toContainEqual({
      targetSlug: broken.slug,
      message: expect.stringContaining(`Stored policy version 2 of target ${broken.id} is invalid`) as unknown,
    });
    expect(summary.targetsEvaluated).toBeGreaterThanOrEqual(1);
    expect(summary.verdicts.HEALTHY).toBeGreaterThanOrEqual(1);
    expect(summary.decisions.NONE).toBeGreaterThanOrEqual(1);
    expect(await db.verdictRecord.findMany({ where: { targetId: healthy.id }, select: { status: true } })).toEqual([
      { status: "HEALTHY" },
    ]);
    expect(await db.verdictRecord.count({ where: { targetId: { in: [broken.id, paused.id] } } })).toBe(0);
  });

  it("deletes nothing: old verdicts and buckets are the retention step's (test/integration/platform)", async () => {
    const T = Date.UTC(2026, 4, 5);
    const target = await targetWithPolicy();
    await db.verdictRecord.createMany({
      data: Array.from({ length: VERDICT_HISTORY_LIMIT }, (_, i) => ({
        targetId: target.id,
        evaluatedAt: new Date(T - (VERDICT_HISTORY_LIMIT - i) * BUCKET_MS),
        status: "HEALTHY" as const,
        consecutiveCount: 0,
        details: {},
      })),
    });
    await record(target.id, [...traffic(T - 2 * YEAR, 10), ...traffic(T, 10)], T);

    await runEvaluationPass(db, { now: new Date(T + MINUTE), bucketWidthMs: BUCKET_MS });
    const kept = await db.verdictRecord.findMany({ where: { targetId: target.id }, orderBy: { evaluatedAt: "asc" } });
    expect(kept).toHaveLength(VERDICT_HISTORY_LIMIT + 1);
    expect(kept.at(-1)?.evaluatedAt).toEqual(new Date(T + MINUTE));
    expect(await db.metricBucket.count({ where: { targetId: target.id } })).toBe(2);
  });

  it("runs for operators through the router, not for viewers", async () => {
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    await expect(viewer.evaluation.runPass()).rejects.toMatchObject({ code: "FORBIDDEN" });
    const now = new Date(Date.UTC(2026, 4, 6));
    const operator = await callerFor(db, (await makeUser(db, "OPERATOR")).id, { now: () => now });
    expect(await operator.evaluation.runPass()).toMatchObject({ errors: expect.any(Array) as unknown });
  });
});

describe("backtest", () => {
  it("finds a degradation in stored data, with the current or a draft policy", async () => {
    const T = Date.UTC(2026, 4, 7);
    const target = await targetWithPolicy();
    await record(target.id, traffic(T, 1_800, { latencyMs: 500 }), T);
    await record(target.id, traffic(T + 30 * MINUTE, 600, { latencyMs: 3_000 }), T);
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    const range = { targetId: target.id, from: new Date(T + 10 * MINUTE), to: new Date(T + 40 * MINUTE) };

    const current = await viewer.policies.backtest(range);
    expect(current.firstBreachAt?.getTime()).toBeGreaterThan(T + 30 * MINUTE);
    expect(current.firstBreachAt?.getTime()).toBeLessThanOrEqual(T + 34 * MINUTE);
    expect(current.decisionCounts.PROPOSE_ROLLBACK).toBe(1);
    expect(current.eventCount).toBe(current.events.length);

    const lenient = await viewer.policies.backtest({ ...range, policy: { ...strictPolicy, maxP95LatencyMs: 10_000 } });
    expect(lenient.firstBreachAt).toBeNull();
    expect(lenient.verdictCounts.HEALTHY).toBe(lenient.ticks);

    await expect(viewer.policies.backtest({ ...range, to: new Date(T + 8 * 86_400_000) })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(viewer.policies.backtest({ ...range, policy: { minRequests: 0 } })).rejects.toMatchObject({
      cause: { details: { issues: { minRequests: "Minimum requests must be at least 1" } } },
    });
  });

  it("returns every rollback and the violation periods, joined at the range's resolution", async () => {
    const T = Date.UTC(2026, 4, 8);
    const target = await targetWithPolicy();
    const phases: [number, "healthy" | "slow"][] = [
      [0, "healthy"],
      [20, "slow"],
      [25, "healthy"],
      [35, "slow"],
      [40, "healthy"],
    ];
    for (const [i, [minute, kind]] of phases.entries()) {
      const end = phases[i + 1]?.[0] ?? 50;
      const latencyMs = kind === "slow" ? 3_000 : 500;
      await record(target.id, traffic(T + minute * MINUTE, (end - minute) * 60, { latencyMs }), T);
    }
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    const to = new Date(T + 60 * MINUTE);

    const hour = await viewer.policies.backtest({ targetId: target.id, from: new Date(T + 10 * MINUTE), to });
    expect(hour.actions.map((action) => action.kind)).toEqual(["PROPOSE_ROLLBACK", "PROPOSE_ROLLBACK"]);
    expect(hour.actions[0]?.at.getTime()).toBeGreaterThan(T + 20 * MINUTE);
    expect(hour.periods.map((period) => period.level)).toEqual(["BREACH", "BREACH"]);
    expect(hour.periods[0]?.from.getTime()).toBeGreaterThan(T + 20 * MINUTE);
    expect(hour.periods[1]?.to.getTime()).toBeLessThanOrEqual(T + 42 * MINUTE);

    // Over 7 days, one span is about 20 min: the two degradations 10 min apart draw as one.
    const week = await viewer.policies.backtest({
      targetId: target.id,
      from: new Date(to.getTime() - 7 * 86_400_000),
      to,
    });
    expect(week.periodGapMs).toBeGreaterThan(10 * MINUTE);
    expect(week.periods).toEqual([{ from: hour.periods[0]?.from, to: hour.periods[1]?.to, level: "BREACH" }]);
    expect(week.actions.map((action) => action.at)).toEqual(hour.actions.map((action) => action.at));
  });
});
