import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/services/access/api-keys";
import { systemActor, userActor } from "@/server/services/audit/audit-log";
import { createFlag, setFlagEnabled } from "@/server/services/config/flags";
import { activateEmergencyStop, automationPaused, liftEmergencyStop } from "@/server/services/config/system-switches";
import { callerFor, makeTarget, makeUser, testDb } from "../helpers";

const db = testDb();
const T = Date.parse("2027-04-01T00:00:00Z");
const at = (seconds: number) => new Date(T + seconds * 1000);
const uniqueKey = (prefix: string) => `${prefix}.${randomBytes(4).toString("hex")}`;

async function callerAs(role: "VIEWER" | "OPERATOR" | "APPROVER", seconds = 0) {
  const user = await makeUser(db, role);
  return { user, caller: await callerFor(db, user.id, { now: () => at(seconds) }) };
}

// The system state is one row shared by every test of the run: leave it as found.
afterEach(async () => {
  await db.systemState.updateMany({ data: { emergencyStopActive: false, monitoringPaused: false } });
});

describe("feature flags", () => {
  it("lets operators create, describe and toggle flags, each change audited", async () => {
    const target = await makeTarget(db);
    const { user, caller } = await callerAs("OPERATOR");
    const key = uniqueKey("chat.streaming");
    const flag = await caller.flags.create({ key, description: " Stream tokens ", targetId: target.id });
    expect(flag).toMatchObject({ key, description: "Stream tokens", enabled: false, killSwitch: false });

    const updated = await caller.flags.update({
      id: flag.id,
      description: "Stream tokens to clients",
      killSwitch: true,
    });
    expect(updated).toMatchObject({ killSwitch: true, description: "Stream tokens to clients" });
    expect(await caller.flags.update({ id: flag.id, killSwitch: true })).toMatchObject({ killSwitch: true });
    expect(await caller.flags.setEnabled({ id: flag.id, enabled: true })).toMatchObject({ enabled: true });
    expect(await caller.flags.setEnabled({ id: flag.id, enabled: true })).toMatchObject({ enabled: true });
    expect((await caller.flags.list({ targetId: target.id })).map((listed) => listed.key)).toEqual([key]);

    const events = await db.auditEvent.findMany({ where: { entityId: flag.id }, orderBy: { sequence: "asc" } });
    expect(events.map((event) => [event.action, event.actorId, event.before, event.after])).toEqual([
      ["flag.created", user.id, null, { key, description: "Stream tokens", enabled: false, killSwitch: false }],
      [
        "flag.updated",
        user.id,
        { description: "Stream tokens", killSwitch: false },
        { description: "Stream tokens to clients", killSwitch: true },
      ],
      ["flag.enabled", user.id, { enabled: false }, { enabled: true }],
    ]);
    expect(await db.notification.count({ where: { event: "flag.enabled", targetId: target.id } })).toBe(1);
  });

  it("validates keys, refuses duplicates and unknown targets, and lets viewers only read", async () => {
    const { caller } = await callerAs("OPERATOR");
    const key = uniqueKey("dup");
    await caller.flags.create({ key });
    await expect(caller.flags.create({ key })).rejects.toMatchObject({
      code: "CONFLICT",
      cause: { details: { issues: { key: "A flag with this key already exists" } } },
    });
    for (const bad of ["Upper", "with space", ".leading", "x".repeat(101), "", "slash/key"]) {
      await expect(caller.flags.create({ key: bad })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    }
    await expect(caller.flags.create({ key: uniqueKey("orphan"), targetId: "missing" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(caller.flags.update({ id: "missing", description: "x" })).rejects.toMatchObject({ code: "NOT_FOUND" });

    const { caller: viewer } = await callerAs("VIEWER");
    const flag = (await caller.flags.list()).find((listed) => listed.key === key);
    expect(flag).toBeDefined();
    const id = flag?.id ?? "";
    await expect(viewer.flags.create({ key: uniqueKey("viewer") })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(viewer.flags.update({ id, description: "x" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(viewer.flags.setEnabled({ id, enabled: true })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await db.featureFlag.findUniqueOrThrow({ where: { id } })).toMatchObject({
      enabled: false,
      description: "",
    });
  });
});

describe("flag list", () => {
  it("names each flag's target and who changed it last: a person, an API key or Rewind", async () => {
    const target = await makeTarget(db);
    const { user, caller } = await callerAs("OPERATOR");
    const { apiKey } = await createApiKey(
      db,
      { actor: systemActor, name: "orchestrator", scopes: ["config:read"] },
      { now: at(0), encryptionKey: randomBytes(32) },
    );
    const byPerson = await caller.flags.create({ key: uniqueKey("person"), targetId: target.id });
    const byKey = await createFlag(db, { actor: userActor(user.id), key: uniqueKey("key"), enabled: true }, at(0));
    await setFlagEnabled(db, { actor: { type: "API_KEY", id: apiKey.id }, id: byKey.id, enabled: false }, at(1));
    const bySystem = await createFlag(db, { actor: systemActor, key: uniqueKey("system") }, at(2));
    const byGone = await createFlag(
      db,
      { actor: { type: "API_KEY", id: "deleted-key" }, key: uniqueKey("gone") },
      at(3),
    );

    const listed = await caller.flags.list();
    const find = (id: string) => listed.find((flag) => flag.id === id);
    expect(find(byPerson.id)).toMatchObject({
      target: { slug: target.slug, name: target.name },
      updatedBy: { type: "USER", name: user.name, email: user.email },
    });
    expect(find(byKey.id)).toMatchObject({ target: null, updatedBy: { type: "API_KEY", name: "orchestrator" } });
    expect(find(bySystem.id)).toMatchObject({ updatedBy: { type: "SYSTEM" } });
    expect(find(byGone.id)).toMatchObject({ updatedBy: { type: "UNKNOWN" } });
    expect(JSON.stringify(listed)).not.toMatch(/keyHash|signingSecret|passwordHash/);
    expect((await caller.flags.list({ targetId: target.id })).map((flag) => flag.id)).toEqual([byPerson.id]);
  });
});

describe("emergency stop", () => {
  it("turns every kill switch off, records who and why, refuses twice, and only a person lifts it", async () => {
    const target = await makeTarget(db);
    const { caller: operator } = await callerAs("OPERATOR");
    const globalSwitch = await operator.flags.create({
      key: uniqueKey("kill.global"),
      killSwitch: true,
      enabled: true,
    });
    const targetSwitch = await operator.flags.create({
      key: uniqueKey("kill.target"),
      killSwitch: true,
      enabled: true,
      targetId: target.id,
    });
    const plain = await operator.flags.create({ key: uniqueKey("plain"), enabled: true });

    await expect(operator.system.emergencyStop({ reason: "operators may not" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const { user: approver, caller } = await callerAs("APPROVER", 60);
    await expect(caller.system.emergencyStop({ reason: "  " })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const state = await caller.system.emergencyStop({ reason: "Provider returns garbage" });
    expect(state).toMatchObject({
      emergencyStopActive: true,
      emergencyStopReason: "Provider returns garbage",
      emergencyStopAt: at(60),
      emergencyStopBy: { id: approver.id, email: approver.email },
      automationPaused: true,
    });
    expect(await automationPaused(db)).toBe(true);

    const flags = await db.featureFlag.findMany({
      where: { id: { in: [globalSwitch.id, targetSwitch.id, plain.id] } },
    });
    expect(Object.fromEntries(flags.map((flag) => [flag.id, flag.enabled]))).toEqual({
      [globalSwitch.id]: false,
      [targetSwitch.id]: false,
      [plain.id]: true,
    });
    const activated = await db.auditEvent.findFirstOrThrow({
      where: { action: "emergency_stop.activated", at: at(60) },
      orderBy: { sequence: "desc" },
    });
    expect(activated).toMatchObject({ actorType: "USER", actorId: approver.id, reason: "Provider returns garbage" });
    expect((activated.after as { killSwitchesTurnedOff: string[] }).killSwitchesTurnedOff).toEqual(
      expect.arrayContaining([globalSwitch.key, targetSwitch.key]),
    );
    expect(
      await db.auditEvent.count({
        where: { action: "flag.kill_switch_off", entityId: { in: [globalSwitch.id, targetSwitch.id] } },
      }),
    ).toBe(2);
    expect(
      await db.notification.findFirst({ where: { event: "emergency_stop.activated", createdAt: at(60) } }),
    ).toMatchObject({ severity: "EMERGENCY", body: expect.stringContaining("Provider returns garbage") as unknown });

    await expect(caller.system.emergencyStop({ reason: "again" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });
    // While it is active no kill switch comes back on, by a toggle or by marking an enabled flag as one.
    await expect(operator.flags.setEnabled({ id: globalSwitch.id, enabled: true })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });
    await expect(operator.flags.update({ id: plain.id, killSwitch: true })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });
    await expect(liftEmergencyStop(db, { actor: systemActor, reason: "all clear" }, at(90))).rejects.toMatchObject({
      code: "FORBIDDEN",
    });

    const lifted = await (
      await callerFor(db, approver.id, { now: () => at(120) })
    ).system.liftEmergencyStop({ reason: "Provider fixed" });
    expect(lifted).toMatchObject({ emergencyStopActive: false, emergencyStopBy: null, automationPaused: false });
    expect((await db.featureFlag.findUniqueOrThrow({ where: { id: globalSwitch.id } })).enabled).toBe(false);
    expect(
      await db.notification.findFirst({ where: { event: "emergency_stop.lifted", createdAt: at(120) } }),
    ).toMatchObject({ severity: "RESOLVED" });
    await expect(caller.system.liftEmergencyStop({ reason: "again" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });

    // A person turns kill switches on again; the system may not.
    await expect(
      setFlagEnabled(db, { actor: systemActor, id: targetSwitch.id, enabled: true }, at(130)),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await operator.flags.setEnabled({ id: globalSwitch.id, enabled: true })).toMatchObject({ enabled: true });
  });

  it("lets exactly one of two approvers stopping at once succeed", async () => {
    const approvers = [await makeUser(db, "APPROVER"), await makeUser(db, "APPROVER")];
    const results = await Promise.allSettled(
      approvers.map((approver, i) =>
        activateEmergencyStop(testDb(), { actor: userActor(approver.id), reason: `stop ${i}` }, at(200)),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect(results.find((result) => result.status === "rejected")).toMatchObject({
      reason: { code: "PRECONDITION_FAILED" },
    });
    expect(await db.auditEvent.count({ where: { action: "emergency_stop.activated", at: at(200) } })).toBe(1);
  });
});

describe("monitoring pause", () => {
  it("lets operators pause and resume monitoring with a reason, and viewers only read", async () => {
    const { caller: viewer } = await callerAs("VIEWER");
    await expect(viewer.system.pauseMonitoring({ reason: "maintenance" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const { user, caller } = await callerAs("OPERATOR", 300);
    expect(await caller.system.pauseMonitoring({ reason: "Provider migration" })).toMatchObject({
      monitoringPaused: true,
      pauseReason: "Provider migration",
      pausedAt: at(300),
      pausedBy: { id: user.id },
      automationPaused: true,
    });
    expect(await viewer.system.state()).toMatchObject({ monitoringPaused: true, emergencyStopActive: false });
    await expect(caller.system.pauseMonitoring({ reason: "again" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });
    expect(await caller.system.resumeMonitoring({ reason: "Migration done" })).toMatchObject({
      monitoringPaused: false,
      pausedBy: null,
      automationPaused: false,
    });
    await expect(caller.system.resumeMonitoring({ reason: "again" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });
    const events = await db.auditEvent.findMany({
      where: { actorId: user.id, action: { startsWith: "monitoring." } },
      orderBy: { sequence: "asc" },
    });
    expect(events.map((event) => [event.action, event.reason])).toEqual([
      ["monitoring.paused", "Provider migration"],
      ["monitoring.resumed", "Migration done"],
    ]);
  });
});
