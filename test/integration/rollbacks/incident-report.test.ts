// rollbacks.report on the real database: an ended rollback's incident report from its row, audit events, step
// checks, notifications, verdicts and traffic, as a viewer reads it; and what it refuses.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { VerdictStatus } from "@/server/domain/evaluation";
import { abortRollback, startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { advanceDueRollbacks, verifyCompletedRollbacks } from "@/server/services/rollbacks/cycle-steps";
import { BUCKET_MS, callerFor, makeUser, rejection, testDb } from "../helpers";
import {
  attributed,
  breachVerdict,
  feed,
  lifecyclePolicy,
  lifecycleTarget,
  MINUTE,
  rollbackDecision,
} from "../lifecycle-fixtures";

const db = testDb();
const DAY = 86_400_000;
const clockAt = (ms: number) => ({ now: () => new Date(ms) });

/** Steps 50/100% a minute apart, compared on 100 requests per arm, verified over 2 minutes. */
const reportPolicy = {
  ...lifecyclePolicy,
  steps: [50, 100],
  configPickupSeconds: 10,
  stepMinRequests: 100,
  stepMaxHoldIntervals: 2,
};

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

/** A proposal at T after violations from T − 2 min; approved at T + 1 min and started at T + 2 min at 50%. */
async function startedIncident(T: number) {
  const fixture = await lifecycleTarget(db, reportPolicy, new Date(T - DAY));
  await record(fixture.target.id, T - 10 * MINUTE, "HEALTHY");
  await record(fixture.target.id, T - 2 * MINUTE, "VIOLATION");
  await record(fixture.target.id, T - MINUTE, "VIOLATION");
  await record(fixture.target.id, T, "BREACH");
  await feed(db, fixture.target.id, T - 5 * MINUTE, 300, "slow");
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
  await (await callerFor(db, approver.id, clockAt(T + MINUTE))).rollbacks.approve({ rollbackId, comment: "Go | now" });
  await advanceDueRollbacks(db, { now: new Date(T + 2 * MINUTE), bucketWidthMs: BUCKET_MS });
  return { ...fixture, rollbackId, approver };
}

describe("rollbacks.report", () => {
  it("reports a completed rollback: durations from the first violation, approver, step checks, charts, Markdown", async () => {
    const T = Date.UTC(2027, 6, 1, 3);
    const { target, rollbackId, approver } = await startedIncident(T);
    await db.target.update({ where: { id: target.id }, data: { name: "Chat | <script>x</script>" } });
    // Equal arms for the 50% step: it advances, then the 100% step completes.
    await attributed(db, target.id, 1, T + 2 * MINUTE, 60, { perSecond: 4, errorEvery: 50 });
    await attributed(db, target.id, 2, T + 2 * MINUTE, 60, { perSecond: 4, errorEvery: 50 });
    await advanceDueRollbacks(db, { now: new Date(T + 3 * MINUTE), bucketWidthMs: BUCKET_MS });
    await advanceDueRollbacks(db, { now: new Date(T + 4 * MINUTE), bucketWidthMs: BUCKET_MS });
    await feed(db, target.id, T + 4 * MINUTE, 240, "healthy");
    await attributed(db, target.id, 1, T + 4 * MINUTE, 240, { perSecond: 1, latencyMs: 500 });
    await record(target.id, T + 5 * MINUTE, "HEALTHY");
    await verifyCompletedRollbacks(db, new Date(T + 8 * MINUTE), { bucketWidthMs: BUCKET_MS });

    const viewer = await makeUser(db, "VIEWER");
    const { report, markdown, fileName, chart } = await (
      await callerFor(db, viewer.id, clockAt(T + 60 * MINUTE))
    ).rollbacks.report({ rollbackId });

    expect(report).toMatchObject({
      rollbackId,
      status: "COMPLETED",
      trigger: { code: "SLO", external: false, label: "SLO breach" },
      from: "v2",
      to: "v1",
      verification: { code: "EFFECTIVE", at: new Date(T + 8 * MINUTE) },
      firstViolation: { at: new Date(T - 2 * MINUTE), judgedFrom: new Date(T - 3 * MINUTE) },
      triggeringVerdicts: { total: 3, omitted: 0 },
    });
    expect(report.milestones.map((point) => [point.key, point.at, point.sinceViolationMs])).toEqual([
      ["REQUESTED", new Date(T), 2 * MINUTE],
      ["APPROVED", new Date(T + MINUTE), 3 * MINUTE],
      ["COMPLETED", new Date(T + 4 * MINUTE), 6 * MINUTE],
      ["RECOVERED", new Date(T + 5 * MINUTE), 7 * MINUTE],
    ]);
    expect(report.decisions).toEqual([
      { role: "Requested", who: "Rewind", detail: "automatic", at: new Date(T), comment: null },
      {
        role: "Approved",
        who: approver.name,
        detail: approver.email,
        at: new Date(T + MINUTE),
        comment: "Go | now",
      },
    ]);
    expect(report.triggeringVerdicts.shown[2]?.violations).toEqual([
      { slo: "P95_LATENCY", title: "P95 latency", observed: "2.95 s", threshold: "1 s", window: "over 1 min" },
    ]);
    const titles = report.timeline.map((entry) => entry.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        "Requested",
        "Approved",
        "Started: traffic moved",
        "Step check at 50%: advance",
        "Completed",
        "Verified effective",
      ]),
    );
    expect(titles.some((title) => title.startsWith("Notified"))).toBe(true);
    expect(report.timeline.find((entry) => entry.kind === "STEP_CHECK")?.details[0]).toMatch(
      /^Known-good \(v1\): 200 requests, error rate 2%, P95 latency/,
    );

    // The charts zoom from before the first violation's window to after the verification, with the breach shaded.
    expect(chart.from.getTime()).toBeLessThanOrEqual(T - 3 * MINUTE);
    expect(chart.to.getTime()).toBeGreaterThanOrEqual(T + 8 * MINUTE);
    expect(chart.points.some((point) => point.requestCount > 0 && point.p95Ms !== null)).toBe(true);
    expect(chart.periods.map((period) => period.level)).toContain("BREACH");
    expect(chart.rollback.events.map((event) => event.kind)).toEqual([
      "REQUESTED",
      "APPROVED",
      "STEP",
      "STEP",
      "COMPLETED",
      "VERIFIED",
    ]);
    expect(chart.limits).toMatchObject({ ERROR_RATE: 0.05, P95_LATENCY: 1_000 });
    expect(report.series.rows.length).toBeLessThanOrEqual(30);
    expect(report.series.rows.some((row) => row.cells.some((cell) => cell.over))).toBe(true);

    expect(fileName).toBe(`incident-${target.slug}-${rollbackId}.md`);
    expect(markdown).toContain("# Incident report: Chat \\| &lt;script&gt;x&lt;/script&gt;");
    expect(markdown).not.toContain("<script>");
    expect(markdown).toContain(`| Approved | ${approver.name} (${approver.email}) |`);
    expect(markdown).toContain("| Rollback completed | 2027-07-01 03:04:00 UTC | 6 min | 4 min |");
    expect(markdown).toContain("Go \\| now");
  });

  it("names the API key that aborted a rollback, and reports how far it went", async () => {
    const T = Date.UTC(2027, 6, 2, 3);
    const { rollbackId } = await startedIncident(T);
    const name = `deploy-bot-${randomBytes(3).toString("hex")}`;
    const key = await db.apiKey.create({
      data: {
        name,
        prefix: `rw_${randomBytes(6).toString("hex")}`,
        keyHash: randomBytes(16).toString("hex"),
        scopes: "rollbacks:write",
        signingSecretEncrypted: "unused",
        createdAt: new Date(T - DAY),
      },
      select: { id: true },
    });
    await abortRollback(
      db,
      { actor: { type: "API_KEY", id: key.id }, rollbackId, reason: "Wrong target" },
      new Date(T + 3 * MINUTE),
    );

    const viewer = await makeUser(db, "VIEWER");
    const { report, markdown } = await (
      await callerFor(db, viewer.id, clockAt(T + 10 * MINUTE))
    ).rollbacks.report({ rollbackId });
    expect(report.outcome).toBe("Aborted at 50%: all traffic went back to v2.");
    expect(report.decisions.at(-1)).toMatchObject({
      role: "Aborted",
      who: `API key “${name}”`,
      comment: "Wrong target",
    });
    expect(report.milestones.map((point) => [point.key, point.note])).toEqual([
      ["REQUESTED", null],
      ["APPROVED", "1 approval complete"],
      ["COMPLETED", "did not complete: it was aborted at 50%"],
      ["RECOVERED", "not measured: it was aborted at 50%, so no recovery can be credited to it"],
    ]);
    expect(markdown).toContain(`| Aborted | API key “${name.replace(/_/g, "\\_")}” |`);
  });

  it("is 404 for an unknown rollback, 400 for a malformed id, 409 while it runs, and for signed-in users only", async () => {
    const T = Date.UTC(2027, 6, 3, 3);
    const { rollbackId } = await startedIncident(T);
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id, clockAt(T + 3 * MINUTE));

    expect((await rejection(viewer.rollbacks.report({ rollbackId: "no-such-rollback" }))).code).toBe("NOT_FOUND");
    expect((await rejection(viewer.rollbacks.report({ rollbackId: "" }))).code).toBe("BAD_REQUEST");
    expect((await rejection(viewer.rollbacks.report({ rollbackId: "x".repeat(101) }))).code).toBe("BAD_REQUEST");
    const running = await rejection(viewer.rollbacks.report({ rollbackId }));
    expect(running.code).toBe("CONFLICT");
    expect(running.message).toMatch(/has not ended/);
    const anonymous = await callerFor(db, null, clockAt(T + 3 * MINUTE));
    expect((await rejection(anonymous.rollbacks.report({ rollbackId }))).code).toBe("UNAUTHORIZED");
    // Ended, the same viewer reads it.
    await abortRollback(
      db,
      { actor: { type: "USER", id: (await makeUser(db, "APPROVER")).id }, rollbackId, reason: "done" },
      new Date(T + 3 * MINUTE),
    );
    expect((await viewer.rollbacks.report({ rollbackId })).report.status).toBe("CANCELLED");
  });
});
