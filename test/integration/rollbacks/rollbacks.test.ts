import { describe, expect, it } from "vitest";
import type { Db } from "@/server/db";
import { systemActor, userActor } from "@/server/services/audit/audit-log";
import {
  abortRollback,
  approveRollback,
  cancelRollback,
  startRollbackFromDecision,
} from "@/server/services/rollbacks/commands";
import { advanceDueRollbacks } from "@/server/services/rollbacks/cycle-steps";
import { listRollbacks } from "@/server/services/rollbacks/history";
import { getRollback } from "@/server/services/rollbacks/views";
import { BUCKET_MS, callerFor, makeUser, testDb } from "../helpers";
import {
  breach,
  breachVerdict,
  createSnapshot,
  lifecyclePolicy,
  lifecycleTarget,
  MINUTE,
  rollbackDecision,
} from "../lifecycle-fixtures";

const db = testDb();
const DAY = 86_400_000;
const clockAt = (ms: number) => ({ now: () => new Date(ms) });

async function proposal(client: Db, fixture: Awaited<ReturnType<typeof lifecycleTarget>>, now: number) {
  return startRollbackFromDecision(
    client,
    {
      target: fixture.target,
      decision: rollbackDecision("PROPOSE_ROLLBACK"),
      verdict: breachVerdict,
      policy: fixture.policy,
      policyVersion: 1,
    },
    new Date(now),
  );
}

function auditActions(rollbackId: string) {
  return db.auditEvent
    .findMany({ where: { entityId: rollbackId }, orderBy: { sequence: "asc" }, select: { action: true } })
    .then((events) => events.map((event) => event.action));
}

describe("manual rollbacks", () => {
  it("an operator picks a snapshot and gives a reason; it waits for approval, with its evidence", async () => {
    const T = Date.UTC(2027, 0, 1);
    const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    const operator = await makeUser(db, "OPERATOR");
    const caller = await callerFor(db, operator.id, clockAt(T));

    const rollback = await caller.rollbacks.requestManual({
      targetId: fixture.target.id,
      toSnapshotId: fixture.good.id,
      reason: "v2 doubled the cost per request",
    });
    expect(rollback).toMatchObject({
      trigger: "MANUAL",
      status: "PENDING_APPROVAL",
      requestedBy: { id: operator.id, email: operator.email },
      requestedAt: new Date(T),
      reason: "v2 doubled the cost per request",
      approvalsRequired: 1,
      fromSnapshot: { id: fixture.bad.id, version: 2 },
      toSnapshot: { id: fixture.good.id, version: 1 },
      evidence: { verdict: null, decision: null, policyVersion: 1 },
      trafficSplit: [{ snapshotId: fixture.bad.id, weight: 100 }],
    });
    expect(await auditActions(rollback.id)).toEqual(["rollback.created"]);
    expect(
      await db.notification.findFirst({ where: { rollbackId: rollback.id }, select: { event: true, severity: true } }),
    ).toEqual({ event: "rollback.proposed", severity: "WARNING" });

    const { items } = await caller.rollbacks.list({ targetId: fixture.target.id });
    expect(items.map((item) => [item.id, item.status])).toEqual([[rollback.id, "PENDING_APPROVAL"]]);
    await expect(
      caller.rollbacks.requestManual({ targetId: fixture.target.id, toSnapshotId: fixture.good.id, reason: "again" }),
    ).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/already active/) as unknown });
  });

  it("refuses a snapshot that is current, failed, corrupted or of another target, and a blank reason", async () => {
    const T = Date.UTC(2027, 0, 2);
    const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    const other = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    const failed = await createSnapshot(db, fixture.target.id, 3, { failedAt: new Date(T) });
    const corrupted = await createSnapshot(db, fixture.target.id, 4);
    await db.configSnapshot.update({ where: { id: corrupted.id }, data: { config: { model: "tampered" } } });
    const caller = await callerFor(db, (await makeUser(db, "OPERATOR")).id, clockAt(T));
    const request = (toSnapshotId: string, reason = "bad deploy") =>
      caller.rollbacks.requestManual({ targetId: fixture.target.id, toSnapshotId, reason });

    await expect(request(fixture.bad.id)).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "This snapshot is already the current one",
    });
    await expect(request(failed.id)).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    await expect(request(corrupted.id)).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "Snapshot v4 failed its checksum: refusing to serve a corrupted configuration",
    });
    await expect(request(other.good.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(request(fixture.good.id, "   ")).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await db.rollback.count({ where: { targetId: fixture.target.id } })).toBe(0);
  });
});

describe("approvals", () => {
  it("with two required: the requester's own is refused, nobody approves twice, two others approve", async () => {
    const T = Date.UTC(2027, 0, 3);
    const fixture = await lifecycleTarget(db, { ...lifecyclePolicy, approvalsRequired: 2 }, new Date(T));
    const [requester, first, second] = await Promise.all([
      makeUser(db, "APPROVER"),
      makeUser(db, "APPROVER"),
      makeUser(db, "APPROVER"),
    ]);
    const as = (userId: string, at = T + MINUTE) => callerFor(db, userId, clockAt(at));
    const { id } = await (
      await as(requester.id)
    ).rollbacks.requestManual({ targetId: fixture.target.id, toSnapshotId: fixture.good.id, reason: "bad model" });

    await expect((await as(requester.id)).rollbacks.approve({ rollbackId: id })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "You requested this rollback and it needs 2 approvals: two other approvers must approve it",
    });
    const once = await (await as(first.id)).rollbacks.approve({ rollbackId: id, comment: "  looks right " });
    expect(once).toMatchObject({ status: "PENDING_APPROVAL", approvalCount: 1 });
    await expect((await as(first.id)).rollbacks.approve({ rollbackId: id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "You have already approved this rollback",
    });
    const twice = await (await as(second.id, T + 2 * MINUTE)).rollbacks.approve({ rollbackId: id });
    expect(twice).toMatchObject({ status: "APPROVED", approvalCount: 2, version: 2 });
    expect(twice.approvals).toEqual([
      {
        user: { id: first.id, name: first.name, email: first.email },
        decision: "APPROVE",
        comment: "looks right",
        at: new Date(T + MINUTE),
      },
      {
        user: { id: second.id, name: second.name, email: second.email },
        decision: "APPROVE",
        comment: null,
        at: new Date(T + 2 * MINUTE),
      },
    ]);
    expect(await auditActions(id)).toEqual(["rollback.created", "rollback.approval_added", "rollback.approved"]);
  });

  it("a rejection needs a comment and ends the rollback", async () => {
    const T = Date.UTC(2027, 0, 4);
    const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    const { rollbackId } = await proposal(db, fixture, T);
    const approver = await makeUser(db, "APPROVER");
    const caller = await callerFor(db, approver.id, clockAt(T + MINUTE));

    await expect(caller.rollbacks.reject({ rollbackId, comment: "  " })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const rejected = await caller.rollbacks.reject({ rollbackId, comment: "Provider incident, not our config" });
    expect(rejected).toMatchObject({
      status: "REJECTED",
      endedBy: { id: approver.id },
      endedAt: new Date(T + MINUTE),
      endReason: "Provider incident, not our config",
      approvals: [{ decision: "REJECT", comment: "Provider incident, not our config" }],
    });
    expect(await db.rollback.findUnique({ where: { id: rollbackId }, select: { activeTargetId: true } })).toEqual({
      activeTargetId: null,
    });
    await expect(caller.rollbacks.approve({ rollbackId })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "Cannot approve a rollback that is REJECTED",
    });
    expect(await db.notification.count({ where: { rollbackId, event: "rollback.rejected" } })).toBe(1);
  });
});

describe("cancel and abort", () => {
  it("cancels a rollback that has not started; refuses to abort it or to cancel one in progress", async () => {
    const T = Date.UTC(2027, 0, 5);
    const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    const approver = userActor((await makeUser(db, "APPROVER")).id);
    const { rollbackId } = await proposal(db, fixture, T);

    await expect(abortRollback(db, { actor: approver, rollbackId, reason: "no" }, new Date(T))).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "Cannot abort a rollback that is PENDING_APPROVAL: it has not started, cancel it instead",
    });
    await expect(cancelRollback(db, { actor: approver, rollbackId, reason: "" }, new Date(T))).rejects.toMatchObject({
      code: "VALIDATION",
    });
    const cancelled = await cancelRollback(db, { actor: approver, rollbackId, reason: "Fixed upstream" }, new Date(T));
    expect(cancelled).toMatchObject({ status: "CANCELLED", aborted: false, endReason: "Fixed upstream" });

    const emergency = await startRollbackFromDecision(
      db,
      {
        target: fixture.target,
        decision: rollbackDecision("EMERGENCY_ROLLBACK"),
        verdict: breach("EMERGENCY"),
        policy: fixture.policy,
        policyVersion: 1,
      },
      new Date(T + MINUTE),
    );
    expect(emergency).toMatchObject({ created: true, status: "IN_PROGRESS" });
    await expect(
      cancelRollback(db, { actor: approver, rollbackId: emergency.rollbackId, reason: "no" }, new Date(T + MINUTE)),
    ).rejects.toMatchObject({
      message:
        "Cannot cancel a rollback that is IN_PROGRESS: abort it instead, which returns traffic to the configuration from before the rollback",
    });
    await expect(
      approveRollback(db, { actor: systemActor, rollbackId: emergency.rollbackId }, new Date(T + MINUTE)),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("aborting a gradual rollback returns all traffic to the snapshot from before it", async () => {
    const T = Date.UTC(2027, 0, 6);
    const fixture = await lifecycleTarget(db, { ...lifecyclePolicy, mode: "AUTOMATIC" }, new Date(T));
    const started = await startRollbackFromDecision(
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
    expect(started).toMatchObject({ created: true, status: "APPROVED" });
    await advanceDueRollbacks(db, { now: new Date(T), bucketWidthMs: BUCKET_MS });
    const running = await getRollback(db, started.rollbackId);
    expect(running).toMatchObject({ status: "IN_PROGRESS", trafficPercent: 25, approvalsRequired: 0 });
    expect(running.trafficSplit).toEqual([
      { snapshotId: fixture.bad.id, weight: 75 },
      { snapshotId: fixture.good.id, weight: 25 },
    ]);

    const approver = await makeUser(db, "APPROVER");
    const aborted = await (
      await callerFor(db, approver.id, clockAt(T + 30_000))
    ).rollbacks.abort({ rollbackId: started.rollbackId, reason: "The known-good model was retired" });
    expect(aborted).toMatchObject({
      status: "CANCELLED",
      aborted: true,
      trafficPercent: 0,
      endReason: "The known-good model was retired",
      trafficSplit: [{ snapshotId: fixture.bad.id, weight: 100 }],
    });
    expect(
      await db.target.findUnique({ where: { id: fixture.target.id }, select: { currentSnapshotId: true } }),
    ).toEqual({ currentSnapshotId: fixture.bad.id });
    const audit = await db.auditEvent.findFirst({
      where: { entityId: started.rollbackId, action: "rollback.aborted" },
      select: { actorId: true, before: true, after: true, reason: true },
    });
    expect(audit).toEqual({
      actorId: approver.id,
      before: { status: "IN_PROGRESS", trafficPercent: 25, approvals: 0 },
      after: { status: "CANCELLED", trafficPercent: 0, approvals: 0 },
      reason: "The known-good model was retired",
    });
  });
});

describe("concurrency", () => {
  it("two approvers clicking together on a one-approval rollback: exactly one approval", async () => {
    const T = Date.UTC(2027, 0, 7);
    const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    const { rollbackId } = await proposal(db, fixture, T);
    const approvers = await Promise.all([makeUser(db, "APPROVER"), makeUser(db, "APPROVER")]);

    const results = await Promise.allSettled(
      approvers.map((approver) =>
        approveRollback(testDb(), { actor: userActor(approver.id), rollbackId }, new Date(T + MINUTE)),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const [refused] = results.flatMap((result) => (result.status === "rejected" ? [result.reason as unknown] : []));
    expect(refused).toMatchObject({ code: expect.stringMatching(/^(PRECONDITION_FAILED|CONFLICT)$/) as unknown });
    expect(await getRollback(db, rollbackId)).toMatchObject({ status: "APPROVED", approvalCount: 1, version: 1 });
    expect(await auditActions(rollbackId)).toEqual(["rollback.created", "rollback.approved"]);
  });

  it("two approvers clicking together on a two-approval rollback: both count, once each", async () => {
    const T = Date.UTC(2027, 0, 8);
    const fixture = await lifecycleTarget(db, { ...lifecyclePolicy, approvalsRequired: 2 }, new Date(T));
    const { rollbackId } = await proposal(db, fixture, T);
    const approvers = await Promise.all([makeUser(db, "APPROVER"), makeUser(db, "APPROVER")]);

    await Promise.all(
      approvers.map((approver) =>
        approveRollback(testDb(), { actor: userActor(approver.id), rollbackId }, new Date(T + MINUTE)),
      ),
    );
    expect(await getRollback(db, rollbackId)).toMatchObject({ status: "APPROVED", approvalCount: 2, version: 2 });
    expect(await auditActions(rollbackId)).toEqual([
      "rollback.created",
      "rollback.approval_added",
      "rollback.approved",
    ]);
  });

  it("the database refuses a second active rollback of a target; racing creations make one", async () => {
    const T = Date.UTC(2027, 0, 9);
    const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    const results = await Promise.all([proposal(testDb(), fixture, T), proposal(testDb(), fixture, T)]);
    expect(results.map((result) => result.created).sort()).toEqual([false, true]);
    expect(new Set(results.map((result) => result.rollbackId)).size).toBe(1);

    await expect(
      db.rollback.create({
        data: {
          targetId: fixture.target.id,
          activeTargetId: fixture.target.id,
          trigger: "MANUAL",
          status: "PENDING_APPROVAL",
          fromSnapshotId: fixture.bad.id,
          toSnapshotId: fixture.good.id,
          steps: [100],
          currentStep: -1,
          trafficPercent: 0,
          approvalsRequired: 1,
          requestedAt: new Date(T),
        },
      }),
    ).rejects.toMatchObject({ code: "P2002" });
    expect(await db.rollback.count({ where: { targetId: fixture.target.id } })).toBe(1);
  });
});

describe("listRollbacks", () => {
  it("filters by target, trigger, status and time, newest first, a page at a time", async () => {
    const T = Date.UTC(2027, 0, 10);
    const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    const approver = userActor((await makeUser(db, "APPROVER")).id);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { rollbackId } = await proposal(db, fixture, T + i * DAY);
      await cancelRollback(db, { actor: approver, rollbackId, reason: "test" }, new Date(T + i * DAY));
      ids.push(rollbackId);
    }

    const first = await listRollbacks(db, { targetId: fixture.target.id, limit: 2 });
    expect(first.items.map((item) => item.id)).toEqual([ids[2], ids[1]]);
    const second = await listRollbacks(db, { targetId: fixture.target.id, limit: 2, cursor: first.nextCursor ?? "" });
    expect(second).toMatchObject({ items: [{ id: ids[0] }], nextCursor: null });
    const filtered = await listRollbacks(db, {
      targetId: fixture.target.id,
      trigger: "SLO",
      status: "CANCELLED",
      from: new Date(T + DAY),
      to: new Date(T + 2 * DAY),
    });
    expect(filtered.items.map((item) => item.id)).toEqual([ids[1]]);
    expect(await listRollbacks(db, { targetId: fixture.target.id, trigger: "MANUAL" })).toEqual({
      items: [],
      nextCursor: null,
    });
    await expect(listRollbacks(db, { from: new Date(T), to: new Date(T) })).rejects.toMatchObject({
      code: "VALIDATION",
    });
  });
});
