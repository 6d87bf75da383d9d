import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "@/server/db";
import type { Verdict } from "@/server/domain/evaluation";
import { OVERVIEW_PAGE_SIZE, overviewGroups } from "@/server/domain/overview";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { getOverview } from "@/server/services/dashboard/overview";
import { BUCKET_MS, callerFor, makeTarget, makeUser, testDb, traffic } from "../helpers";
import {
  breach,
  createSnapshot,
  lifecyclePolicy,
  lifecycleTarget,
  rollbackDecision,
  breachVerdict,
} from "../lifecycle-fixtures";
import { startRollbackFromDecision } from "@/server/services/rollbacks/commands";

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
    // Targets of their own under one tag, so a search finds just them among the run's others.
    const tag = `ov${randomBytes(4).toString("hex")}`;
    const [emergency, critical, violating, rollingBack, silent, fine, unmonitored] = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        db.target.create({
          data: { slug: `${tag}-${i}-${randomBytes(2).toString("hex")}`, name: `Tagged ${tag} ${i}` },
        }),
      ),
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

    const overview = await (await viewer()).dashboard.overview({ search: tag });
    expect(overview.generatedAt).toEqual(new Date(NOW));
    const cards = overview.targets;
    expect(cards.map((card) => [card.id, card.attention, card.group])).toEqual([
      [emergency!.id, "EMERGENCY", "BREACHING"],
      [critical!.id, "BREACH", "BREACHING"],
      [violating!.id, "VIOLATION", "BREACHING"],
      [rollingBack!.id, "ROLLBACK", "ROLLING_BACK"],
      ...[silent!, unmonitored!]
        .sort((a, b) => (a.slug < b.slug ? -1 : 1))
        .map((target) => [target.id, "NO_DATA", "NO_DATA"] as const),
      [fine!.id, "HEALTHY", "HEALTHY"],
    ]);
    expect(overview.matched).toEqual({
      BREACHING: 3,
      AWAITING_APPROVAL: 0,
      ROLLING_BACK: 1,
      NO_DATA: 2,
      HEALTHY: 1,
      total: 7,
    });

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
      expect(overview.targets.length).toBeLessThanOrEqual(OVERVIEW_PAGE_SIZE);
      return { operations, targets: overview.counts.total };
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

  it("groups by state, counts every group over all targets, searches slugs and names, and pages by 50", async () => {
    const tag = `grp${randomBytes(4).toString("hex")}`;
    const make = (kind: string, i: number) =>
      db.target.create({
        data: { slug: `${tag}-${kind}-${String(i).padStart(3, "0")}`, name: `${kind} ${i} (${tag.toUpperCase()})` },
      });
    const breaching = await Promise.all([0, 1, 2].map((i) => make("breaching", i)));
    const quiet = await Promise.all([0, 1, 2, 3].map((i) => make("quiet", i)));
    const healthyTargets = await Promise.all(Array.from({ length: 110 }, (_, i) => make("healthy", i)));
    for (const target of breaching) await recordVerdict(target.id, breach("CRITICAL"), 1);
    for (const target of healthyTargets) await recordVerdict(target.id, healthy, 1);
    // Two proposals waiting (no verdict of their own yet) and one rollback under way.
    const proposals = [];
    for (let i = 0; i < 2; i++) {
      const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date(NOW - 3_600_000));
      await db.target.update({
        where: { id: fixture.target.id },
        data: { slug: `${tag}-proposed-${i}`, name: `Proposed ${i} (${tag})` },
      });
      await startRollbackFromDecision(
        db,
        {
          target: fixture.target,
          decision: rollbackDecision("PROPOSE_ROLLBACK"),
          verdict: breachVerdict,
          policy: fixture.policy,
          policyVersion: 1,
        },
        new Date(NOW - 60_000),
      );
      proposals.push(fixture.target.id);
    }
    const moving = await make("moving", 0);
    await recordVerdict(moving.id, healthy, 1);
    const v1 = await createSnapshot(db, moving.id, 1);
    const v2 = await createSnapshot(db, moving.id, 2);
    await db.rollback.create({
      data: {
        targetId: moving.id,
        activeTargetId: moving.id,
        trigger: "SLO",
        status: "IN_PROGRESS",
        fromSnapshotId: v2.id,
        toSnapshotId: v1.id,
        steps: [50, 100],
        currentStep: 0,
        trafficPercent: 50,
        approvalsRequired: 0,
        requestedAt: new Date(NOW - 5 * MINUTE),
      },
    });
    const api = await viewer();

    const first = await api.dashboard.overview({ search: tag });
    expect(first.matched).toEqual({
      BREACHING: 3,
      AWAITING_APPROVAL: 2,
      ROLLING_BACK: 1,
      NO_DATA: 4,
      HEALTHY: 110,
      total: 120,
    });
    expect(first.view).toEqual({ search: tag, group: null, page: 1, pageCount: 3, pageSize: 50 });
    expect(first.shown).toBe(120);
    expect(first.targets.map((card) => card.group)).toEqual([
      ...Array<string>(3).fill("BREACHING"),
      ...Array<string>(2).fill("AWAITING_APPROVAL"),
      "ROLLING_BACK",
      ...Array<string>(4).fill("NO_DATA"),
      ...Array<string>(40).fill("HEALTHY"),
    ]);
    expect(first.targets.slice(0, 3).map((card) => card.id)).toEqual(breaching.map((target) => target.id));
    expect(
      first.targets
        .slice(3, 5)
        .map((card) => card.id)
        .sort(),
    ).toEqual([...proposals].sort());
    expect(first.targets[5]).toMatchObject({ id: moving.id, activeRollback: { status: "IN_PROGRESS" } });
    // Every group counted over every target the run has, whatever the search.
    const everyTarget = await db.target.count();
    expect(first.counts.total).toBe(everyTarget);
    expect(first.counts.HEALTHY).toBeGreaterThanOrEqual(110);
    expect(overviewGroups.reduce((sum, group) => sum + first.counts[group], 0)).toBe(everyTarget);

    const last = await api.dashboard.overview({ search: tag, page: 3 });
    expect(last.targets.map((card) => card.slug)).toEqual(healthyTargets.slice(90).map((target) => target.slug));
    expect((await api.dashboard.overview({ search: tag, page: 9 })).view).toMatchObject({ page: 3, pageCount: 3 });

    const healthyOnly = await api.dashboard.overview({ search: tag, group: "HEALTHY", page: 2 });
    expect(healthyOnly.shown).toBe(110);
    expect(healthyOnly.matched.total).toBe(120);
    expect(healthyOnly.targets.map((card) => card.slug)).toEqual(
      healthyTargets.slice(50, 100).map((target) => target.slug),
    );

    // Names as well as slugs, ignoring case; nothing matched is an empty page, not an error.
    const byName = await api.dashboard.overview({ search: `QUIET 2 (${tag})` });
    expect(byName.targets.map((card) => card.id)).toEqual([quiet[2]!.id]);
    const none = await api.dashboard.overview({ search: tag, group: "AWAITING_APPROVAL", page: 1 });
    expect(none.targets).toHaveLength(2);
    const nothing = await api.dashboard.overview({ search: `${tag}-nothing` });
    expect(nothing).toMatchObject({ targets: [], shown: 0, matched: { total: 0 }, view: { page: 1, pageCount: 1 } });

    await expect(api.dashboard.overview({ search: tag, page: 0 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(api.dashboard.overview({ group: "BROKEN" as "HEALTHY" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("answers with more targets than SQLite binds parameters, each group counted", async () => {
    const tag = `many${randomBytes(4).toString("hex")}`;
    const count = 1_100;
    await db.target.createMany({
      data: Array.from({ length: count }, (_, i) => ({
        slug: `${tag}-${String(i).padStart(4, "0")}`,
        name: `Many ${i}`,
      })),
    });
    try {
      const ids = await db.target.findMany({ where: { slug: { startsWith: tag } }, select: { id: true } });
      await db.verdictRecord.createMany({
        data: ids.flatMap(({ id }, i) =>
          i % 10 === 0
            ? []
            : [
                {
                  targetId: id,
                  evaluatedAt: new Date(NOW - 2 * MINUTE),
                  status: "HEALTHY" as const,
                  consecutiveCount: 0,
                  details: violation,
                },
                {
                  targetId: id,
                  evaluatedAt: new Date(NOW - MINUTE),
                  status: "HEALTHY" as const,
                  consecutiveCount: 0,
                  details: healthy,
                },
              ],
        ),
      });
      const overview = await (await viewer()).dashboard.overview({ search: tag });
      expect(overview.matched).toMatchObject({ total: count, HEALTHY: 990, NO_DATA: 110 });
      expect(overview.targets).toHaveLength(OVERVIEW_PAGE_SIZE);
      expect(overview.targets[0]).toMatchObject({ group: "NO_DATA", verdict: null });
      const healthyPage = await (await viewer()).dashboard.overview({ search: tag, group: "HEALTHY", page: 2 });
      expect(healthyPage.targets[0]?.verdict).toMatchObject({
        evaluatedAt: new Date(NOW - MINUTE),
        explanation: "All SLOs met",
      });
    } finally {
      // A thousand targets would slow every later test of the run that walks all targets.
      await db.target.deleteMany({ where: { slug: { startsWith: tag } } });
    }
  });
});
