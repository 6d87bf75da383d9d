// Idle targets skipped by the cycle (server/domain/idle-targets.ts, monitoring/evaluation-state.ts) against the
// straightforward computation: the same scenario run on two fresh databases, one cycle skipping idle targets and one
// judging every target every cycle, must give the same verdicts, decisions and actions for every judged target.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@/server/db";
import type { PolicyInput } from "@/server/domain/policy";
import { updatePolicy } from "@/server/services/config/policies";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { runMonitoringCycle, type MonitoringCycleSummary } from "@/server/services/monitoring/cycle";
import { evaluateMonitoredTargets, evaluateTarget } from "@/server/services/monitoring/evaluation";
import { createTestDatabase } from "../../test-database";
import { BUCKET_MS, makeTarget, testDb, traffic } from "../helpers";

const SECOND = 1_000;
const MINUTE = 60_000;
const T = Date.UTC(2026, 6, 1, 12);
const CYCLES = 40;

const STRICT_STREAK = 3;

/** One-minute windows, ten requests suffice, three violations make a breach, P95 limit 1 s. */
const strictPolicy: PolicyInput = {
  evaluationWindowSeconds: 60,
  verificationWindowSeconds: 60,
  minRequests: 10,
  consecutiveViolations: STRICT_STREAK,
  maxP95LatencyMs: 1_000,
  emergencyMultiplier: 10,
  burnRate: { enabled: false },
};

/** With its burn-rate alert: a lookback of the long window (an hour by default), longer than the evaluation window. */
const burnPolicy: PolicyInput = { ...strictPolicy, burnRate: { enabled: true } };

/**
 * Who sends what in cycle k (now = T + k × 10 s; the traffic of [now − 10 s, now) is recorded just before):
 * steady: healthy all along; slow: violating all along (a breach with nothing to roll back to: NOTIFY, escalated);
 * silent: never; returns: healthy for 5 cycles, silent for 12, then violating; repoliced: silent, its policy changed
 * at cycle 20; reconfigured: silent, its configuration changed at cycle 24; defaulted: the default policy (5-minute
 * window) with traffic in cycles 1–3; burning: the burn-rate policy with traffic in cycles 1–3.
 */
const scenario: Record<string, { policy?: PolicyInput; sends: (k: number) => { latencyMs: number } | null }> = {
  steady: { policy: strictPolicy, sends: () => ({ latencyMs: 300 }) },
  slow: { policy: strictPolicy, sends: () => ({ latencyMs: 3_000 }) },
  silent: { policy: strictPolicy, sends: () => null },
  returns: {
    policy: strictPolicy,
    sends: (k) => (k <= 5 ? { latencyMs: 300 } : k >= 18 ? { latencyMs: 3_000 } : null),
  },
  repoliced: { policy: strictPolicy, sends: () => null },
  reconfigured: { policy: strictPolicy, sends: () => null },
  defaulted: { sends: (k) => (k <= 3 ? { latencyMs: 300 } : null) },
  burning: { policy: burnPolicy, sends: (k) => (k <= 3 ? { latencyMs: 300 } : null) },
};
const names = Object.keys(scenario);

interface Side {
  db: Db;
  drop: () => Promise<void>;
  ids: Map<string, string>;
  summaries: MonitoringCycleSummary[];
}

async function openSide(): Promise<Side> {
  const database = await createTestDatabase();
  const db = createDb(database.url);
  const ids = new Map<string, string>();
  for (const name of names) {
    const target = await makeTarget(db);
    ids.set(name, target.id);
    const { policy } = scenario[name]!;
    if (policy) await updatePolicy(db, { actorId: null, targetId: target.id, policy }, new Date(T - MINUTE));
  }
  return {
    db,
    ids,
    summaries: [],
    drop: async () => {
      await db.$disconnect();
      await database.drop();
    },
  };
}

async function runCycle(side: Side, k: number, skipIdleTargets: boolean): Promise<void> {
  const now = T + k * 10 * SECOND;
  for (const name of names) {
    const sent = scenario[name]!.sends(k);
    if (!sent) continue;
    await recordMetrics(
      side.db,
      { targetId: side.ids.get(name)!, events: traffic(now - 10 * SECOND, 10, { perSecond: 2, ...sent }) },
      { bucketWidthMs: BUCKET_MS, now: new Date(now) },
    );
  }
  if (k === 20) {
    const policy = { ...strictPolicy, maxP95LatencyMs: 2_000 };
    await updatePolicy(
      side.db,
      { actorId: null, targetId: side.ids.get("repoliced")!, policy },
      new Date(now - SECOND),
    );
  }
  if (k === 24) {
    await side.db.target.update({
      where: { id: side.ids.get("reconfigured")! },
      data: { configChangedAt: new Date(now - SECOND) },
    });
  }
  side.summaries.push(
    await runMonitoringCycle(side.db, {
      now: new Date(now),
      bucketWidthMs: BUCKET_MS,
      retentionMs: 86_400_000,
      skipIdleTargets,
    }),
  );
}

/** Every verdict by target name, oldest first, in a form both databases store alike. */
async function verdictsOf(side: Side) {
  const rows = await side.db.verdictRecord.findMany({
    where: { targetId: { in: [...side.ids.values()] } },
    orderBy: { evaluatedAt: "asc" },
    select: {
      targetId: true,
      evaluatedAt: true,
      status: true,
      severity: true,
      consecutiveCount: true,
      policyVersion: true,
      details: true,
    },
  });
  const nameOf = new Map([...side.ids].map(([name, id]) => [id, name]));
  return rows.map(({ targetId, evaluatedAt, ...row }) => ({
    name: nameOf.get(targetId)!,
    at: evaluatedAt.getTime(),
    ...row,
  }));
}

/** The notifications enqueued for the scenario's targets, by target name (slugs differ between the databases). */
async function notificationsOf(side: Side) {
  const nameOf = new Map([...side.ids].map(([name, id]) => [id, name]));
  const rows = await side.db.notification.findMany({ where: { targetId: { in: [...side.ids.values()] } } });
  return rows
    .map((row) => [row.createdAt.getTime(), nameOf.get(row.targetId!)!, row.event, row.severity].join(" "))
    .sort();
}

describe("idle targets against evaluating every target", () => {
  let skipping: Side;
  let everything: Side;

  beforeAll(async () => {
    [skipping, everything] = await Promise.all([openSide(), openSide()]);
    for (let k = 1; k <= CYCLES; k++) {
      await runCycle(skipping, k, true);
      await runCycle(everything, k, false);
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all([skipping?.drop(), everything?.drop()]);
  });

  it("gives every judged target the verdict, decision and actions of the full pass", async () => {
    const skipped = await verdictsOf(skipping);
    const full = await verdictsOf(everything);
    const key = (row: { name: string; at: number }) => `${row.name}@${row.at}`;
    const fullByKey = new Map(full.map((row) => [key(row), row]));
    // Every verdict the skipping cycle recorded is the full pass's verdict of that target at that instant.
    for (const row of skipped) expect(row).toEqual(fullByKey.get(key(row)));
    // What it left out: INSUFFICIENT_DATA verdicts that followed an INSUFFICIENT_DATA one, nothing else.
    const recorded = new Set(skipped.map(key));
    const left = full.filter((row) => !recorded.has(key(row)));
    expect(left.length).toBeGreaterThan(0);
    for (const row of left) {
      expect(row.status).toBe("INSUFFICIENT_DATA");
      const before = skipped.filter((earlier) => earlier.name === row.name && earlier.at < row.at).at(-1);
      expect(before?.status).toBe("INSUFFICIENT_DATA");
    }
    // Decisions: the full pass decided NONE for each target the skipping one left out; all else is the same.
    for (const [i, summary] of skipping.summaries.entries()) {
      const other = everything.summaries[i]!;
      expect(summary.targetsEvaluated + summary.targetsIdle).toBe(other.targetsEvaluated);
      expect(other.targetsIdle).toBe(0);
      expect({ ...summary.decisions, NONE: summary.decisions.NONE + summary.targetsIdle }).toEqual(other.decisions);
      expect({
        ...summary.verdicts,
        INSUFFICIENT_DATA: summary.verdicts.INSUFFICIENT_DATA + summary.targetsIdle,
      }).toEqual(other.verdicts);
      expect(summary.actions).toEqual(other.actions);
      expect(summary.errors).toEqual([]);
    }
    const notified = await notificationsOf(skipping);
    expect(notified.length).toBeGreaterThan(0);
    expect(notified).toEqual(await notificationsOf(everything));
  });

  it("records no new verdict for an idle target, and judges it once after a policy or configuration change", async () => {
    const count = async (name: string) =>
      (await verdictsOf(skipping)).filter((row) => row.name === name).map((row) => (row.at - T) / (10 * SECOND));
    expect(await count("silent")).toEqual([1]);
    expect(await count("repoliced")).toEqual([1, 20]);
    expect(await count("reconfigured")).toEqual([1, 24]);
    // silent, repoliced and reconfigured; defaulted and burning look back over their burn-rate alert's long window
    // (an hour), which still holds their traffic of the first cycles.
    expect(skipping.summaries.at(-1)?.targetsIdle).toBe(3);
  });

  it("judges a target again on the first cycle after its traffic returns, and skips it while silent", async () => {
    const cycles = (await verdictsOf(skipping))
      .filter((row) => row.name === "returns")
      .map((row) => [(row.at - T) / (10 * SECOND), row.status]);
    // Healthy while the window holds ten requests; INSUFFICIENT_DATA once, when it empties; then nothing until the
    // traffic recorded before cycle 18 (one complete bucket) is judged at cycle 18, and every cycle after.
    const judged = cycles.map(([k]) => k);
    const quiet = cycles.filter(([, status]) => status === "INSUFFICIENT_DATA").map(([k]) => k);
    expect(quiet).toHaveLength(1);
    const resumed = judged.filter((k) => (k as number) >= 18);
    expect(resumed).toEqual(Array.from({ length: CYCLES - 17 }, (_, i) => 18 + i));
    expect(judged.filter((k) => (k as number) > (quiet[0] as number) && (k as number) < 18)).toEqual([]);
  });

  it("keeps the state equal to the newest verdict, its streak equal to the one recomputed from the verdicts", async () => {
    const verdicts = await verdictsOf(skipping);
    const states = await skipping.db.targetEvaluationState.findMany({
      where: { targetId: { in: [...skipping.ids.values()] } },
    });
    expect(states).toHaveLength(names.length);
    for (const state of states) {
      const name = [...skipping.ids].find(([, id]) => id === state.targetId)![0];
      const own = verdicts.filter((row) => row.name === name);
      const newest = own.at(-1)!;
      expect(state).toMatchObject({
        lastVerdictAt: new Date(newest.at),
        lastStatus: newest.status,
        lastSeverity: newest.severity,
        consecutiveCount: newest.consecutiveCount,
        policyVersion: newest.policyVersion,
      });
      // The streak: the verdicts before the newest that violated, without a break, capped at what the policy reads.
      const violating = (status: string) => status === "VIOLATION" || status === "BREACH";
      const earlier = own.slice(0, -1).reverse();
      const run = earlier.findIndex((row) => !violating(row.status));
      const preceding = Math.min(run === -1 ? earlier.length : run, STRICT_STREAK);
      expect(state.consecutiveCount).toBe(violating(newest.status) ? 1 + preceding : 0);
    }
    expect(states.find((state) => state.targetId === skipping.ids.get("slow"))?.consecutiveCount).toBe(4);
  });
});

describe("evaluateTarget on an idle target", () => {
  const db = testDb();

  it("still judges it and records the verdict, while the cycle skips it", async () => {
    const target = await makeTarget(db);
    await updatePolicy(db, { actorId: null, targetId: target.id, policy: strictPolicy }, new Date(T - MINUTE));
    const cycle = (k: number) =>
      runMonitoringCycle(db, { now: new Date(T + k * 10 * SECOND), bucketWidthMs: BUCKET_MS, retentionMs: 86_400_000 });
    await cycle(1);
    await cycle(2);
    expect(await db.verdictRecord.count({ where: { targetId: target.id } })).toBe(1);
    const { verdict, decision } = await evaluateTarget(db, target.id, {
      now: new Date(T + 25 * SECOND),
      bucketWidthMs: BUCKET_MS,
    });
    expect(verdict.status).toBe("INSUFFICIENT_DATA");
    expect(decision.kind).toBe("NONE");
    expect(await db.verdictRecord.count({ where: { targetId: target.id } })).toBe(2);
    expect(await db.targetEvaluationState.findUnique({ where: { targetId: target.id } })).toMatchObject({
      lastVerdictAt: new Date(T + 25 * SECOND),
      lastStatus: "INSUFFICIENT_DATA",
    });
  });

  it("judges a silent target every cycle while a rollback of it is under way or unverified", async () => {
    const target = await makeTarget(db);
    await updatePolicy(db, { actorId: null, targetId: target.id, policy: strictPolicy }, new Date(T - MINUTE));
    const judged = async (k: number) => {
      const outcomes = await evaluateMonitoredTargets(db, {
        now: new Date(T + k * 10 * SECOND),
        bucketWidthMs: BUCKET_MS,
      });
      const own = outcomes.find((outcome) => outcome.target.id === target.id)!;
      return "result" in own ? own.result.verdict.status : "idle" in own ? "idle" : "error";
    };
    expect(await judged(1)).toBe("INSUFFICIENT_DATA");
    expect(await judged(2)).toBe("idle");
    const rollback = await db.rollback.create({
      data: {
        targetId: target.id,
        activeTargetId: target.id,
        trigger: "MANUAL",
        status: "PENDING_APPROVAL",
        fromSnapshotId: "snap-new",
        toSnapshotId: "snap-good",
        steps: [100],
        currentStep: 0,
        trafficPercent: 0,
        approvalsRequired: 1,
        requestedAt: new Date(T + 25 * SECOND),
      },
    });
    expect(await judged(3)).toBe("INSUFFICIENT_DATA");
    await db.rollback.update({
      where: { id: rollback.id },
      data: { activeTargetId: null, status: "COMPLETED", endedAt: new Date(T + 35 * SECOND), verification: "PENDING" },
    });
    expect(await judged(4)).toBe("INSUFFICIENT_DATA");
    await db.rollback.update({ where: { id: rollback.id }, data: { verification: "INCONCLUSIVE" } });
    expect(await judged(5)).toBe("idle");
    expect(await db.verdictRecord.count({ where: { targetId: target.id } })).toBe(3);
  });
});
