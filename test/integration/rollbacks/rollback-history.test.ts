// The dashboard's reads of rollbacks: history filters (the actor among them), the summary, the export, the
// approvals queue and one rollback's page, on rollbacks driven through every state by the services.
import { describe, expect, it } from "vitest";
import type { Db } from "@/server/db";
import type { Verdict } from "@/server/domain/evaluation";
import { userActor } from "@/server/services/audit/audit-log";
import {
  abortRollback,
  approveRollback,
  rejectRollback,
  requestManualRollback,
  startRollbackFromDecision,
} from "@/server/services/rollbacks/commands";
import { advanceDueRollbacks, verifyCompletedRollbacks } from "@/server/services/rollbacks/cycle-steps";
import { exportRollbacks, listRollbacks } from "@/server/services/rollbacks/history";
import { textOf } from "../export-fixtures";
import { BUCKET_MS, callerFor, makeUser, testDb } from "../helpers";
import {
  breach,
  breachVerdict,
  feed,
  lifecyclePolicy,
  lifecycleTarget,
  MINUTE,
  rollbackDecision,
  savePolicy,
  SECOND,
} from "../lifecycle-fixtures";

const db = testDb();
const DAY = 86_400_000;
/** Monday 2 June 2031, 00:00 UTC: no other test keeps rollbacks in these weeks. */
const T = Date.UTC(2031, 5, 2);
const clockAt = (ms: number) => ({ now: () => new Date(ms) });
type Fixture = Awaited<ReturnType<typeof lifecycleTarget>>;

function fromDecision(client: Db, fixture: Fixture, kind: Parameters<typeof rollbackDecision>[0], now: number) {
  const verdict: Verdict = kind === "EMERGENCY_ROLLBACK" ? breach("EMERGENCY") : breachVerdict;
  return startRollbackFromDecision(
    client,
    { target: fixture.target, decision: rollbackDecision(kind), verdict, policy: fixture.policy, policyVersion: 1 },
    new Date(now),
  );
}

const advance = (now: number) => advanceDueRollbacks(db, { now: new Date(now), bucketWidthMs: BUCKET_MS });

/**
 * Four rollbacks over two weeks on two targets:
 * - r1 manual on A at T, approved at +1 min, started at +3 min (3 min to action), aborted at +4 min;
 * - r2 SLO proposal on A at T + 1 d, rejected;
 * - r3 emergency on A at T + 8 d (0 to action), completed a step later, verified effective;
 * - r4 automatic on B at T + 9 d, started at +2 min, completed, then ineffective (B still breaches).
 */
async function history() {
  const a = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
  // B has no traffic until r4 completes: its steps advance without a comparison rather than hold.
  const b = await lifecycleTarget(db, { ...lifecyclePolicy, mode: "AUTOMATIC", stepMaxHoldIntervals: 0 }, new Date(T));
  const [operator, approver, aborter, bystander] = await Promise.all([
    makeUser(db, "OPERATOR"),
    makeUser(db, "APPROVER"),
    makeUser(db, "APPROVER"),
    makeUser(db, "APPROVER"),
  ]);

  const r1 = await requestManualRollback(
    db,
    { actor: userActor(operator.id), targetId: a.target.id, toSnapshotId: a.good.id, reason: "v2 doubled latency" },
    new Date(T),
  );
  await approveRollback(db, { actor: userActor(approver.id), rollbackId: r1.id }, new Date(T + MINUTE));
  await advance(T + 3 * MINUTE);
  await abortRollback(
    db,
    { actor: userActor(aborter.id), rollbackId: r1.id, reason: "Known-good model retired" },
    new Date(T + 4 * MINUTE),
  );

  const r2 = await fromDecision(db, a, "PROPOSE_ROLLBACK", T + DAY);
  await rejectRollback(
    db,
    { actor: userActor(approver.id), rollbackId: r2.rollbackId, comment: "Provider incident" },
    new Date(T + DAY + MINUTE),
  );

  const r3Start = T + 8 * DAY;
  const r3 = await fromDecision(db, a, "EMERGENCY_ROLLBACK", r3Start);
  await advance(r3Start + MINUTE);
  // Verification judges v1's own traffic after completion: healthy on A, an outage on B.
  await feed(db, a.target.id, r3Start + MINUTE, 120, "healthy");

  const r4Start = T + 9 * DAY;
  const r4 = await fromDecision(db, b, "AUTO_ROLLBACK", r4Start);
  for (const minutes of [2, 3, 4, 5]) await advance(r4Start + minutes * MINUTE);
  const r4Completed = r4Start + 5 * MINUTE;
  await feed(db, b.target.id, r4Completed, 90, "outage");
  await db.verdictRecord.create({
    data: {
      targetId: b.target.id,
      evaluatedAt: new Date(r4Completed + MINUTE),
      status: "BREACH",
      severity: "CRITICAL",
      consecutiveCount: 4,
      details: breachVerdict,
      policyVersion: 1,
    },
  });
  return {
    a,
    b,
    users: { operator, approver, aborter, bystander },
    ids: { r1: r1.id, r2: r2.rollbackId, r3: r3.rollbackId, r4: r4.rollbackId },
    times: { r3Completed: r3Start + MINUTE, r4Completed },
  };
}

describe("rollback history", () => {
  it("filters by actor, summarizes and exports the same filtered set", async () => {
    const { a, users, ids, times } = await history();
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id, clockAt(T + 10 * DAY));

    // r3 completed and is being verified: its page says until when.
    expect((await viewer.rollbacks.byId({ rollbackId: ids.r3 })).policy).toMatchObject({
      verificationEndsAt: new Date(times.r3Completed + 120 * SECOND),
      nextStepDueAt: null,
      approvalDeadline: null,
    });
    const verify = (at: number) => verifyCompletedRollbacks(db, new Date(at), { bucketWidthMs: BUCKET_MS });
    await verify(times.r3Completed + 121 * SECOND);
    await verify(times.r4Completed + MINUTE + 10 * SECOND);

    const idsOf = async (filter: Parameters<typeof listRollbacks>[1]) =>
      (await listRollbacks(db, filter)).items.map((item) => item.id);
    expect(await idsOf({ actorId: users.operator.id })).toEqual([ids.r1]);
    expect(await idsOf({ actorId: users.approver.id })).toEqual([ids.r2, ids.r1]);
    expect(await idsOf({ actorId: users.aborter.id })).toEqual([ids.r1]);
    expect(await idsOf({ actorId: users.bystander.id })).toEqual([]);
    expect(await idsOf({ actorId: users.approver.id, status: "REJECTED" })).toEqual([ids.r2]);
    expect(await idsOf({ targetId: a.target.id, trigger: "EMERGENCY" })).toEqual([ids.r3]);

    const [r1] = (await viewer.rollbacks.list({ actorId: users.operator.id })).items;
    expect(r1).toMatchObject({
      status: "CANCELLED",
      aborted: true,
      startedAt: new Date(T + 3 * MINUTE),
      timeToActionMs: 3 * MINUTE,
      endedBy: { id: users.aborter.id, email: users.aborter.email },
      verification: null,
    });

    const range = { from: new Date(T), to: new Date(T + 14 * DAY) };
    const summary = await viewer.rollbacks.summary(range);
    expect(summary).toEqual({
      total: 4,
      byTrigger: { EMERGENCY: 1, SLO: 2, MANUAL: 1 },
      weeks: [
        { start: new Date(T), total: 2, EMERGENCY: 0, SLO: 1, MANUAL: 1 },
        { start: new Date(T + 7 * DAY), total: 2, EMERGENCY: 1, SLO: 1, MANUAL: 0 },
      ],
      weeksTruncated: false,
      // r1 3 min, r3 0 (emergency: traffic moved at once), r4 2 min; r2 never moved traffic.
      timeToAction: { medianMs: 2 * MINUTE, count: 3 },
      verification: { effective: 1, ineffective: 1, inconclusive: 0, pending: 0, ineffectiveShare: 0.5 },
    });
    expect(await viewer.rollbacks.summary({ ...range, targetId: a.target.id, trigger: "SLO" })).toMatchObject({
      total: 1,
      timeToAction: { medianMs: null, count: 0 },
      verification: { ineffectiveShare: null },
    });
    await expect(viewer.rollbacks.summary({ from: new Date(T), to: new Date(T) })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });

    const exported = async (input: Parameters<typeof exportRollbacks>[1]) =>
      (await textOf(exportRollbacks(db, input).chunks)).text;
    const json = JSON.parse(await exported({ ...range, format: "json" })) as {
      id: string;
      status: string;
      verification: string | null;
    }[];
    expect(json.map((item) => [item.id, item.status, item.verification])).toEqual([
      [ids.r4, "COMPLETED", "INEFFECTIVE"],
      [ids.r3, "COMPLETED", "EFFECTIVE"],
      [ids.r2, "REJECTED", null],
      [ids.r1, "CANCELLED", null],
    ]);
    const csv = await exported({ ...range, actorId: users.operator.id, format: "csv" });
    const [header, line, end] = csv.split("\r\n");
    expect(header).toBe(
      "id,targetSlug,targetName,trigger,status,requestedAt,requestedBy,reason,fromVersion,toVersion,steps," +
        "trafficPercent,approvalsRequired,approvals,startedAt,timeToActionSeconds,endedAt,endedBy,endReason,aborted," +
        "verification,verifiedAt",
    );
    expect(line).toBe(
      [
        ids.r1,
        a.target.slug,
        a.target.name,
        "MANUAL",
        "CANCELLED",
        new Date(T).toISOString(),
        users.operator.email,
        "v2 doubled latency",
        2,
        1,
        "25/50/100",
        0,
        1,
        1,
        new Date(T + 3 * MINUTE).toISOString(),
        180,
        new Date(T + 4 * MINUTE).toISOString(),
        users.aborter.email,
        "Known-good model retired",
        true,
        "",
        "",
      ].join(","),
    );
    expect(end).toBe("");

    const actors = await viewer.rollbacks.actors();
    const actorIds = actors.map((actor) => actor.id);
    for (const user of [users.operator, users.approver, users.aborter]) expect(actorIds).toContain(user.id);
    expect(actorIds).not.toContain(users.bystander.id);
    expect(actors.find((actor) => actor.id === users.operator.id)).toEqual({
      id: users.operator.id,
      name: users.operator.name,
      email: users.operator.email,
    });
  });

  it("a rollback's timeline is the audit events of that rollback, found by entity", async () => {
    const { ids } = await history();
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    const { events } = await viewer.audit.list({ filter: { entityType: "Rollback", entityId: ids.r1 }, limit: 200 });
    expect(events.map((event) => event.action).reverse()).toEqual([
      "rollback.created",
      "rollback.approved",
      "rollback.started",
      "rollback.aborted",
    ]);
  });
});

describe("approvals queue", () => {
  it("lists pending rollbacks with the thresholds their verdict was judged by and when they expire", async () => {
    const start = T + 20 * DAY;
    const fixture = await lifecycleTarget(db, { ...lifecyclePolicy, approvalsRequired: 2 }, new Date(start));
    const { rollbackId } = await fromDecision(db, fixture, "PROPOSE_ROLLBACK", start);
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id, clockAt(start + MINUTE));

    const queued = (await viewer.rollbacks.pending()).find((item) => item.id === rollbackId);
    expect(queued).toMatchObject({
      status: "PENDING_APPROVAL",
      approvalsRequired: 2,
      approvalCount: 0,
      target: { id: fixture.target.id, slug: fixture.target.slug },
      evidence: { verdict: { status: "BREACH", observed: { p95Ms: 2_950 } }, policyVersion: 1 },
      policy: {
        thresholds: { policyVersion: 1, maxErrorRate: 0.05, maxP95LatencyMs: 1_000, maxCostPerRequestUsd: 0.05 },
        approvalDeadline: new Date(start + 600 * SECOND),
        nextStepDueAt: null,
        verificationEndsAt: null,
      },
    });

    // A later policy: the evidence keeps the thresholds it was judged by; the deadline follows the timeout the
    // cycle now applies.
    await savePolicy(
      db,
      fixture.target.id,
      { ...lifecyclePolicy, approvalsRequired: 2, maxP95LatencyMs: 2_000, approvalTimeoutSeconds: 1_200 },
      new Date(start + MINUTE),
    );
    expect((await viewer.rollbacks.byId({ rollbackId })).policy).toMatchObject({
      thresholds: { policyVersion: 1, maxP95LatencyMs: 1_000 },
      approvalDeadline: new Date(start + 1_200 * SECOND),
    });

    const approvers = await Promise.all([makeUser(db, "APPROVER"), makeUser(db, "APPROVER")]);
    for (const approver of approvers) {
      await approveRollback(db, { actor: userActor(approver.id), rollbackId }, new Date(start + 2 * MINUTE));
    }
    expect((await viewer.rollbacks.pending()).some((item) => item.id === rollbackId)).toBe(false);

    await advance(start + 3 * MINUTE);
    expect((await viewer.rollbacks.byId({ rollbackId })).policy).toMatchObject({
      approvalDeadline: null,
      nextStepDueAt: new Date(start + 4 * MINUTE),
    });
  });
});
