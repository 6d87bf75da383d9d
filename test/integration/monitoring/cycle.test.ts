import { CYCLE_LEASE } from "@/server/services/platform/lease";
import { describe, expect, it } from "vitest";
import type { Db } from "@/server/db";
import { runMonitoringCycle } from "@/server/services/monitoring/cycle";
import { getRollback } from "@/server/services/rollbacks/views";
import { callerFor, makeTarget, makeUser, testDb } from "../helpers";
import {
  createSnapshot,
  cycleOptions,
  errorsAbout,
  feed,
  lifecyclePolicy,
  lifecycleTarget,
  MINUTE,
  savePolicy,
} from "../lifecycle-fixtures";

const db = testDb();

/** Each test has its own day, later than the one before, so leftovers of earlier tests are in the past. */
const day = (n: number) => Date.UTC(2028, 0, n);

function cycle(now: number, client: Db = db) {
  return runMonitoringCycle(client, cycleOptions(now));
}

async function rollbacksOf(targetId: string) {
  return db.rollback.findMany({ where: { targetId }, orderBy: { requestedAt: "asc" } });
}

/** The cycle's and the rollbacks' notifications (snapshots announce their own bake results too). */
function notificationsOf(targetId: string) {
  return db.notification.findMany({
    where: { targetId, OR: [{ event: { startsWith: "rollback." } }, { event: { startsWith: "verdict." } }] },
    orderBy: { createdAt: "asc" },
    select: { event: true, severity: true, title: true, body: true, payload: true, createdAt: true },
  });
}

describe("the monitoring cycle", () => {
  it("healthy → violations → proposal → approval → 25/50/100% → completed → verified; cooldown respected", async () => {
    const T = day(1);
    const { target, good, bad } = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    const at = (minutes: number) => T + minutes * MINUTE;
    const run = async (minutes: number) => {
      const summary = await cycle(at(minutes));
      expect(errorsAbout(summary, [target])).toEqual([]);
      return summary;
    };

    await feed(db, target.id, at(0), 60, "healthy");
    await feed(db, target.id, at(1), 4 * 60, "slow");
    await run(1);
    await run(2);
    await run(3);
    expect(await rollbacksOf(target.id)).toEqual([]);
    const proposed = await run(4);
    expect(proposed.actions.proposed).toBeGreaterThanOrEqual(1);
    const verdicts = await db.verdictRecord.findMany({
      where: { targetId: target.id },
      orderBy: { evaluatedAt: "asc" },
      select: { status: true },
    });
    expect(verdicts.map((verdict) => verdict.status)).toEqual(["HEALTHY", "VIOLATION", "VIOLATION", "BREACH"]);

    const [pending] = await rollbacksOf(target.id);
    expect(pending).toMatchObject({
      trigger: "SLO",
      status: "PENDING_APPROVAL",
      fromSnapshotId: bad.id,
      toSnapshotId: good.id,
      activeTargetId: target.id,
      approvalsRequired: 1,
      requestedById: null,
      policyVersion: 1,
      evidence: { verdict: { status: "BREACH", severity: "CRITICAL" }, decision: { kind: "PROPOSE_ROLLBACK" } },
    });
    const early = await notificationsOf(target.id);
    // The second violation repeats the first one's status: announced once.
    expect(early.map((n) => [n.event, n.severity])).toEqual([
      ["verdict.violation", "WARNING"],
      ["rollback.proposed", "CRITICAL"],
    ]);
    expect(early[1]?.body).toMatch(/P95 latency .* > 1 s over the last 1 min \(3rd consecutive violation\)/);
    expect(early[1]?.body).toMatch(/from v2 to v1 in steps of 25\/50\/100%\. Needs 1 approval within 10 min/);

    const approver = await makeUser(db, "APPROVER");
    await (
      await callerFor(db, approver.id, { now: () => new Date(at(4) + 20_000) })
    ).rollbacks.approve({ rollbackId: pending!.id, comment: "go" });

    // The incident goes on until the rollback starts; then the known-good snapshot serves healthy traffic.
    await feed(db, target.id, at(5), 60 * 6, "healthy");
    const started = await run(5);
    expect(started.actions.started).toBeGreaterThanOrEqual(1);
    const progress = [await getRollback(db, pending!.id)];
    await run(6);
    progress.push(await getRollback(db, pending!.id));
    await run(7);
    progress.push(await getRollback(db, pending!.id));
    expect(progress.map((r) => [r.status, r.currentStep, r.trafficPercent])).toEqual([
      ["IN_PROGRESS", 0, 25],
      ["IN_PROGRESS", 1, 50],
      ["IN_PROGRESS", 2, 100],
    ]);
    expect(progress[1]?.trafficSplit).toEqual([
      { snapshotId: bad.id, weight: 50 },
      { snapshotId: good.id, weight: 50 },
    ]);

    // Half a step interval later nothing is due.
    await run(7.5);
    expect(await getRollback(db, pending!.id)).toMatchObject({ status: "IN_PROGRESS", trafficPercent: 100 });
    const completed = await run(8);
    expect(completed.actions.completed).toBeGreaterThanOrEqual(1);
    expect(await getRollback(db, pending!.id)).toMatchObject({
      status: "COMPLETED",
      endedAt: new Date(at(8)),
      verification: "PENDING",
      trafficSplit: [{ snapshotId: good.id, weight: 100 }],
    });
    expect(
      await db.target.findUnique({
        where: { id: target.id },
        select: { currentSnapshotId: true, knownGoodSnapshotId: true },
      }),
    ).toEqual({ currentSnapshotId: good.id, knownGoodSnapshotId: good.id });
    expect(await db.configSnapshot.findUnique({ where: { id: bad.id }, select: { failedAt: true } })).toEqual({
      failedAt: expect.any(Date) as unknown,
    });
    expect(await db.rollback.findUnique({ where: { id: pending!.id }, select: { activeTargetId: true } })).toEqual({
      activeTargetId: null,
    });

    await run(9);
    expect(await getRollback(db, pending!.id)).toMatchObject({ verification: "PENDING" });
    await run(10);
    expect(await getRollback(db, pending!.id)).toMatchObject({
      verification: "EFFECTIVE",
      verifiedAt: new Date(at(10)),
    });

    const audit = await db.auditEvent.findMany({
      where: { entityId: pending!.id },
      orderBy: { sequence: "asc" },
      select: { action: true, actorType: true },
    });
    expect(audit.map((event) => event.action)).toEqual([
      "rollback.created",
      "rollback.approved",
      "rollback.started",
      "rollback.step_advanced",
      "rollback.step_advanced",
      "rollback.completed",
      "rollback.verified",
    ]);
    expect(audit[1]?.actorType).toBe("USER");
    expect(
      (await notificationsOf(target.id)).filter((n) => n.event.startsWith("rollback.")).map((n) => n.event),
    ).toEqual([
      "rollback.proposed",
      "rollback.approved",
      "rollback.started",
      "rollback.step_advanced",
      "rollback.step_advanced",
      "rollback.completed",
      "rollback.verified",
    ]);

    // Within the cooldown: a breach on the known-good snapshot has nothing to roll back to (NOTIFY); after a
    // new bad publish, an AUTOMATIC policy only proposes, and says why.
    await savePolicy(
      db,
      target.id,
      { ...lifecyclePolicy, mode: "AUTOMATIC", consecutiveViolations: 1 },
      new Date(at(10)),
    );
    await feed(db, target.id, at(11), 60 * 4, "slow");
    const notify = await run(12);
    expect(notify.decisions.NOTIFY).toBeGreaterThanOrEqual(1);
    expect((await notificationsOf(target.id)).at(-1)).toMatchObject({
      event: "verdict.breach",
      severity: "CRITICAL",
      payload: { escalate: true, reasons: ["No known-good snapshot other than the current one to roll back to"] },
    });
    const newer = await createSnapshot(db, target.id, 3, { publishedAt: new Date(at(12)) });
    await db.target.update({ where: { id: target.id }, data: { currentSnapshotId: newer.id } });
    await run(13);
    const second = (await rollbacksOf(target.id)).at(-1);
    expect(second).toMatchObject({ status: "PENDING_APPROVAL", approvalsRequired: 1, fromSnapshotId: newer.id });
    expect(second?.reason).toMatch(/Automatic rollback held back within the 30 min cooldown/);
    expect((await notificationsOf(target.id)).at(-1)).toMatchObject({
      event: "rollback.proposed",
      payload: { escalate: true },
    });
  });

  it("an emergency rolls back at once: 100% without approval, kill switches off, EMERGENCY notification", async () => {
    const T = day(2);
    const { target, good, bad } = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    const killSwitch = await db.featureFlag.create({
      data: { key: `${target.slug}-streaming`, enabled: true, killSwitch: true, targetId: target.id },
    });
    const plain = await db.featureFlag.create({
      data: { key: `${target.slug}-beta-ui`, enabled: true, killSwitch: false, targetId: target.id },
    });
    await feed(db, target.id, T, 60 * 3, "outage");

    const summary = await cycle(T + MINUTE);
    expect(errorsAbout(summary, [target])).toEqual([]);
    expect(summary.actions.emergency).toBeGreaterThanOrEqual(1);
    const [rollback] = await rollbacksOf(target.id);
    expect(rollback).toMatchObject({
      trigger: "EMERGENCY",
      status: "IN_PROGRESS",
      trafficPercent: 100,
      steps: [100],
      approvalsRequired: 0,
      fromSnapshotId: bad.id,
      toSnapshotId: good.id,
    });
    expect(
      await db.featureFlag.findMany({
        where: { id: { in: [killSwitch.id, plain.id] } },
        orderBy: { key: "asc" },
        select: { key: true, enabled: true },
      }),
    ).toEqual([
      { key: plain.key, enabled: true },
      { key: killSwitch.key, enabled: false },
    ]);
    const [notification] = await notificationsOf(target.id);
    expect(notification).toMatchObject({
      event: "rollback.emergency",
      severity: "EMERGENCY",
      payload: { escalate: true },
    });
    expect(notification?.body).toContain(`Kill switches turned off: ${killSwitch.key}`);

    await cycle(T + 2 * MINUTE);
    expect(await getRollback(db, rollback!.id)).toMatchObject({ status: "COMPLETED" });
  });

  it("a proposal nobody approves expires after the approval timeout", async () => {
    const T = day(3);
    const { target } = await lifecycleTarget(
      db,
      { ...lifecyclePolicy, consecutiveViolations: 1, approvalTimeoutSeconds: 120 },
      new Date(T),
    );
    await feed(db, target.id, T, 60 * 4, "slow");
    await cycle(T + MINUTE);
    const [proposal] = await rollbacksOf(target.id);
    expect(proposal).toMatchObject({ status: "PENDING_APPROVAL" });
    await cycle(T + 2 * MINUTE);
    expect(await getRollback(db, proposal!.id)).toMatchObject({ status: "PENDING_APPROVAL" });
    const summary = await cycle(T + 3 * MINUTE);
    expect(summary.actions.expired).toBeGreaterThanOrEqual(1);
    expect(await getRollback(db, proposal!.id)).toMatchObject({
      status: "EXPIRED",
      endReason: "Approval timed out with 0 of 1 approvals",
      endedAt: new Date(T + 3 * MINUTE),
    });
    // Still breaching: the next cycle proposes afresh (proposals are allowed within the cooldown).
    await cycle(T + 4 * MINUTE);
    expect((await rollbacksOf(target.id)).map((r) => r.status)).toEqual(["EXPIRED", "PENDING_APPROVAL"]);
  });

  it("a rollback after which the target still breaches is ineffective and escalates", async () => {
    const T = day(4);
    const { target } = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    await feed(db, target.id, T, 60 * 6, "outage");
    await cycle(T + MINUTE);
    await cycle(T + 2 * MINUTE);
    const [rollback] = await rollbacksOf(target.id);
    expect(rollback).toMatchObject({ status: "COMPLETED", verification: "PENDING" });
    // The verdict at +3 min judged [+2, +3) min, all after completion, and still breaches.
    const summary = await cycle(T + 3 * MINUTE);
    expect(summary.actions.ineffective).toBeGreaterThanOrEqual(1);
    expect(await getRollback(db, rollback!.id)).toMatchObject({ verification: "INEFFECTIVE" });
    const escalation = (await notificationsOf(target.id)).find((n) => n.event === "rollback.ineffective");
    expect(escalation).toMatchObject({ severity: "CRITICAL", payload: { escalate: true } });
    expect(escalation?.body).toMatch(/still breaches on v1, the previous known-good snapshot/);
    expect(escalation?.body).toMatch(/upstream or provider outage/);
  });

  it("twice at the same instant acts once; a broken target never stops the others", async () => {
    const T = day(5);
    const { target } = await lifecycleTarget(db, { ...lifecyclePolicy, consecutiveViolations: 1 }, new Date(T));
    const broken = await makeTarget(db);
    await db.policy.create({
      data: { targetId: broken.id, version: 1, config: { maxErrorRate: 7 }, createdAt: new Date(T) },
    });
    await feed(db, target.id, T, 60 * 2, "slow");

    const first = await cycle(T + MINUTE);
    expect(errorsAbout(first, [broken])).toEqual([
      { targetSlug: broken.slug, message: expect.stringContaining("Stored policy version 1") as unknown },
    ]);
    // The second time through the router, as an operator would from the dashboard.
    // The lease is shared with other tests' cycles on other clocks: start from a free one.
    await db.lease.deleteMany({ where: { name: CYCLE_LEASE } });
    const operator = await callerFor(db, (await makeUser(db, "OPERATOR")).id, { now: () => new Date(T + MINUTE) });
    const again = await operator.cycle.run();
    if (again.status !== "ran") throw new Error(`expected the cycle to run, got ${again.status}`);
    expect(again.summary.actions).toMatchObject({ proposed: 0, notified: 0 });
    const status = await operator.cycle.status();
    // Among the newest runs (other files' cycles, some dated years ahead, share the table while they run).
    expect(status.runs).toContainEqual(
      expect.objectContaining({ trigger: "manual", startedAt: new Date(T + MINUTE) }) as unknown,
    );
    expect(status.lease?.expiresAt).toEqual(new Date(T + MINUTE + 1_000));
    // Within a second of the last start, another call is refused instead of running a second cycle.
    expect(await operator.cycle.run()).toMatchObject({ status: "busy" });
    expect(await db.verdictRecord.count({ where: { targetId: target.id } })).toBe(1);
    expect(await db.rollback.count({ where: { targetId: target.id } })).toBe(1);
    expect((await notificationsOf(target.id)).map((n) => n.event)).toEqual(["rollback.proposed"]);
  });

  it("two cycles at once on two connections make exactly one rollback and one notification", async () => {
    const T = day(6);
    const { target } = await lifecycleTarget(db, { ...lifecyclePolicy, consecutiveViolations: 1 }, new Date(T));
    await feed(db, target.id, T, 60 * 2, "slow");

    const summaries = await Promise.all([cycle(T + MINUTE, testDb()), cycle(T + MINUTE, testDb())]);
    for (const summary of summaries) expect(errorsAbout(summary, [target])).toEqual([]);
    expect(await db.rollback.count({ where: { targetId: target.id } })).toBe(1);
    expect(await db.verdictRecord.count({ where: { targetId: target.id } })).toBe(1);
    expect((await notificationsOf(target.id)).map((n) => n.event)).toEqual(["rollback.proposed"]);
  });

  it("the emergency stop turns decisions into notifications and holds running rollbacks", async () => {
    const T = day(7);
    const { target } = await lifecycleTarget(
      db,
      { ...lifecyclePolicy, mode: "AUTOMATIC", consecutiveViolations: 1 },
      new Date(T),
    );
    const stopped = await lifecycleTarget(
      db,
      { ...lifecyclePolicy, mode: "AUTOMATIC", consecutiveViolations: 1 },
      new Date(T),
    );
    await feed(db, target.id, T, 60 * 4, "slow");
    await feed(db, stopped.target.id, T + MINUTE, 60 * 3, "slow");
    await cycle(T + MINUTE);
    const [running] = await rollbacksOf(target.id);
    expect(running).toMatchObject({ status: "IN_PROGRESS", trafficPercent: 25 });

    await db.systemState.upsert({
      where: { id: "global" },
      create: { id: "global", emergencyStopActive: true, emergencyStopAt: new Date(T + MINUTE) },
      update: { emergencyStopActive: true, emergencyStopAt: new Date(T + MINUTE) },
    });
    try {
      const summary = await cycle(T + 2 * MINUTE);
      expect(summary.emergencyStopActive).toBe(true);
      expect(await getRollback(db, running!.id)).toMatchObject({ status: "IN_PROGRESS", trafficPercent: 25 });
      expect(await rollbacksOf(stopped.target.id)).toEqual([]);
      expect((await notificationsOf(stopped.target.id)).at(-1)).toMatchObject({
        event: "verdict.breach",
        payload: { escalate: true, reasons: ["Automation is paused (emergency stop or maintenance)"] },
      });
    } finally {
      await db.systemState.update({ where: { id: "global" }, data: { emergencyStopActive: false } });
    }
    await cycle(T + 3 * MINUTE);
    expect(await getRollback(db, running!.id)).toMatchObject({ trafficPercent: 50 });
  });
});
