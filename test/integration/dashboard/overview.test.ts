import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "@/server/db";
import type { Verdict } from "@/server/domain/evaluation";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { getOverview } from "@/server/services/dashboard/overview";
import { BUCKET_MS, callerFor, makeTarget, makeUser, testDb, traffic } from "../helpers";
import { breach, createSnapshot } from "../lifecycle-fixtures";

const db = testDb();
const NOW = Date.parse("2027-05-01T12:00:00Z");
const MINUTE = 60_000;
const clock = { now: () => new Date(NOW) };

// The system state is one row shared by every test of the run: leave it as found.
afterEach(async () => {
  await db.systemState.updateMany({ data: { emergencyStopActive: false, monitoringPaused: false } });
});

const observed = {
  windowSeconds: 60,
  requestCount: 60,
  errorRate: 0.01,
  p95Ms: 800,
  costPerRequestUsd: 0.002,
  ttftP95Ms: null,
};
const healthy: Verdict = { status: "HEALTHY", observed, explanation: "All SLOs met" };
const violation: Verdict = {
  status: "VIOLATION",
  observed: { ...observed, p95Ms: 1_500 },
  violations: [{ slo: "P95_LATENCY", observed: 1_500, threshold: 1_000, windowSeconds: 60 }],
  consecutiveCount: 1,
  explanation: "P95 latency 1,500 ms > 1,000 ms",
};

async function recordVerdict(targetId: string, verdict: Verdict, minutesAgo: number) {
  await db.verdictRecord.create({
    data: {
      targetId,
      evaluatedAt: new Date(NOW - minutesAgo * MINUTE),
      status: verdict.status,
      severity: verdict.status === "BREACH" ? verdict.severity : null,
      consecutiveCount: "consecutiveCount" in verdict ? verdict.consecutiveCount : 0,
      details: verdict,
    },
  });
}

async function viewer() {
  return callerFor(db, (await makeUser(db, "VIEWER")).id, clock);
}

describe("dashboard.overview", () => {
  it("shows every target's latest verdict, snapshot, active rollback and sparklines, worst first", async () => {
    const [emergency, critical, violating, rollingBack, silent, fine, unmonitored] = await Promise.all(
      Array.from({ length: 7 }, () => makeTarget(db)),
    );
    await recordVerdict(emergency!.id, breach("CRITICAL"), 2);
    await recordVerdict(emergency!.id, breach("EMERGENCY"), 1);
    await recordVerdict(critical!.id, healthy, 3);
    await recordVerdict(critical!.id, breach("CRITICAL"), 1);
    await recordVerdict(violating!.id, violation, 1);
    await recordVerdict(rollingBack!.id, healthy, 1);
    await recordVerdict(fine!.id, violation, 2);
    await recordVerdict(fine!.id, healthy, 1);
    await recordVerdict(unmonitored!.id, breach("EMERGENCY"), 90);
    await db.target.update({ where: { id: unmonitored!.id }, data: { monitoringEnabled: false } });

    const v1 = await createSnapshot(db, rollingBack!.id, 1, { knownGoodAt: new Date(0) });
    const v2 = await createSnapshot(db, rollingBack!.id, 2);
    await db.target.update({ where: { id: rollingBack!.id }, data: { currentSnapshotId: v2.id } });
    const rollback = await db.rollback.create({
      data: {
        targetId: rollingBack!.id,
        activeTargetId: rollingBack!.id,
        trigger: "SLO",
        status: "IN_PROGRESS",
        fromSnapshotId: v2.id,
        toSnapshotId: v1.id,
        steps: [25, 50, 100],
        currentStep: 1,
        trafficPercent: 50,
        approvalsRequired: 1,
        requestedAt: new Date(NOW - 10 * MINUTE),
      },
    });
    // An ended rollback of the same target is history, not the active one.
    await db.rollback.create({
      data: {
        targetId: rollingBack!.id,
        trigger: "MANUAL",
        status: "CANCELLED",
        fromSnapshotId: v2.id,
        toSnapshotId: v1.id,
        steps: [100],
        currentStep: -1,
        trafficPercent: 0,
        approvalsRequired: 1,
        requestedAt: new Date(NOW - 50 * MINUTE),
      },
    });
    // Two minutes of traffic, 1 in 4 requests failing, ending 5 minutes ago; and some older than the hour.
    const settings = { bucketWidthMs: BUCKET_MS, now: new Date(NOW) };
    const events = traffic(NOW - 7 * MINUTE, 120, { errorEvery: 4, latencyMs: 1_000 });
    await recordMetrics(db, { targetId: fine!.id, events }, settings);
    await recordMetrics(db, { targetId: fine!.id, events: traffic(NOW - 2 * 3_600_000, 30) }, settings);

    const overview = await (await viewer()).dashboard.overview();
    expect(overview.generatedAt).toEqual(new Date(NOW));
    const mine = [emergency, critical, violating, rollingBack, silent, fine, unmonitored].map((target) => target!.id);
    const cards = overview.targets.filter((card) => mine.includes(card.id));
    expect(cards.map((card) => [card.id, card.attention])).toEqual([
      [emergency!.id, "EMERGENCY"],
      [critical!.id, "BREACH"],
      [violating!.id, "VIOLATION"],
      [rollingBack!.id, "ROLLBACK"],
      ...[silent!, unmonitored!]
        .sort((a, b) => (a.slug < b.slug ? -1 : 1))
        .map((target) => [target.id, "NO_DATA"] as const),
      [fine!.id, "HEALTHY"],
    ]);

    const byId = (id: string) => cards.find((card) => card.id === id)!;
    expect(byId(emergency!.id)).toMatchObject({
      slug: emergency!.slug,
      name: emergency!.name,
      monitoringEnabled: true,
      verdict: {
        status: "BREACH",
        severity: "EMERGENCY",
        evaluatedAt: new Date(NOW - MINUTE),
        consecutiveCount: 3,
        observed: { p95Ms: 2_950, requestCount: 60 },
        explanation: breach("EMERGENCY").explanation,
      },
      currentSnapshot: null,
      activeRollback: null,
    });
    expect(byId(fine!.id).verdict).toMatchObject({ status: "HEALTHY", severity: null, observed: { errorRate: 0.01 } });
    expect(byId(silent!.id).verdict).toBeNull();
    expect(byId(unmonitored!.id)).toMatchObject({ monitoringEnabled: false, verdict: { severity: "EMERGENCY" } });
    expect(byId(rollingBack!.id)).toMatchObject({
      currentSnapshot: { id: v2.id, version: 2 },
      activeRollback: {
        id: rollback.id,
        status: "IN_PROGRESS",
        trigger: "SLO",
        step: 2,
        stepCount: 3,
        trafficPercent: 50,
        from: { id: v2.id, version: 2 },
        to: { id: v1.id, version: 1 },
      },
    });

    // An hour of one-minute points; only the two minutes with traffic have values.
    const { sparklines } = byId(fine!.id);
    expect(sparklines).toMatchObject({ from: new Date(NOW - 3_600_000), stepMs: MINUTE });
    expect(sparklines.errorRate).toHaveLength(60);
    expect(sparklines.p95Ms).toHaveLength(60);
    const withData = sparklines.errorRate.flatMap((rate, i) => (rate === null ? [] : [[i, rate]]));
    expect(withData).toEqual([
      [53, 0.25],
      [54, 0.25],
    ]);
    expect(sparklines.p95Ms[53]).toBeCloseTo(1_000, -2);
    expect(sparklines.p95Ms[55]).toBeNull();
    expect(byId(silent!.id).sparklines.errorRate.every((rate) => rate === null)).toBe(true);
  });

  it("reports the emergency stop and the maintenance pause with who, when and why", async () => {
    const approver = await makeUser(db, "APPROVER");
    const caller = await callerFor(db, approver.id, clock);
    const key = `overview.kill.${randomBytes(4).toString("hex")}`;
    await db.featureFlag.create({ data: { key, enabled: true, killSwitch: true } });

    const before = await (await viewer()).dashboard.overview();
    expect(before.system).toMatchObject({
      emergencyStopActive: false,
      monitoringPaused: false,
      automationPaused: false,
    });

    const stopped = await caller.system.emergencyStop({ reason: "Provider returns garbage" });
    expect(stopped.killSwitchesTurnedOff).toContain(key);
    await caller.system.pauseMonitoring({ reason: "Provider migration" });
    const { system } = await (await viewer()).dashboard.overview();
    expect(system).toMatchObject({
      emergencyStopActive: true,
      emergencyStopReason: "Provider returns garbage",
      emergencyStopAt: new Date(NOW),
      emergencyStopBy: { id: approver.id, name: approver.name, email: approver.email },
      monitoringPaused: true,
      pauseReason: "Provider migration",
      pausedBy: { id: approver.id },
      automationPaused: true,
    });
    expect(await db.featureFlag.findUnique({ where: { key }, select: { enabled: true } })).toEqual({ enabled: false });
  });

  it("reads the same few queries whether there are a few targets or many more", async () => {
    let operations = 0;
    const counted = db.$extends({
      query: {
        $allOperations({ args, query }) {
          operations += 1;
          return query(args);
        },
      },
    }) as unknown as Db;
    const countFor = async () => {
      operations = 0;
      const overview = await getOverview(counted, { now: new Date(NOW), bucketWidthMs: BUCKET_MS });
      return { operations, targets: overview.targets.length };
    };

    const addTargets = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const target = await makeTarget(db);
        const v1 = await createSnapshot(db, target.id, 1);
        await db.target.update({ where: { id: target.id }, data: { currentSnapshotId: v1.id } });
        await recordVerdict(target.id, i % 2 ? healthy : violation, 1);
        await recordMetrics(
          db,
          { targetId: target.id, events: traffic(NOW - 10 * MINUTE, 20) },
          { bucketWidthMs: BUCKET_MS, now: new Date(NOW) },
        );
      }
    };

    await addTargets(1);
    const first = await countFor();
    await addTargets(12);
    const second = await countFor();
    expect(second.targets).toBe(first.targets + 12);
    expect(second.operations).toBe(first.operations);
    expect(second.operations).toBeLessThanOrEqual(8);
  });
});
