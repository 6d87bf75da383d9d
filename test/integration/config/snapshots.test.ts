import { randomBytes } from "node:crypto";
import { inject, describe, expect, it } from "vitest";
import { Prisma, type Db } from "@/server/db";
import { providerOf } from "@/server/db/url";
import { createApiKey } from "@/server/services/access/api-keys";
import { systemActor, userActor } from "@/server/services/audit/audit-log";
import { updatePolicy } from "@/server/services/config/policies";
import { markSnapshotFailed, promoteBakedSnapshots } from "@/server/services/config/snapshot-known-good";
import { publishSnapshot } from "@/server/services/config/snapshot-publishing";
import { getSnapshotForUse } from "@/server/services/config/snapshot-reads";
import { callerFor, makeTarget, makeUser, testDb } from "../helpers";

const db = testDb();
const T = Date.parse("2027-03-01T00:00:00Z");
const at = (seconds: number) => new Date(T + seconds * 1000);

const config = {
  model: "gpt-4o",
  timeoutMs: 30_000,
  providers: [
    { name: "openai", weight: 80 },
    { name: "anthropic", weight: 20 },
  ],
};

async function operatorAt(seconds = 0) {
  const operator = await makeUser(db, "OPERATOR");
  return { operator, caller: await callerFor(db, operator.id, { now: () => at(seconds) }) };
}

function verdict(targetId: string, seconds: number, status: "HEALTHY" | "VIOLATION" | "INSUFFICIENT_DATA") {
  return db.verdictRecord.create({
    data: { targetId, evaluatedAt: at(seconds), status, consecutiveCount: status === "VIOLATION" ? 1 : 0, details: {} },
  });
}

/** Rewrites a stored config behind the services' back: JSON is TEXT on SQLite and jsonb on PostgreSQL. */
async function corruptConfig(client: Db, snapshotId: string, value: unknown) {
  const json = JSON.stringify(value);
  const cell = providerOf(inject("databaseUrl")) === "postgresql" ? Prisma.sql`CAST(${json} AS jsonb)` : json;
  await client.$executeRaw`UPDATE "ConfigSnapshot" SET "config" = ${cell} WHERE "id" = ${snapshotId}`;
}

describe("publishing snapshots", () => {
  it("numbers versions, links parents, makes each current, and treats the current checksum as a no-op", async () => {
    const target = await makeTarget(db);
    const { operator, caller } = await operatorAt();
    const first = await caller.snapshots.publish({ targetId: target.id, config, label: " first " });
    expect(first).toMatchObject({ created: true, snapshot: { version: 1, parentId: null, label: "first" } });
    expect(first.snapshot).toMatchObject({ createdByType: "USER", createdById: operator.id, publishedAt: at(0) });

    // Same content, other key order: same checksum, nothing new.
    const reordered = { providers: config.providers, timeoutMs: 30_000, model: "gpt-4o" };
    const again = await caller.snapshots.publish({ targetId: target.id, config: reordered, label: "ignored" });
    expect(again).toEqual({ created: false, snapshot: first.snapshot });

    const second = await caller.snapshots.publish({ targetId: target.id, config: { ...config, timeoutMs: 10_000 } });
    expect(second.snapshot).toMatchObject({ version: 2, parentId: first.snapshot.id, label: null });
    expect(await db.target.findUniqueOrThrow({ where: { id: target.id } })).toMatchObject({
      currentSnapshotId: second.snapshot.id,
    });
    // Going back to an older config is a new version with a fresh bake.
    const third = await caller.snapshots.publish({ targetId: target.id, config });
    expect(third.snapshot).toMatchObject({ version: 3, parentId: second.snapshot.id });
    expect(third.snapshot.checksum).toBe(first.snapshot.checksum);

    const events = await db.auditEvent.findMany({
      where: { targetId: target.id, action: "snapshot.published" },
      orderBy: { sequence: "asc" },
    });
    expect(events.map((event) => [event.actorId, (event.after as { version: number }).version])).toEqual([
      [operator.id, 1],
      [operator.id, 2],
      [operator.id, 3],
    ]);
    expect(await db.notification.count({ where: { targetId: target.id, event: "snapshot.published" } })).toBe(3);
  });

  it("numbers concurrent publishes without losing one", async () => {
    const target = await makeTarget(db);
    const clients = Array.from({ length: 5 }, () => testDb());
    await Promise.all(
      clients.map((client, i) =>
        publishSnapshot(client, { actor: systemActor, targetId: target.id, config: { model: `m${i}` } }, at(i)),
      ),
    );
    const rows = await db.configSnapshot.findMany({ where: { targetId: target.id }, orderBy: { version: "asc" } });
    expect(rows.map((row) => row.version)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(rows.map((row) => row.checksum)).size).toBe(5);
  });

  it("rejects bad input and unknown targets, writes nothing, and lets only operators publish", async () => {
    const target = await makeTarget(db);
    const { caller } = await operatorAt();
    for (const bad of [
      { config: [1, 2] },
      { config: "x" },
      { config, label: "  " },
      { config, label: "x".repeat(101) },
    ]) {
      await expect(caller.snapshots.publish({ targetId: target.id, ...bad } as never)).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
    }
    await expect(caller.snapshots.publish({ targetId: "missing", config })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    await expect(viewer.snapshots.publish({ targetId: target.id, config })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await db.configSnapshot.count({ where: { targetId: target.id } })).toBe(0);
  });

  it("refuses to publish while a rollback of the target is active", async () => {
    const target = await makeTarget(db);
    const v1 = await publishSnapshot(db, { actor: systemActor, targetId: target.id, config }, at(0));
    await db.rollback.create({
      data: {
        targetId: target.id,
        activeTargetId: target.id,
        trigger: "MANUAL",
        status: "PENDING_APPROVAL",
        fromSnapshotId: v1.snapshot.id,
        toSnapshotId: v1.snapshot.id,
        steps: [100],
        currentStep: -1,
        trafficPercent: 0,
        approvalsRequired: 1,
        requestedAt: at(0),
      },
    });
    await expect(
      publishSnapshot(db, { actor: systemActor, targetId: target.id, config: { model: "other" } }, at(1)),
    ).rejects.toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringMatching(/rollback/) as unknown });
  });
});

describe("reading snapshots", () => {
  it("refuses a snapshot whose stored config no longer matches its checksum", async () => {
    const target = await makeTarget(db);
    const { caller } = await operatorAt();
    const { snapshot } = await caller.snapshots.publish({ targetId: target.id, config });
    expect((await getSnapshotForUse(db, snapshot.id)).config).toEqual(config);

    await corruptConfig(db, snapshot.id, { ...config, timeoutMs: 1 });
    await expect(getSnapshotForUse(db, snapshot.id)).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "Snapshot v1 failed its checksum: refusing to serve a corrupted configuration",
    });
    // The dashboard still shows it, flagged.
    const shown = await caller.snapshots.byId({ snapshotId: snapshot.id });
    expect(shown).toMatchObject({ checksumOk: false, config: { ...config, timeoutMs: 1 } });
  });

  it("diffs two snapshots of a target, and only of that target", async () => {
    const target = await makeTarget(db);
    const other = await makeTarget(db);
    const { caller } = await operatorAt();
    const a = (await caller.snapshots.publish({ targetId: target.id, config })).snapshot;
    const changed = { ...config, providers: [{ name: "openai", weight: 100 }], streaming: true };
    const b = (await caller.snapshots.publish({ targetId: target.id, config: changed })).snapshot;
    const foreign = (await caller.snapshots.publish({ targetId: other.id, config })).snapshot;

    const diff = await caller.snapshots.diff({ targetId: target.id, fromId: a.id, toId: b.id });
    expect(diff.from).toEqual({ id: a.id, version: 1 });
    expect(diff.changes).toEqual([
      { path: ["providers", 0, "weight"], kind: "changed", before: 80, after: 100 },
      { path: ["providers", 1], kind: "removed", before: { name: "anthropic", weight: 20 } },
      { path: ["streaming"], kind: "added", after: true },
    ]);
    await expect(caller.snapshots.diff({ targetId: target.id, fromId: a.id, toId: foreign.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("lists versions newest first with who published each, the current one and the rollback target", async () => {
    const target = await makeTarget(db);
    const { operator, caller } = await operatorAt();
    const { apiKey } = await createApiKey(
      db,
      { actor: systemActor, name: "ci-deploy", scopes: ["snapshots:write"] },
      { now: at(0), encryptionKey: randomBytes(32) },
    );
    const first = (await caller.snapshots.publish({ targetId: target.id, config })).snapshot;
    await publishSnapshot(
      db,
      { actor: { type: "API_KEY", id: apiKey.id }, targetId: target.id, config: { v: 2 } },
      at(1),
    );
    await publishSnapshot(db, { actor: systemActor, targetId: target.id, config: { v: 3 } }, at(2));
    await caller.snapshots.markKnownGood({ snapshotId: first.id, reason: "ran all week" });

    const list = await caller.snapshots.list({ targetId: target.id });
    expect(list.map((s) => [s.version, s.createdBy, s.isCurrent, s.isKnownGood, s.isRollbackTarget])).toEqual([
      [3, { type: "SYSTEM", name: "Rewind", email: null }, true, false, false],
      [2, { type: "API_KEY", name: "API key ci-deploy", email: null }, false, false, false],
      [1, { type: "USER", name: operator.name, email: operator.email }, false, true, true],
    ]);
    expect(list[0]?.bake).toMatchObject({ state: "BAKING" });
    expect(list[0]).not.toHaveProperty("config");
  });
});

describe("bake and known-good", () => {
  async function bakingTarget(bakeTimeSeconds: number) {
    const target = await makeTarget(db);
    await updatePolicy(db, { actorId: null, targetId: target.id, policy: { bakeTimeSeconds } }, at(0));
    return target;
  }

  const stateOf = async (snapshotId: string) =>
    db.configSnapshot.findUniqueOrThrow({ where: { id: snapshotId }, select: { knownGoodAt: true, failedAt: true } });

  it("promotes a snapshot that ran healthy for its bake time, and no sooner", async () => {
    const target = await bakingTarget(600);
    const { caller } = await operatorAt();
    const { snapshot } = await caller.snapshots.publish({ targetId: target.id, config });
    await verdict(target.id, 60, "HEALTHY");

    await promoteBakedSnapshots(db, { now: at(599) });
    expect(await stateOf(snapshot.id)).toEqual({ knownGoodAt: null, failedAt: null });
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id, { now: () => at(599) });
    const listed = await viewer.snapshots.list({ targetId: target.id });
    expect(listed[0]).toMatchObject({
      isCurrent: true,
      isKnownGood: false,
      bake: { state: "BAKING", readyAt: at(600) },
    });

    const summary = await promoteBakedSnapshots(db, { now: at(600) });
    expect(summary.promoted).toBeGreaterThanOrEqual(1);
    expect(summary.errors.filter((error) => error.targetId === target.id)).toEqual([]);
    expect(await stateOf(snapshot.id)).toEqual({ knownGoodAt: at(600), failedAt: null });
    expect((await db.target.findUniqueOrThrow({ where: { id: target.id } })).knownGoodSnapshotId).toBe(snapshot.id);
    const event = await db.auditEvent.findFirstOrThrow({
      where: { entityId: snapshot.id, action: "snapshot.known_good" },
    });
    expect(event).toMatchObject({ actorType: "SYSTEM", actorId: null, at: at(600) });
    expect(
      await db.notification.findFirst({ where: { targetId: target.id, event: "snapshot.known_good" } }),
    ).toMatchObject({ severity: "INFO" });
    const [item] = await caller.snapshots.list({ targetId: target.id });
    expect(item).toMatchObject({ isCurrent: true, isKnownGood: true, isRollbackTarget: true, bake: null });
  });

  it("never blesses a snapshot on thin traffic alone", async () => {
    const target = await bakingTarget(60);
    const { snapshot } = await publishSnapshot(db, { actor: systemActor, targetId: target.id, config }, at(0));
    await verdict(target.id, 30, "INSUFFICIENT_DATA");
    await promoteBakedSnapshots(db, { now: at(3_600) });
    expect(await stateOf(snapshot.id)).toEqual({ knownGoodAt: null, failedAt: null });
  });

  it("fails a snapshot that violated while baking, for good, and keeps the pointer on the last good one", async () => {
    const target = await bakingTarget(600);
    const good = (await publishSnapshot(db, { actor: systemActor, targetId: target.id, config }, at(0))).snapshot;
    await verdict(target.id, 60, "HEALTHY");
    await promoteBakedSnapshots(db, { now: at(600) });

    const bad = (
      await publishSnapshot(db, { actor: systemActor, targetId: target.id, config: { model: "cheap" } }, at(700))
    ).snapshot;
    await verdict(target.id, 760, "VIOLATION");
    await verdict(target.id, 820, "HEALTHY");
    const summary = await promoteBakedSnapshots(db, { now: at(800) });
    expect(summary.failed).toBeGreaterThanOrEqual(1);
    expect(await stateOf(bad.id)).toEqual({ knownGoodAt: null, failedAt: at(800) });
    expect((await db.configSnapshot.findUniqueOrThrow({ where: { id: bad.id } })).failedReason).toBe(
      `VIOLATION verdict at ${at(760).toISOString()} while baking`,
    );
    await promoteBakedSnapshots(db, { now: at(5_000) });
    expect(await stateOf(bad.id)).toEqual({ knownGoodAt: null, failedAt: at(800) });
    expect((await db.target.findUniqueOrThrow({ where: { id: target.id } })).knownGoodSnapshotId).toBe(good.id);
    expect(
      await db.auditEvent.count({ where: { entityId: bad.id, action: "snapshot.failed", actorType: "SYSTEM" } }),
    ).toBe(1);
  });
});

describe("marking known-good by hand", () => {
  it("needs a reason, never marks a failed snapshot, and moves the pointer back when unmarking", async () => {
    const target = await makeTarget(db);
    const { operator, caller } = await operatorAt(100);
    const publish = async (model: string, seconds: number) =>
      (await publishSnapshot(db, { actor: systemActor, targetId: target.id, config: { model } }, at(seconds))).snapshot;
    const v1 = await publish("a", 0);
    const v2 = await publish("b", 10);
    const v3 = await publish("c", 20);
    await db.$transaction((tx) =>
      markSnapshotFailed(tx, { snapshotId: v3.id, reason: "Rolled back from", now: at(30), actor: systemActor }),
    );
    const pointer = async () => (await db.target.findUniqueOrThrow({ where: { id: target.id } })).knownGoodSnapshotId;

    await expect(caller.snapshots.markKnownGood({ snapshotId: v1.id, reason: " " })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(caller.snapshots.markKnownGood({ snapshotId: v3.id, reason: "looks fine" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: `Snapshot v3 failed on ${at(30).toISOString()} and cannot be marked known-good`,
    });
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    await expect(viewer.snapshots.markKnownGood({ snapshotId: v1.id, reason: "x" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });

    expect(await caller.snapshots.markKnownGood({ snapshotId: v1.id, reason: "ran all week" })).toMatchObject({
      knownGoodAt: at(100),
    });
    expect(await pointer()).toBe(v1.id);
    await (
      await callerFor(db, operator.id, { now: () => at(200) })
    ).snapshots.markKnownGood({ snapshotId: v2.id, reason: "load-tested" });
    expect(await pointer()).toBe(v2.id);
    await expect(caller.snapshots.markKnownGood({ snapshotId: v2.id, reason: "again" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });

    await caller.snapshots.unmarkKnownGood({ snapshotId: v2.id, reason: "leaks memory" });
    expect(await pointer()).toBe(v1.id);
    await caller.snapshots.unmarkKnownGood({ snapshotId: v1.id, reason: "old SDK" });
    expect(await pointer()).toBeNull();
    await expect(caller.snapshots.unmarkKnownGood({ snapshotId: v1.id, reason: "again" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });

    const events = await db.auditEvent.findMany({
      where: { targetId: target.id, action: { startsWith: "snapshot.known_good" } },
      orderBy: { sequence: "asc" },
    });
    expect(events.map((event) => [event.action, event.actorId, event.reason])).toEqual([
      ["snapshot.known_good", operator.id, "ran all week"],
      ["snapshot.known_good", operator.id, "load-tested"],
      ["snapshot.known_good_removed", operator.id, "leaks memory"],
      ["snapshot.known_good_removed", operator.id, "old SDK"],
    ]);
  });

  it("moves the pointer to the previous known-good snapshot that has not failed when the pointer fails", async () => {
    const target = await makeTarget(db);
    const publish = async (model: string, seconds: number) =>
      (await publishSnapshot(db, { actor: systemActor, targetId: target.id, config: { model } }, at(seconds))).snapshot;
    const [v1, v2, v3] = [await publish("a", 0), await publish("b", 10), await publish("c", 20)];
    const operator = userActor((await makeUser(db, "OPERATOR")).id);
    const { caller } = await operatorAt(30);
    for (const snapshot of [v1, v2, v3])
      await caller.snapshots.markKnownGood({ snapshotId: snapshot.id, reason: "ok" });
    const fail = (snapshotId: string, seconds: number) =>
      db.$transaction((tx) => markSnapshotFailed(tx, { snapshotId, reason: "bad", now: at(seconds), actor: operator }));

    expect(await fail(v2.id, 40)).toEqual({ knownGoodSnapshotId: v3.id });
    expect(await fail(v3.id, 50)).toEqual({ knownGoodSnapshotId: v1.id });
    expect(await fail(v3.id, 60)).toEqual({ knownGoodSnapshotId: v1.id });
    expect(await fail(v1.id, 70)).toEqual({ knownGoodSnapshotId: null });
    expect((await db.target.findUniqueOrThrow({ where: { id: target.id } })).knownGoodSnapshotId).toBeNull();
    expect(await db.auditEvent.count({ where: { targetId: target.id, action: "snapshot.failed" } })).toBe(3);
    const listed = await caller.snapshots.list({ targetId: target.id });
    expect(listed.map((item) => [item.version, item.isKnownGood, item.failedAt !== null])).toEqual([
      [3, false, true],
      [2, false, true],
      [1, false, true],
    ]);
  });
});
