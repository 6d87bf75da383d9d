// rollbacks.timelines and rollbacks.incident on the real database: timelines from the audit events the
// transitions wrote, and the incident range from the verdicts before the request.
import { describe, expect, it } from "vitest";
import type { VerdictStatus } from "@/server/domain/evaluation";
import { startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { advanceDueRollbacks } from "@/server/services/rollbacks/cycle-steps";
import { BUCKET_MS, callerFor, makeUser, testDb } from "../helpers";
import { breachVerdict, lifecyclePolicy, lifecycleTarget, MINUTE, rollbackDecision } from "../lifecycle-fixtures";

const db = testDb();
const S = 1_000;
const DAY = 86_400_000;
const clockAt = (ms: number) => ({ now: () => new Date(ms) });

/** breachVerdict's details judged a 60 s window. */
async function record(targetId: string, at: number, status: VerdictStatus) {
  await db.verdictRecord.create({
    data: {
      targetId,
      evaluatedAt: new Date(at),
      status,
      severity: status === "BREACH" ? "CRITICAL" : null,
      consecutiveCount: status === "BREACH" || status === "VIOLATION" ? 1 : 0,
      details: { ...breachVerdict, status },
    },
  });
}

/** A proposal at T after a streak of violations, approved, started at 25% and aborted at T + 5 min. */
async function abortedIncident(T: number) {
  const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date(T - DAY));
  await record(fixture.target.id, T - 600 * S, "VIOLATION");
  await record(fixture.target.id, T - 300 * S, "HEALTHY");
  await record(fixture.target.id, T - 120 * S, "VIOLATION");
  await record(fixture.target.id, T - 60 * S, "BREACH");
  const { rollbackId } = await startRollbackFromDecision(
    db,
    {
      target: fixture.target,
      decision: rollbackDecision("PROPOSE_ROLLBACK"),
      verdict: breachVerdict,
      policy: fixture.policy,
      policyVersion: 1,
    },
    new Date(T),
  );
  const approver = await makeUser(db, "APPROVER");
  await (await callerFor(db, approver.id, clockAt(T + MINUTE))).rollbacks.approve({ rollbackId });
  await advanceDueRollbacks(db, { now: new Date(T + 2 * MINUTE), bucketWidthMs: BUCKET_MS });
  await (await callerFor(db, approver.id, clockAt(T + 5 * MINUTE))).rollbacks.abort({ rollbackId, reason: "test" });
  return { fixture, rollbackId };
}

describe("rollbacks.timelines", () => {
  it("gives each rollback overlapping the range its timeline from the audit events", async () => {
    const T = Date.UTC(2027, 4, 1, 3);
    const { fixture, rollbackId } = await abortedIncident(T);
    const viewer = await makeUser(db, "VIEWER");
    const caller = await callerFor(db, viewer.id, clockAt(T + 10 * MINUTE));

    const [timeline, ...others] = await caller.rollbacks.timelines({
      targetId: fixture.target.id,
      from: new Date(T - 30 * MINUTE),
      to: new Date(T + 10 * MINUTE),
    });
    expect(others).toEqual([]);
    expect(timeline).toMatchObject({ id: rollbackId, trigger: "SLO", status: "CANCELLED", requestedAt: new Date(T) });
    expect(timeline?.events).toEqual([
      { at: new Date(T), kind: "REQUESTED" },
      { at: new Date(T + MINUTE), kind: "APPROVED" },
      { at: new Date(T + 2 * MINUTE), kind: "STEP", trafficPercent: 25 },
      { at: new Date(T + 5 * MINUTE), kind: "ENDED", ending: "ABORTED" },
    ]);
    // Over before the range starts, or requested after it ends: not on the chart.
    for (const range of [
      { from: new Date(T + 6 * MINUTE), to: new Date(T + 60 * MINUTE) },
      { from: new Date(T - 60 * MINUTE), to: new Date(T) },
    ]) {
      expect(await caller.rollbacks.timelines({ targetId: fixture.target.id, ...range })).toEqual([]);
    }
  });
});

describe("rollbacks.incident", () => {
  it("zooms from the first violation's judged window before the request to the end, for a day after it", async () => {
    const T = Date.UTC(2027, 4, 2, 3);
    const { fixture, rollbackId } = await abortedIncident(T);
    const viewer = await makeUser(db, "VIEWER");

    const soon = await (
      await callerFor(db, viewer.id, clockAt(T + 10 * MINUTE))
    ).rollbacks.incident({
      targetId: fixture.target.id,
    });
    // The streak began with the violation at T − 2 min, which judged [T − 3 min, T − 2 min); the violation at
    // T − 10 min came before a healthy verdict and is another story. Its end at T + 5 min: 8 min in all.
    expect(soon).toMatchObject({
      rollback: { id: rollbackId, status: "CANCELLED" },
      from: new Date(T - 8 * MINUTE),
      to: new Date(T + 7 * MINUTE),
    });
    expect(soon?.rollback.events.map((event) => event.kind)).toEqual(["REQUESTED", "APPROVED", "STEP", "ENDED"]);

    const later = await callerFor(db, viewer.id, clockAt(T + 5 * MINUTE + DAY + S));
    expect(await later.rollbacks.incident({ targetId: fixture.target.id })).toBeNull();
    // A given rollback is zoomed on however old.
    expect(await later.rollbacks.incident({ rollbackId })).toMatchObject({ from: new Date(T - 8 * MINUTE) });
  });

  it("follows now while the rollback runs, and is null for a target without rollbacks", async () => {
    const T = Date.UTC(2027, 4, 3, 3);
    const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date(T - DAY));
    const viewer = await makeUser(db, "VIEWER");
    const caller = await callerFor(db, viewer.id, clockAt(T + MINUTE));
    expect(await caller.rollbacks.incident({ targetId: fixture.target.id })).toBeNull();

    await startRollbackFromDecision(
      db,
      {
        target: fixture.target,
        decision: rollbackDecision("PROPOSE_ROLLBACK"),
        verdict: breachVerdict,
        policy: fixture.policy,
        policyVersion: 1,
      },
      new Date(T),
    );
    // No verdicts before it: a margin before the request.
    expect(await caller.rollbacks.incident({ targetId: fixture.target.id })).toMatchObject({
      from: new Date(T - 5 * MINUTE),
      to: null,
    });
  });
});
