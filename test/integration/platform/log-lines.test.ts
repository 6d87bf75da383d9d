// What the server log says about decisions and actions (server/services/platform/log.ts): an audited action is one
// line with its target, rollback and actor, a verdict change one line, and a transaction that rolls back none.
import { afterEach, describe, expect, it } from "vitest";
import { activateEmergencyStop, liftEmergencyStop } from "@/server/services/config/system-switches";
import { appendAudit, systemActor, userActor } from "@/server/services/audit/audit-log";
import { runMonitoringCycle } from "@/server/services/monitoring/cycle";
import { retryOnConflict } from "@/server/services/platform/retry";
import { captureLog, type CapturedLog, type LogLine } from "../../capture-log";
import { makeUser, testDb } from "../helpers";
import { cycleOptions, feed, lifecycleTarget, lifecyclePolicy, MINUTE } from "../lifecycle-fixtures";

const db = testDb();
/** A day of its own: other files' cycles run at other instants. */
const T = Date.UTC(2034, 4, 17);

let captured: CapturedLog | null = null;
afterEach(() => {
  captured?.restore();
  captured = null;
});

function linesAbout(log: CapturedLog, field: string, value: unknown): LogLine[] {
  return log.lines().filter((line) => line[field] === value);
}

describe("log lines", () => {
  it("a cycle that sees an emergency logs the verdict change, then the rollback's creation and completion", async () => {
    const { target } = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    await feed(db, target.id, T, 60 * 3, "outage");
    const log = (captured = captureLog("info"));

    await runMonitoringCycle(db, cycleOptions(T + MINUTE));
    const first = linesAbout(log, "targetId", target.id);
    expect(first.find((line) => line.msg === "verdict.changed")).toEqual({
      time: expect.any(String) as unknown,
      level: "warn",
      msg: "verdict.changed",
      target: target.slug,
      targetId: target.id,
      from: null,
      to: "BREACH",
      severity: "EMERGENCY",
      decision: "EMERGENCY_ROLLBACK",
    });
    const created = first.find((line) => line.msg === "rollback.created");
    expect(created).toEqual({
      time: expect.any(String) as unknown,
      level: "info",
      msg: "rollback.created",
      target: target.slug,
      targetId: target.id,
      rollbackId: expect.any(String) as unknown,
      entityType: "Rollback",
      entityId: created?.rollbackId,
      actor: "system",
      status: "IN_PROGRESS",
      trafficPercent: 100,
      trigger: "EMERGENCY",
      auditSequence: expect.any(Number) as unknown,
    });
    const rollback = await db.rollback.findFirstOrThrow({ where: { targetId: target.id }, select: { id: true } });
    expect(created?.rollbackId).toBe(rollback.id);

    await runMonitoringCycle(db, cycleOptions(T + 2 * MINUTE));
    expect(linesAbout(log, "rollbackId", rollback.id).map((line) => line.msg)).toEqual([
      "rollback.created",
      "rollback.completed",
    ]);
    // The verdict stayed a breach: no second change line.
    expect(linesAbout(log, "targetId", target.id).filter((line) => line.msg === "verdict.changed")).toHaveLength(1);
  });

  it("a person's emergency stop and its lifting are lines naming the user, with no reason or details", async () => {
    const user = await makeUser(db, "OPERATOR");
    const log = (captured = captureLog("info"));
    await activateEmergencyStop(db, { actor: userActor(user.id), reason: "Provider returns garbage" }, new Date(T));
    await liftEmergencyStop(db, { actor: userActor(user.id), reason: "Provider fixed" }, new Date(T + 1));

    const lines = linesAbout(log, "actor", `user:${user.id}`);
    expect(lines.map(({ level, msg, actorName }) => ({ level, msg, actorName }))).toEqual([
      { level: "warn", msg: "emergency_stop.activated", actorName: user.name },
      { level: "info", msg: "emergency_stop.lifted", actorName: user.name },
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/garbage|fixed/);
  });

  it("a transaction that rolls back logs nothing of what it appended", async () => {
    const log = (captured = captureLog("debug"));
    const entityId = `never-${T}`;
    await expect(
      retryOnConflict(() =>
        db.$transaction(async (tx) => {
          await appendAudit(
            tx,
            { actor: systemActor, action: "flag.created", entityType: "FeatureFlag", entityId },
            new Date(T),
          );
          throw new Error("refused after the append");
        }),
      ),
    ).rejects.toThrow("refused after the append");
    expect(linesAbout(log, "entityId", entityId)).toEqual([]);
  });
});
