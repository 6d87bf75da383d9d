// Gradual re-enablement of the kill switches an emergency rollback turned off: recorded keys, the start rules,
// the cycle's steps on healthy, worse and thin traffic, cancellation, the emergency stop and config delivery.
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "@/server/db";
import { advanceDueReenablements } from "@/server/services/config/flag-reenablement-steps";
import { activateEmergencyStop } from "@/server/services/config/system-switches";
import { effectiveConfig } from "@/server/services/machine/config-delivery";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { runMonitoringCycle } from "@/server/services/monitoring/cycle";
import { userActor } from "@/server/services/audit/audit-log";
import { startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { BUCKET_MS, callerFor, makeUser, testDb, traffic } from "../helpers";
import {
  breach,
  cycleOptions,
  errorsAbout,
  feed,
  lifecycleTarget,
  MINUTE,
  rollbackDecision,
} from "../lifecycle-fixtures";

const db = testDb();
const clockAt = (ms: number) => ({ now: () => new Date(ms) });

afterEach(async () => {
  await db.systemState.updateMany({ data: { emergencyStopActive: false } });
});

/**
 * A target whose emergency rollback at T turned its kill switch off. `verify` marks the rollback completed and
 * EFFECTIVE at T (verification itself is tested in the rollback suites).
 */
async function rolledBack(T: number, verify = true) {
  const fixture = await lifecycleTarget(db, undefined, new Date(T - MINUTE));
  const key = `switch.${fixture.target.slug}`;
  const flag = await db.featureFlag.create({
    data: { key, enabled: true, killSwitch: true, targetId: fixture.target.id },
  });
  const started = await startRollbackFromDecision(
    db,
    {
      target: fixture.target,
      decision: rollbackDecision("EMERGENCY_ROLLBACK"),
      verdict: breach("EMERGENCY"),
      policy: fixture.policy,
      policyVersion: 1,
    },
    new Date(T),
  );
  if (verify) {
    await db.rollback.update({
      where: { id: started.rollbackId },
      data: { status: "COMPLETED", activeTargetId: null, endedAt: new Date(T), verification: "EFFECTIVE" },
    });
  }
  const operator = await makeUser(db, "OPERATOR");
  const approver = await makeUser(db, "APPROVER");
  return { ...fixture, key, flag, rollbackId: started.rollbackId, operator, approver };
}

const cycle = (now: number) => advanceDueReenablements(db, { now: new Date(now), bucketWidthMs: BUCKET_MS });
const plan = (client: Db, targetId: string) =>
  client.flagReenablement.findFirstOrThrow({ where: { targetId }, orderBy: { startedAt: "desc" } });
const flagOf = (key: string) =>
  db.featureFlag.findUniqueOrThrow({ where: { key }, select: { enabled: true, percent: true } });

describe("flag re-enablement", () => {
  it("records the switches an emergency rollback turned off, and refuses to start before it is verified effective", async () => {
    const T = Date.UTC(2031, 0, 1);
    const fixture = await rolledBack(T, false);
    const rollback = await db.rollback.findUniqueOrThrow({ where: { id: fixture.rollbackId } });
    expect(rollback.flagsTurnedOff).toEqual([fixture.key]);
    expect(await flagOf(fixture.key)).toMatchObject({ enabled: false });

    const operator = await callerFor(db, fixture.operator.id, clockAt(T + MINUTE));
    await expect(operator.flagReenablements.start({ rollbackId: fixture.rollbackId })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "The rollback has not completed",
    });
    await db.rollback.update({
      where: { id: fixture.rollbackId },
      data: { status: "COMPLETED", activeTargetId: null, endedAt: new Date(T), verification: "INCONCLUSIVE" },
    });
    await expect(operator.flagReenablements.start({ rollbackId: fixture.rollbackId })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringContaining("inconclusive") as unknown,
    });
    await db.rollback.update({ where: { id: fixture.rollbackId }, data: { verification: "PENDING" } });
    await expect(operator.flagReenablements.start({ rollbackId: fixture.rollbackId })).rejects.toMatchObject({
      message: "The rollback is not verified effective yet",
    });
    await db.rollback.update({ where: { id: fixture.rollbackId }, data: { verification: "EFFECTIVE" } });
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id, clockAt(T + MINUTE));
    await expect(viewer.flagReenablements.start({ rollbackId: fixture.rollbackId })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const bad = await operator.flagReenablements
      .start({ rollbackId: fixture.rollbackId, steps: [50, 10] })
      .catch((error: unknown) => error);
    expect(bad).toMatchObject({ code: "BAD_REQUEST" });
    expect(JSON.stringify(bad)).toContain("steps");
    expect(await flagOf(fixture.key)).toMatchObject({ enabled: false });
  });

  it("advances 10 → 50 → 100% on healthy traffic and completes; config delivery shows the percent", async () => {
    const T = Date.UTC(2031, 1, 1);
    const fixture = await rolledBack(T);
    await feed(db, fixture.target.id, T, 10 * 60, "healthy");
    const operator = await callerFor(db, fixture.operator.id, clockAt(T + 2 * MINUTE));
    const started = await operator.flagReenablements.start({ rollbackId: fixture.rollbackId });
    expect(started).toMatchObject({ status: "RUNNING", percent: 10, steps: [10, 50, 100], flagKeys: [fixture.key] });
    expect(await flagOf(fixture.key)).toEqual({ enabled: true, percent: 10 });
    const delivered = await effectiveConfig(db, fixture.target.slug);
    expect(delivered.flags).toContainEqual({ key: fixture.key, enabled: true, percent: 10 });
    await expect(operator.flagReenablements.start({ rollbackId: fixture.rollbackId })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const overview = await operator.flagReenablements.overview();
    expect(overview.running.find((row) => row.id === started.id)).toMatchObject({ percent: 10, currentStep: 0 });

    expect(await cycle(T + 2 * MINUTE + 30_000)).toMatchObject({ advanced: 0 });
    await cycle(T + 3 * MINUTE);
    expect(await flagOf(fixture.key)).toEqual({ enabled: true, percent: 50 });
    const target = await db.target.findUniqueOrThrow({ where: { id: fixture.target.id } });
    expect(target.configChangedAt).toEqual(new Date(T + 3 * MINUTE));
    await cycle(T + 3 * MINUTE); // the same instant again acts once
    await cycle(T + 4 * MINUTE);
    expect(await flagOf(fixture.key)).toEqual({ enabled: true, percent: 100 });
    await cycle(T + 5 * MINUTE);
    expect(await plan(db, fixture.target.id)).toMatchObject({
      status: "COMPLETED",
      activeTargetId: null,
      percent: 100,
    });

    const actions = await db.auditEvent.findMany({
      where: { entityId: started.id },
      orderBy: { sequence: "asc" },
      select: { action: true },
    });
    expect(actions.map((event) => event.action)).toEqual([
      "flag_reenablement.started",
      "flag_reenablement.advanced",
      "flag_reenablement.advanced",
      "flag_reenablement.completed",
    ]);
    const notices = await db.notification.findMany({
      where: { targetId: fixture.target.id, event: { startsWith: "flag_reenablement." } },
      select: { event: true, severity: true },
      orderBy: { createdAt: "asc" },
    });
    expect(notices.at(-1)).toEqual({ event: "flag_reenablement.completed", severity: "RESOLVED" });
  });

  it("turns the flags off again when the target gets worse after a step (CRITICAL)", async () => {
    const T = Date.UTC(2031, 2, 1);
    const fixture = await rolledBack(T);
    await feed(db, fixture.target.id, T, 2 * 60, "healthy");
    await recordMetrics(
      db,
      {
        targetId: fixture.target.id,
        events: traffic(T + 2 * MINUTE, 120, { perSecond: 2, latencyMs: 30_000, errorEvery: 2 }),
      },
      { bucketWidthMs: BUCKET_MS, now: new Date(T + 4 * MINUTE) },
    );
    const operator = await callerFor(db, fixture.operator.id, clockAt(T + 2 * MINUTE));
    await operator.flagReenablements.start({ rollbackId: fixture.rollbackId, steps: [25, 100] });
    expect(await cycle(T + 3 * MINUTE)).toMatchObject({ reverted: 1 });
    expect(await flagOf(fixture.key)).toMatchObject({ enabled: false });
    const reverted = await plan(db, fixture.target.id);
    expect(reverted).toMatchObject({ status: "REVERTED", activeTargetId: null });
    expect(reverted.endReason).toMatch(/^No flags reported per request: .*worse since the step began/);
    const critical = await db.notification.findFirst({
      where: { targetId: fixture.target.id, event: "flag_reenablement.reverted" },
    });
    expect(critical).toMatchObject({ severity: "CRITICAL" });
    const overview = await operator.flagReenablements.overview();
    expect(overview.awaiting.find((row) => row.rollbackId === fixture.rollbackId)).toMatchObject({
      flagKeys: [fixture.key],
    });
  });

  it("compares the flag's on and off arms when events report flags, through the monitoring cycle", async () => {
    const T = Date.UTC(2031, 6, 1);
    const fixture = await rolledBack(T);
    await feed(db, fixture.target.id, T, 2 * 60, "healthy");
    const operator = await callerFor(db, fixture.operator.id, clockAt(T + 2 * MINUTE));
    await operator.flagReenablements.start({ rollbackId: fixture.rollbackId, steps: [25, 50, 100] });
    const report = (from: number, seconds: number, arm: { on: boolean; latencyMs: number; errorEvery?: number }) =>
      recordMetrics(
        db,
        {
          targetId: fixture.target.id,
          events: traffic(from, seconds, arm).map((event) => ({
            ...event,
            flags: { [fixture.key]: arm.on, "some.other-flag": true },
          })),
        },
        { bucketWidthMs: BUCKET_MS, now: new Date(from + seconds * 1000) },
      );

    // An upstream slowdown hits both arms alike: slower than before the plan (a time window would revert), but
    // the flag is not to blame, so the plan advances.
    await report(T + 2 * MINUTE, 60, { on: true, latencyMs: 3_000 });
    await report(T + 2 * MINUTE, 60, { on: false, latencyMs: 3_000 });
    const armRows = await db.metricBucket.findMany({
      where: { targetId: fixture.target.id, flagKey: { not: "" } },
      select: { flagKey: true, snapshotVersion: true },
    });
    expect(new Set(armRows.map((row) => `${row.flagKey}/${row.snapshotVersion}`))).toEqual(
      new Set([`${fixture.key}/-1`]),
    );
    const moved = await runMonitoringCycle(db, cycleOptions(T + 3 * MINUTE));
    expect(errorsAbout(moved, [fixture.target])).toEqual([]);
    expect(await flagOf(fixture.key)).toEqual({ enabled: true, percent: 50 });
    const advanced = await plan(db, fixture.target.id);
    expect(advanced.lastCheck).toMatchObject({
      outcome: "ADVANCE",
      arms: { on: 30, off: 30 },
      explanation: expect.stringContaining(
        `Requests with ${fixture.key} on are not worse than those with it off`,
      ) as unknown,
    });

    const audited = await db.auditEvent.findFirstOrThrow({
      where: { entityId: advanced.id, action: "flag_reenablement.advanced" },
    });
    expect(audited.after).toMatchObject({
      percent: 50,
      check: (advanced.lastCheck as { explanation: string }).explanation,
    });

    // Then the requests with the flag on fail while the others are fine: the switch goes off again.
    await report(T + 3 * MINUTE, 60, { on: true, latencyMs: 500, errorEvery: 1 });
    await report(T + 3 * MINUTE, 60, { on: false, latencyMs: 500 });
    await runMonitoringCycle(db, cycleOptions(T + 4 * MINUTE));
    expect(await flagOf(fixture.key)).toMatchObject({ enabled: false });
    const reverted = await plan(db, fixture.target.id);
    expect(reverted).toMatchObject({ status: "REVERTED" });
    expect(reverted.endReason).toContain(
      `Requests with ${fixture.key} on are worse than those with it off: error rate 100% against 0%`,
    );
  });

  it("holds on thin traffic, then advances with a WARNING after stepMaxHoldIntervals; an approver cancels", async () => {
    const T = Date.UTC(2031, 3, 1);
    const fixture = await rolledBack(T);
    await feed(db, fixture.target.id, T, 2 * 60, "healthy");
    const operator = await callerFor(db, fixture.operator.id, clockAt(T + 2 * MINUTE));
    const started = await operator.flagReenablements.start({ rollbackId: fixture.rollbackId });
    expect(await cycle(T + 3 * MINUTE)).toMatchObject({ held: 1 });
    expect(await plan(db, fixture.target.id)).toMatchObject({ stepHolds: 1, percent: 10 });
    expect(await cycle(T + 3 * MINUTE + 30_000)).toMatchObject({ held: 0 }); // the next check is one interval later
    await cycle(T + 4 * MINUTE);
    await cycle(T + 5 * MINUTE);
    expect(await plan(db, fixture.target.id)).toMatchObject({ stepHolds: 3, percent: 10 });
    expect(await cycle(T + 6 * MINUTE)).toMatchObject({ advanced: 1 });
    expect(await flagOf(fixture.key)).toEqual({ enabled: true, percent: 50 });
    const warning = await db.notification.findFirst({
      where: { targetId: fixture.target.id, event: "flag_reenablement.advanced" },
    });
    expect(warning).toMatchObject({ severity: "WARNING" });

    await expect(
      operator.flagReenablements.cancel({ planId: started.id, reason: "operators may not" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    const approver = await callerFor(db, fixture.approver.id, clockAt(T + 6 * MINUTE));
    await expect(approver.flagReenablements.cancel({ planId: started.id, reason: " " })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    const cancelled = await approver.flagReenablements.cancel({ planId: started.id, reason: "Enough for today" });
    expect(cancelled).toMatchObject({ status: "CANCELLED", endReason: "Enough for today" });
    expect(await flagOf(fixture.key)).toEqual({ enabled: true, percent: 50 });
  });

  it("the emergency stop cancels running plans and turns the switches off; no start while it is active", async () => {
    const T = Date.UTC(2031, 4, 1);
    const fixture = await rolledBack(T);
    await feed(db, fixture.target.id, T, 2 * 60, "healthy");
    const operator = await callerFor(db, fixture.operator.id, clockAt(T + 2 * MINUTE));
    const started = await operator.flagReenablements.start({ rollbackId: fixture.rollbackId });
    await activateEmergencyStop(
      db,
      { actor: userActor(fixture.approver.id), reason: "Provider outage" },
      new Date(T + 2 * MINUTE + 10_000),
    );
    expect(await plan(db, fixture.target.id)).toMatchObject({
      id: started.id,
      status: "CANCELLED",
      endReason: "Provider outage",
    });
    expect(await flagOf(fixture.key)).toMatchObject({ enabled: false });
    await expect(operator.flagReenablements.start({ rollbackId: fixture.rollbackId })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringContaining("emergency stop") as unknown,
    });
  });

  it("sets a flag's percent (operators, audited, 0–100 with the field named)", async () => {
    const T = Date.UTC(2031, 5, 1);
    const fixture = await rolledBack(T);
    const operator = await callerFor(db, fixture.operator.id, clockAt(T));
    const bad = await operator.flags.setPercent({ id: fixture.flag.id, percent: 101 }).catch((error: unknown) => error);
    expect(bad).toMatchObject({ code: "BAD_REQUEST" });
    expect(JSON.stringify(bad)).toContain("percent");
    expect(await operator.flags.setPercent({ id: fixture.flag.id, percent: 30 })).toMatchObject({ percent: 30 });
    const event = await db.auditEvent.findFirst({
      where: { entityId: fixture.flag.id, action: "flag.percent_changed" },
    });
    expect(event).toMatchObject({ before: { percent: 100 }, after: { percent: 30 } });
    expect((await effectiveConfig(db, fixture.target.slug)).flags).toContainEqual({
      key: fixture.key,
      enabled: false,
      percent: 30,
    });
  });
});
