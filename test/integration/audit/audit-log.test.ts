import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Prisma } from "@/server/db";
import { hashAuditEvent, type AuditActorType } from "@/server/domain/audit-chain";
import type { JsonValue } from "@/server/domain/canonical-json";
import { createApiKey } from "@/server/services/access/api-keys";
import { verifyAuditChain as verifyChainOf } from "@/server/services/audit/audit-chain";
import { appendAudit, commandLineActor, systemActor, type AuditEntry } from "@/server/services/audit/audit-log";
import { exportAuditEvents } from "@/server/services/audit/audit-export";
import { updatePolicy } from "@/server/services/config/policies";
import { resetPassword } from "@/server/services/access/users";
import { textOf } from "../export-fixtures";
import { callerFor, makeTarget, makeUser, testDb, uniqueSlug } from "../helpers";

const db = testDb();
const verifyAuditChain = (database: typeof db) => verifyChainOf(database, {}, { now: new Date() });
const T = Date.parse("2027-05-01T00:00:00Z");
const at = (seconds: number) => new Date(T + seconds * 1000);

/** Events about a made-up target id of their own, so filters find exactly them. */
async function appendEvents(
  entries: Omit<AuditEntry, "targetId">[],
  seconds = 0,
  targetId = `audit-${randomBytes(5).toString("hex")}`,
) {
  for (const [i, entry] of entries.entries()) {
    await db.$transaction((tx) => appendAudit(tx, { ...entry, targetId }, at(seconds + i)));
  }
  const events = await db.auditEvent.findMany({ where: { targetId }, orderBy: { sequence: "asc" } });
  return { targetId, events };
}

const entry = (overrides: Partial<AuditEntry> = {}): Omit<AuditEntry, "targetId"> => ({
  actor: { type: "SYSTEM" },
  action: "test.appended",
  entityType: "Test",
  entityId: "e1",
  ...overrides,
});

/** Writes a deleted row back exactly as it was, so the shared chain is intact for the tests after this one. */
async function restore(row: Prisma.AuditEventGetPayload<object>) {
  const json = (value: Prisma.JsonValue) => (value === null ? undefined : (value as Prisma.InputJsonValue));
  await db.auditEvent.create({ data: { ...row, before: json(row.before), after: json(row.after) } });
}

describe("audit events of the services", () => {
  it("records user administration with the admin, or the system, as the actor", async () => {
    const admin = await makeUser(db, "ADMIN");
    const caller = await callerFor(db, admin.id, { now: () => at(0) });
    const email = `audited-${randomBytes(4).toString("hex")}@example.test`;
    const user = await caller.users.create({ email, name: "Audited", role: "VIEWER", password: "a long password 1" });
    await caller.users.changeRole({ userId: user.id, role: "OPERATOR" });
    await caller.users.changeRole({ userId: user.id, role: "OPERATOR" });
    await caller.users.setDisabled({ userId: user.id, disabled: true });
    await caller.users.setDisabled({ userId: user.id, disabled: false });
    await resetPassword(db, { actor: commandLineActor("ops@host"), email, password: "another long password" }, at(10));

    const events = await db.auditEvent.findMany({ where: { entityId: user.id }, orderBy: { sequence: "asc" } });
    expect(events.map((event) => [event.action, event.actorType, event.actorId, event.before, event.after])).toEqual([
      ["user.created", "USER", admin.id, null, { email, name: "Audited", role: "VIEWER" }],
      ["user.role_changed", "USER", admin.id, { role: "VIEWER" }, { role: "OPERATOR" }],
      ["user.disabled", "USER", admin.id, { disabled: false }, { disabled: true }],
      ["user.enabled", "USER", admin.id, { disabled: true }, { disabled: false }],
      ["user.password_reset", "SYSTEM", "cli:ops@host", { disabled: false }, { disabled: false }],
    ]);
    expect(JSON.stringify(events)).not.toContain("scrypt");
    const made = await makeUser(db, "VIEWER");
    expect(await db.auditEvent.findFirst({ where: { entityId: made.id } })).toMatchObject({
      action: "user.created",
      actorType: "SYSTEM",
    });
  });

  it("records target and policy changes with before and after", async () => {
    const operator = await makeUser(db, "OPERATOR");
    const caller = await callerFor(db, operator.id, { now: () => at(0) });
    const slug = uniqueSlug("audited");
    const target = await caller.targets.create({ slug, name: "Audited" });
    await caller.targets.update({ id: target.id, name: "Audited route", description: "" });
    await caller.targets.setMonitoring({ id: target.id, enabled: false });
    await caller.targets.setMonitoring({ id: target.id, enabled: false });
    await caller.targets.setMonitoring({ id: target.id, enabled: true });
    await caller.policies.update({ targetId: target.id, policy: { maxErrorRate: 0.02 } });
    await updatePolicy(db, { actorId: null, targetId: target.id, policy: { maxErrorRate: 0.03 } }, at(5));

    const events = await db.auditEvent.findMany({ where: { targetId: target.id }, orderBy: { sequence: "asc" } });
    expect(events.map((event) => [event.action, event.actorId, event.before, event.after])).toEqual([
      ["target.created", operator.id, null, { slug, name: "Audited", description: "", monitoringEnabled: true }],
      ["target.updated", operator.id, { name: "Audited" }, { name: "Audited route" }],
      ["target.monitoring_disabled", operator.id, { monitoringEnabled: true }, { monitoringEnabled: false }],
      ["target.monitoring_enabled", operator.id, { monitoringEnabled: false }, { monitoringEnabled: true }],
      ["policy.updated", operator.id, null, expect.anything()],
      ["policy.updated", null, expect.anything(), expect.anything()],
    ]);
    expect(events.slice(-2)).toMatchObject([
      { actorType: "USER", after: { version: 1, policy: { maxErrorRate: 0.02 } } },
      {
        actorType: "SYSTEM",
        before: { version: 1, policy: { maxErrorRate: 0.02 } },
        after: { version: 2, policy: { maxErrorRate: 0.03 } },
      },
    ]);
    expect(await db.notification.count({ where: { targetId: target.id, event: { startsWith: "target." } } })).toBe(2);
  });
});

describe("audit log", () => {
  it("filters by target, actor, action prefix and time, pages newest first, and shows no hashes", async () => {
    const operator = await makeUser(db, "OPERATOR");
    const { targetId, events } = await appendEvents(
      [
        entry({ actor: { type: "USER", id: operator.id }, action: "flag.enabled" }),
        entry({ action: "flag.disabled" }),
        entry({ actor: { type: "USER", id: operator.id }, action: "snapshot.published" }),
        entry({ actor: { type: "API_KEY", id: "key-1" }, action: "flag.created" }),
      ],
      100,
    );
    const sequences = events.map((event) => event.sequence);
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    const list = async (filter: Parameters<typeof viewer.audit.list>[0]["filter"]) =>
      (await viewer.audit.list({ filter: { targetId, ...filter } })).events.map((event) => event.sequence);

    expect(await list({})).toEqual([...sequences].reverse());
    expect(await list({ actorId: operator.id })).toEqual([sequences[2], sequences[0]]);
    expect(await list({ action: "Flag." })).toEqual([sequences[3], sequences[1], sequences[0]]);
    expect(await list({ from: at(101), to: at(102) })).toEqual([sequences[2], sequences[1]]);

    const first = await viewer.audit.list({ filter: { targetId }, limit: 3 });
    expect(first.events.map((event) => event.sequence)).toEqual([sequences[3], sequences[2], sequences[1]]);
    expect(first.events[1]).toMatchObject({ actorType: "USER", actor: { email: operator.email } });
    expect(first.events[0]).toMatchObject({ actorType: "API_KEY", actorId: "key-1", actor: null });
    expect(first.events[0]).not.toHaveProperty("hash");
    expect(first.events[0]).not.toHaveProperty("previousHash");
    const second = await viewer.audit.list({ filter: { targetId }, limit: 3, cursor: first.nextCursor ?? 0 });
    expect(second).toMatchObject({ nextCursor: null, events: [{ sequence: sequences[0] }] });

    await expect(viewer.audit.list({ filter: { from: at(2), to: at(1) } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    const anonymous = await callerFor(db, null);
    await expect(anonymous.audit.list({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anonymous.audit.verify()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("filters by actor type, entity type and entity id, in the list and the export", async () => {
    const operator = await makeUser(db, "OPERATOR");
    const { targetId, events } = await appendEvents(
      [
        entry({ actor: { type: "USER", id: operator.id }, entityType: "FeatureFlag", entityId: "f1" }),
        entry({ entityType: "FeatureFlag", entityId: "f2" }),
        entry({ actor: { type: "API_KEY", id: "key-2" }, entityType: "FeatureFlag", entityId: "f1" }),
        entry({ entityType: "Target", entityId: "f1" }),
      ],
      150,
    );
    const sequences = events.map((event) => event.sequence);
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    const list = async (filter: Parameters<typeof viewer.audit.list>[0]["filter"]) =>
      (await viewer.audit.list({ filter: { targetId, ...filter } })).events.map((event) => event.sequence);

    expect(await list({ actorType: "SYSTEM" })).toEqual([sequences[3], sequences[1]]);
    expect(await list({ actorType: "API_KEY" })).toEqual([sequences[2]]);
    expect(await list({ entityType: "FeatureFlag" })).toEqual([sequences[2], sequences[1], sequences[0]]);
    expect(await list({ entityType: "FeatureFlag", entityId: "f1" })).toEqual([sequences[2], sequences[0]]);
    expect(await list({ entityId: "f1", actorType: "SYSTEM" })).toEqual([sequences[3]]);
    // Exact, not a prefix: the action is the only prefix filter.
    expect(await list({ entityType: "Feature" })).toEqual([]);
    await expect(viewer.audit.list({ filter: { actorType: "ROBOT" as "USER" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });

    const { text } = await textOf(
      exportAuditEvents(db, { targetId, entityType: "FeatureFlag", entityId: "f1", format: "json" }).chunks,
    );
    const exported = JSON.parse(text) as { events: { sequence: number }[] };
    expect(exported.events.map((event) => event.sequence)).toEqual([sequences[0], sequences[2]]);
  });

  it("pages to newer events as well as older ones", async () => {
    const { targetId, events } = await appendEvents([entry(), entry(), entry(), entry(), entry()], 160);
    const s = events.map((event) => event.sequence);
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    const page = async (input: { cursor?: number; newerThan?: number }) => {
      const result = await viewer.audit.list({ filter: { targetId }, limit: 2, ...input });
      return { ...result, events: result.events.map((event) => event.sequence) };
    };

    const newest = await page({});
    expect(newest).toEqual({ events: [s[4], s[3]], nextCursor: s[3], newerCursor: null });
    const middle = await page({ cursor: newest.nextCursor ?? 0 });
    expect(middle).toEqual({ events: [s[2], s[1]], nextCursor: s[1], newerCursor: s[2] });
    const oldest = await page({ cursor: middle.nextCursor ?? 0 });
    expect(oldest).toEqual({ events: [s[0]], nextCursor: null, newerCursor: s[0] });
    // Back up: each newer page is the events just above the cursor, newest first.
    expect(await page({ newerThan: oldest.newerCursor ?? 0 })).toEqual(middle);
    expect(await page({ newerThan: middle.newerCursor ?? 0 })).toEqual({
      events: [s[4], s[3]],
      nextCursor: s[3],
      newerCursor: null,
    });
    // A link to one event: the page starting at it.
    expect(await page({ cursor: (s[2] ?? 0) + 1 })).toEqual(middle);
    expect(await page({ newerThan: 0 })).toEqual({ events: [s[1], s[0]], nextCursor: null, newerCursor: s[1] });
    await expect(viewer.audit.list({ cursor: 5, newerThan: 2 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("lists the actions, entity types and actors present, with counts and names", async () => {
    const operator = await makeUser(db, "OPERATOR");
    const { apiKey } = await createApiKey(
      db,
      { actor: systemActor, name: "facet key", scopes: ["ingest"] },
      { now: at(0), encryptionKey: randomBytes(32) },
    );
    const action = `facet${randomBytes(4).toString("hex")}.done`;
    const entityType = `Facet${randomBytes(4).toString("hex")}`;
    const goneKey = `revoked-${randomBytes(4).toString("hex")}`;
    await appendEvents(
      [
        entry({ actor: { type: "USER", id: operator.id }, action, entityType }),
        entry({ actor: { type: "USER", id: operator.id }, action, entityType }),
        entry({ actor: { type: "API_KEY", id: apiKey.id }, action }),
        entry({ actor: { type: "API_KEY", id: goneKey }, action }),
        entry({ action }),
      ],
      170,
    );
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    const facets = await viewer.audit.facets();

    expect(facets.actions.find((row) => row.action === action)).toEqual({ action, count: 5 });
    expect(facets.entityTypes.find((row) => row.entityType === entityType)).toEqual({ entityType, count: 2 });
    expect(facets.actions.map((row) => row.action)).toEqual([...facets.actions.map((row) => row.action)].sort());
    expect(facets.actors.find((actor) => actor.id === operator.id)).toEqual({
      type: "USER",
      id: operator.id,
      name: operator.name,
      email: operator.email,
      count: 2,
    });
    expect(facets.actors.find((actor) => actor.id === apiKey.id)).toMatchObject({
      type: "API_KEY",
      name: "facet key",
      email: null,
    });
    expect(facets.actors.every((actor) => actor.type === "USER" || actor.type === "API_KEY")).toBe(true);
    expect(facets.actors.find((actor) => actor.id === goneKey)).toEqual({
      type: "API_KEY",
      id: goneKey,
      name: null,
      email: null,
      count: 1,
    });
    await expect((await callerFor(db, null)).audit.facets()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("exports CSV with quotes, commas, line breaks and formulas escaped, every actor and target named, and JSON", async () => {
    const operator = await makeUser(db, "OPERATOR");
    const target = await makeTarget(db);
    const { apiKey } = await createApiKey(
      db,
      { actor: systemActor, name: "deploy-bot", scopes: ["ingest"] },
      { now: at(0), encryptionKey: randomBytes(32) },
    );
    const { targetId, events } = await appendEvents(
      [
        entry({
          actor: { type: "USER", id: operator.id },
          reason: 'He said "roll back, now"\nthen left',
          before: { note: 'a,"b"' },
        }),
        entry({ reason: "=HYPERLINK(1)", after: [1, "two"] }),
        entry({ actor: { type: "API_KEY", id: apiKey.id } }),
        entry({ actor: commandLineActor("ops@host") }),
      ],
      200,
      target.id,
    );
    const [first, second, third, fourth] = events;
    if (!first || !second || !third || !fourth) throw new Error("expected four events");
    const { text: csv } = await textOf(exportAuditEvents(db, { targetId, format: "csv" }).chunks);
    const where = `${targetId},${target.slug},${target.name}`;
    expect(csv).toBe(
      [
        "sequence,at,actorType,actorId,actorEmail,actorName,action,entityType,entityId,targetId,targetSlug,targetName," +
          "reason,before,after",
        `${first.sequence},${at(200).toISOString()},USER,${operator.id},${operator.email},Test operator,test.appended,Test,e1,${where},` +
          `"He said ""roll back, now""\nthen left","{""note"":""a,\\""b\\""""}",`,
        `${second.sequence},${at(201).toISOString()},SYSTEM,,,Rewind,test.appended,Test,e1,${where},'=HYPERLINK(1),,"[1,""two""]"`,
        `${third.sequence},${at(202).toISOString()},API_KEY,${apiKey.id},,API key “deploy-bot”,test.appended,Test,e1,${where},,,`,
        `${fourth.sequence},${at(203).toISOString()},SYSTEM,cli:ops@host,,Command line (ops@host),test.appended,Test,e1,${where},,,`,
        "",
      ].join("\r\n"),
    );

    const json = JSON.parse((await textOf(exportAuditEvents(db, { targetId, format: "json" }).chunks)).text) as {
      events: unknown;
      checkpoints: unknown;
    };
    expect(json.checkpoints).toEqual(expect.any(Array));
    expect(json.events).toEqual([
      expect.objectContaining({
        sequence: first.sequence,
        at: at(200).toISOString(),
        reason: 'He said "roll back, now"\nthen left',
        before: { note: 'a,"b"' },
        after: null,
        actor: { name: "Test operator", email: operator.email },
        target: { slug: target.slug, name: target.name },
      }),
      expect.objectContaining({ sequence: second.sequence, after: [1, "two"], actor: null }),
      expect.objectContaining({ sequence: third.sequence, actor: { name: "API key “deploy-bot”", email: null } }),
      expect.objectContaining({ sequence: fourth.sequence, actor: null }),
    ]);
  });
});

describe("audit chain verification", () => {
  it("verifies the whole chain", async () => {
    await appendEvents([entry(), entry()]);
    const viewer = await callerFor(db, (await makeUser(db, "VIEWER")).id);
    const result = await viewer.audit.verify();
    expect(result).toMatchObject({ ok: true, brokenAt: null, head: { sequence: await db.auditEvent.count() } });
  });

  it("reports a row altered with raw SQL at that event", async () => {
    const { events } = await appendEvents([entry({ reason: "original" }), entry()], 300);
    const [altered] = events;
    if (!altered) throw new Error("expected an event");
    await db.$executeRaw`UPDATE "AuditEvent" SET "reason" = ${"rewritten"} WHERE "sequence" = ${altered.sequence}`;
    try {
      expect(await verifyAuditChain(db)).toMatchObject({
        ok: false,
        brokenAt: {
          sequence: altered.sequence,
          id: altered.id,
          reason: "hash mismatch",
          at: at(300),
          action: "test.appended",
        },
      });
    } finally {
      await db.$executeRaw`UPDATE "AuditEvent" SET "reason" = ${"original"} WHERE "sequence" = ${altered.sequence}`;
    }
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it("reports a row rewritten with a fresh unkeyed hash at that row", async () => {
    const { events } = await appendEvents([entry({ reason: "original" }), entry()], 400);
    const [rewritten] = events;
    if (!rewritten) throw new Error("expected an event");
    const content = {
      ...rewritten,
      at: rewritten.at.toISOString(),
      actorType: rewritten.actorType as AuditActorType,
      before: rewritten.before as JsonValue,
      after: rewritten.after as JsonValue,
      reason: "rewritten",
    };
    const forged = hashAuditEvent(content, rewritten.previousHash);
    await db.$executeRaw`UPDATE "AuditEvent" SET "reason" = ${"rewritten"}, "hash" = ${forged} WHERE "id" = ${rewritten.id}`;
    try {
      // Without the chain key, a recomputed hash does not verify: the rewrite shows at the row itself.
      expect(await verifyAuditChain(db)).toMatchObject({
        ok: false,
        brokenAt: { sequence: rewritten.sequence, id: rewritten.id, reason: "hash mismatch" },
      });
    } finally {
      await db.$executeRaw`UPDATE "AuditEvent" SET "reason" = ${"original"}, "hash" = ${rewritten.hash} WHERE "id" = ${rewritten.id}`;
    }
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it("reports a deleted row at the event after it", async () => {
    const { events } = await appendEvents([entry({ before: { a: 1 } }), entry()], 500);
    const [deleted, next] = events;
    if (!deleted || !next) throw new Error("expected two events");
    await db.$executeRaw`DELETE FROM "AuditEvent" WHERE "sequence" = ${deleted.sequence}`;
    try {
      expect(await verifyAuditChain(db)).toMatchObject({
        ok: false,
        brokenAt: {
          sequence: next.sequence,
          id: next.id,
          reason: "sequence gap",
          at: at(501),
          action: "test.appended",
        },
      });
    } finally {
      await restore(deleted);
    }
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });
});
