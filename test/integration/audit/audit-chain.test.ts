// The keyed audit chain against someone with write access to the database but not the chain key: rewrites,
// deletions of the newest events, forged checkpoints; incremental verification; legacy events; checkpoints
// reaching a real webhook receiver and the checkpoint file. The chain, its checkpoints and its verified prefix
// are global state that these tests rewrite and cut back, so they run on a database of their own (the run's
// kind: SQLite, or PostgreSQL with TEST_DATABASE=postgresql), which opens with three legacy (unkeyed) events
// as an upgraded installation's would.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db, type Prisma } from "@/server/db";
import {
  GENESIS_HASH,
  hashAuditEvent,
  signCheckpoint,
  type AuditActorType,
  type AuditEventContent,
} from "@/server/domain/audit-chain";
import { verifyAuditChain } from "@/server/services/audit/audit-chain";
import { auditChainKeyring, keyringOf } from "@/server/services/audit/audit-chain-key";
import { checkpointAuditChainIfDue, createAuditCheckpoint } from "@/server/services/audit/audit-checkpoints";
import { appendAudit, systemActor } from "@/server/services/audit/audit-log";
import { runMonitoringCycle } from "@/server/services/monitoring/cycle";
import { deliverNotifications } from "@/server/services/notifications/delivery";
import { createWebhookEndpoint } from "@/server/services/notifications/webhook-endpoints";
import { createTestDatabase } from "../../test-database";
import { httpReceiver } from "../http-receiver";

const T = Date.parse("2027-06-01T00:00:00Z");
const at = (seconds: number) => new Date(T + seconds * 1000);
const LEGACY_EVENTS = 3;

let db: Db;
let dropDatabase: () => Promise<void>;
let clock = 0;
/** Each event a second after the one before, so times never go backwards. */
const tick = () => at(++clock);

beforeAll(async () => {
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  db = createDb(database.url);
  let previousHash = GENESIS_HASH;
  for (let sequence = 1; sequence <= LEGACY_EVENTS; sequence++) {
    const content = {
      sequence,
      at: tick().toISOString(),
      actorType: "SYSTEM" as const,
      actorId: null,
      action: "legacy.recorded",
      entityType: "Test",
      entityId: `legacy-${sequence}`,
    };
    const hash = hashAuditEvent(content, previousHash);
    await db.auditEvent.create({
      data: { ...content, at: new Date(content.at), previousHash, hash, hashScheme: "sha256" },
    });
    previousHash = hash;
  }
});
afterAll(async () => {
  await db.$disconnect();
  await dropDatabase();
});

async function append(count: number, action = "test.appended") {
  for (let i = 0; i < count; i++) {
    await db.$transaction((tx) =>
      appendAudit(tx, { actor: systemActor, action, entityType: "Test", entityId: "e1", reason: "recorded" }, tick()),
    );
  }
  return db.auditEvent.findMany({ orderBy: { sequence: "desc" }, take: count }).then((rows) => rows.reverse());
}

const verify = (checkpoint?: string) =>
  verifyAuditChain(db, checkpoint === undefined ? {} : { checkpoint }, { now: tick() });
const verifyFully = (checkpoint?: string) =>
  verifyAuditChain(db, checkpoint === undefined ? {} : { checkpoint }, { now: tick(), full: true });
const checkpoint = () => createAuditCheckpoint(db, { actor: null, now: tick() }, { file: null });

type Row = Prisma.AuditEventGetPayload<object>;

/** Puts rows back exactly as they were, so each test leaves the chain whole for the next. */
async function restore(rows: readonly Row[]) {
  const json = (value: Prisma.JsonValue) => (value === null ? undefined : (value as Prisma.InputJsonValue));
  for (const row of rows) {
    await db.auditEvent.upsert({
      where: { id: row.id },
      create: { ...row, before: json(row.before), after: json(row.after) },
      update: { ...row, before: json(row.before), after: json(row.after) },
    });
  }
  expect(await verifyFully()).toMatchObject({ ok: true });
}

/** What a database writer without the key can do: edit one event, then recompute its hash and every later one. */
async function rewriteWithSha256(from: Row, options: { markLegacy: boolean }) {
  const rows = await db.auditEvent.findMany({
    where: { sequence: { gte: from.sequence } },
    orderBy: { sequence: "asc" },
  });
  let previousHash = from.previousHash;
  for (const row of rows) {
    const edited = row.id === from.id ? { ...row, reason: "nothing happened" } : row;
    const content: AuditEventContent = {
      ...edited,
      at: edited.at.toISOString(),
      actorType: edited.actorType as AuditActorType,
      before: edited.before,
      after: edited.after,
    };
    const hash = hashAuditEvent(content, previousHash);
    await db.auditEvent.update({
      where: { id: row.id },
      data: {
        reason: edited.reason,
        previousHash,
        hash,
        ...(options.markLegacy && { hashScheme: "sha256" }),
      },
    });
    previousHash = hash;
  }
  return rows;
}

describe("legacy events", () => {
  it("still verify as the unkeyed prefix before the keyed events, and the report says which they are", async () => {
    await append(2);
    const report = await verifyFully();
    expect(report).toMatchObject({
      ok: true,
      mode: "full",
      checked: LEGACY_EVENTS + 2,
      legacyThrough: LEGACY_EVENTS,
      brokenAt: null,
      head: { sequence: LEGACY_EVENTS + 2 },
    });
    const schemes = await db.auditEvent.findMany({ orderBy: { sequence: "asc" }, select: { hashScheme: true } });
    expect(schemes.map((row) => row.hashScheme)).toEqual(["sha256", "sha256", "sha256", "hmac-sha256", "hmac-sha256"]);
  });
});

describe("incremental verification", () => {
  it("hashes only the events appended since the last verified prefix", async () => {
    const before = await verify();
    const head = before.head?.sequence ?? 0;
    expect(before).toMatchObject({ ok: true, mode: "incremental", checked: 0, resumedFrom: { through: head } });

    await append(3);
    const after = await verify();
    expect(after).toMatchObject({ ok: true, checked: 3, resumedFrom: { through: head }, head: { sequence: head + 3 } });
    expect(await verify()).toMatchObject({ ok: true, checked: 0, resumedFrom: { through: head + 3 } });
    // A full re-verification hashes them all again.
    expect(await verifyFully()).toMatchObject({ ok: true, checked: head + 3 });
  });

  it("re-checks the prefix's end: a verification record moved past unverified events is not trusted", async () => {
    const [edited, last] = await append(2);
    if (!edited || !last) throw new Error("expected two events");
    await db.$executeRaw`UPDATE "AuditEvent" SET "reason" = ${"edited"} WHERE "id" = ${edited.id}`;
    // The attacker claims everything up to the head was verified, with the head's own hash.
    await db.auditVerification.update({ where: { id: "chain" }, data: { sequence: last.sequence, hash: last.hash } });
    try {
      expect(await verify()).toMatchObject({
        ok: false,
        checked: 0,
        brokenAt: { sequence: last.sequence, reason: "verified event changed" },
      });
      expect(await verifyFully()).toMatchObject({
        ok: false,
        brokenAt: { sequence: edited.sequence, reason: "hash mismatch" },
      });
    } finally {
      await restore([edited]);
    }
    expect(await verify()).toMatchObject({ ok: true, checked: 0 });
  });
});

describe("rewriting history without the key", () => {
  it("is detected when one event is edited and every later hash recomputed with plain SHA-256", async () => {
    const [first] = await append(3);
    if (!first) throw new Error("expected an event");
    const stored = await checkpoint();
    await verify();
    const rows = await rewriteWithSha256(first, { markLegacy: false });
    try {
      // The rewrite lies inside the remembered prefix: an incremental run sees the prefix's end changed …
      expect(await verify()).toMatchObject({
        ok: false,
        brokenAt: { sequence: stored.sequence, reason: "verified event changed" },
      });
      // … and a full one names the edited event: its recomputed hash is not the HMAC under the key.
      expect(await verifyFully()).toMatchObject({
        ok: false,
        brokenAt: { sequence: first.sequence, id: first.id, reason: "hash mismatch", action: "test.appended" },
        checkpoints: expect.arrayContaining([
          expect.objectContaining({ source: "stored", id: stored.id, status: "rewritten" }),
        ]) as unknown,
      });
    } finally {
      await restore(rows);
    }
  });

  it("is detected when the rewritten events are also marked as unkeyed legacy events", async () => {
    const [first] = await append(2);
    if (!first) throw new Error("expected an event");
    const rows = await rewriteWithSha256(first, { markLegacy: true });
    try {
      expect(await verifyFully()).toMatchObject({
        ok: false,
        brokenAt: { sequence: first.sequence, reason: "legacy hash after keyed events" },
      });
    } finally {
      await restore(rows);
    }
  });

  it("is detected when the events rewritten lie after the verified prefix", async () => {
    await verify();
    const [first] = await append(2);
    if (!first) throw new Error("expected an event");
    const rows = await rewriteWithSha256(first, { markLegacy: false });
    try {
      expect(await verify()).toMatchObject({
        ok: false,
        checked: 0,
        brokenAt: { sequence: first.sequence, reason: "hash mismatch" },
      });
    } finally {
      await restore(rows);
    }
  });
});

describe("deleting the newest events", () => {
  it("is detected against the checkpoint made after them, which the report names", async () => {
    const [completed] = await append(1, "rollback.completed");
    if (!completed) throw new Error("expected an event");
    const made = await checkpoint();
    expect(made).toMatchObject({ sequence: completed.sequence, hash: completed.hash });
    await verify();

    await db.$executeRaw`DELETE FROM "AuditEvent" WHERE "sequence" = ${completed.sequence}`;
    try {
      const truncated = {
        source: "stored",
        id: made.id,
        sequence: completed.sequence,
        hash: completed.hash,
        status: "truncated",
      };
      // Rewind signs no checkpoint of the cut-back chain, which would bless the deletion, not even an admin's.
      const refusal = {
        code: "PRECONDITION_FAILED",
        message: expect.stringContaining(
          `no longer holds the checkpoint of event #${completed.sequence} (${made.at.toISOString()}): it was cut back`,
        ) as unknown,
      };
      await expect(checkpoint()).rejects.toMatchObject(refusal);
      await expect(
        createAuditCheckpoint(db, { actor: systemActor, now: tick() }, { file: null }),
      ).rejects.toMatchObject(refusal);
      // The remembered prefix ended at the deleted event: that alone shows …
      expect(await verify()).toMatchObject({
        ok: false,
        brokenAt: { sequence: completed.sequence, reason: "verified event changed" },
        checkpoints: [truncated],
      });
      // … and without it (the writer deleted the record too) the chain verifies but the checkpoint does not.
      await db.auditVerification.deleteMany({});
      const report = await verify();
      expect(report).toMatchObject({ ok: false, brokenAt: null, head: { sequence: completed.sequence - 1 } });
      expect(report.checkpoints).toEqual([expect.objectContaining(truncated)]);

      // Deleting the stored checkpoints as well leaves the ones sent out: the webhook's or the file's line.
      await db.auditCheckpoint.deleteMany({ where: { sequence: { gte: completed.sequence } } });
      const supplied = await verify(made.line);
      expect(supplied.checkpoints[0]).toMatchObject({ source: "supplied", id: null, status: "truncated" });
      expect(supplied.ok).toBe(false);
    } finally {
      await restore([completed]);
    }
    expect(await verify(made.line)).toMatchObject({
      ok: true,
      checkpoints: expect.arrayContaining([
        expect.objectContaining({ source: "supplied", status: "matches" }),
      ]) as unknown,
    });
  });
});

describe("forged checkpoints", () => {
  const forgedCases = (line: Record<string, unknown>) => [
    { ...line, signature: randomBytes(32).toString("hex") },
    { ...line, sequence: Number(line.sequence) - 1 },
    { ...line, at: new Date(Date.parse(String(line.at)) + 1000).toISOString() },
    // Signed, but under a key that is not the chain's.
    { ...line, signature: signCheckpoint(line as never, randomBytes(32)) },
  ];

  it("are rejected when supplied: the signature does not verify under the chain key", async () => {
    await append(1);
    const made = await checkpoint();
    const line = JSON.parse(made.line) as Record<string, unknown>;
    for (const forged of forgedCases(line)) {
      const report = await verify(JSON.stringify(forged));
      expect(report.ok).toBe(false);
      expect(report.checkpoints[0]).toMatchObject({ source: "supplied", status: "bad signature" });
    }
    expect((await verify(made.line)).ok).toBe(true);
  });

  it("are rejected when written into the database, where they would hide a truncation", async () => {
    const head = await db.auditEvent.findFirstOrThrow({ orderBy: { sequence: "desc" } });
    const forged = await db.auditCheckpoint.create({
      data: { sequence: head.sequence, hash: head.hash, at: tick(), signature: randomBytes(32).toString("hex") },
    });
    try {
      expect(await verify()).toMatchObject({
        ok: false,
        checkpoints: [expect.objectContaining({ source: "stored", id: forged.id, status: "bad signature" })],
      });
    } finally {
      await db.auditCheckpoint.delete({ where: { id: forged.id } });
    }
  });

  it("say what is wrong with text that is not a checkpoint", async () => {
    await expect(verify("not json")).rejects.toMatchObject({
      code: "VALIDATION",
      details: { issues: { checkpoint: "Not JSON: paste one checkpoint line as it was sent" } },
    });
  });
});

describe("sending checkpoints out", () => {
  const servers: { close: () => Promise<unknown> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it("reaches a real webhook receiver and the checkpoint file, and the sent line checks against the chain", async () => {
    const receiver = await httpReceiver();
    const slack = await httpReceiver();
    servers.push(receiver, slack);
    const encryptionKey = randomBytes(32);
    await createWebhookEndpoint(
      db,
      { actor: systemActor, name: "Audit archive", url: receiver.url, events: ["audit.checkpoint"] },
      { now: tick(), encryptionKey },
    );
    // Slack hears of everything people act on, but not of checkpoints.
    await db.setting.create({ data: { key: "slack.webhookUrl", value: slack.url } });
    // Earlier tests' checkpoints are still queued: only this test's go out.
    await db.notification.updateMany({ where: { dispatchedAt: null }, data: { dispatchedAt: tick() } });
    const directory = mkdtempSync(path.join(tmpdir(), "rewind-checkpoints-"));
    const file = path.join(directory, "checkpoints.jsonl");
    try {
      await append(2);
      const first = await checkpointAuditChainIfDue(
        db,
        { now: tick() },
        { file, intervalMs: 3_600_000, everyEvents: 1 },
      );
      expect(first).not.toBeNull();
      // Not due again until the chain moves.
      expect(await checkpointAuditChainIfDue(db, { now: tick() }, { file, everyEvents: 1 })).toBeNull();
      await append(1);
      const second = await checkpointAuditChainIfDue(
        db,
        { now: tick() },
        { file, intervalMs: 3_600_000, everyEvents: 1 },
      );

      await deliverNotifications(db, { now: tick(), encryptionKey });
      const bodies = receiver.received.map(
        (request) => JSON.parse(request.rawBody) as { event: string; payload: Record<string, unknown> },
      );
      expect(bodies.map((body) => [body.event, body.payload.sequence])).toEqual([
        ["audit.checkpoint", first?.sequence],
        ["audit.checkpoint", second?.sequence],
      ]);
      expect(receiver.received[0]?.headers["x-rewind-event"]).toBe("audit.checkpoint");
      expect(slack.calls()).toBe(0);

      const lines = readFileSync(file, "utf8").trim().split("\n");
      expect(lines).toEqual([first?.line, second?.line]);
      expect(JSON.parse(lines[1] ?? "")).toEqual(bodies[1]?.payload);
      expect(JSON.parse(lines[1] ?? "")).toMatchObject({
        type: "rewind.audit.checkpoint",
        sequence: second?.sequence,
        keyId: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
      });

      // What the receiver got is what someone pastes later: the whole webhook body will do.
      const report = await verify(receiver.received[1]?.rawBody);
      expect(report.checkpoints[0]).toMatchObject({
        source: "supplied",
        sequence: second?.sequence,
        status: "matches",
      });
      expect((await db.auditCheckpoint.findUniqueOrThrow({ where: { id: second?.id } })).sentTo).toMatchObject({
        file,
      });
    } finally {
      rmSync(directory, { recursive: true, force: true });
      await db.setting.deleteMany({ where: { key: "slack.webhookUrl" } });
      await db.webhookEndpoint.deleteMany({});
    }
  });

  it("is a step of the monitoring cycle, made when the chain moved and the last checkpoint is due", async () => {
    await append(1);
    const options = { bucketWidthMs: 10_000, retentionMs: 86_400_000 };
    const last = await db.auditCheckpoint.findFirstOrThrow({ orderBy: { sequence: "desc" } });
    // Soon after the last one: not due (unless 100 events were appended since, the default).
    const early = await runMonitoringCycle(db, { now: new Date(last.at.getTime() + 60_000), ...options });
    expect(early.auditCheckpoint).toBeNull();
    const due = await runMonitoringCycle(db, { now: new Date(last.at.getTime() + 3_600_000), ...options });
    const head = await db.auditEvent.findFirstOrThrow({ orderBy: { sequence: "desc" } });
    expect(due).toMatchObject({ auditCheckpoint: head.sequence, errors: [] });
    clock = (due.now.getTime() - T) / 1000;
    expect(await db.notification.count({ where: { event: "audit.checkpoint", dispatchedAt: null } })).toBe(1);
  });

  it("a checkpoint an admin asks for is audited first, so it covers its own record", async () => {
    const admin = await db.user.create({
      data: {
        email: `admin-${randomBytes(4).toString("hex")}@example.test`,
        name: "Admin",
        role: "ADMIN",
        passwordHash: "x",
      },
    });
    const made = await createAuditCheckpoint(
      db,
      { actor: { type: "USER", id: admin.id }, now: tick() },
      { file: null },
    );
    const head = await db.auditEvent.findFirstOrThrow({ orderBy: { sequence: "desc" } });
    expect(head).toMatchObject({ action: "audit.checkpoint_created", actorId: admin.id, sequence: made.sequence });
  });
});

describe("key rotation", () => {
  it("verifies the old segment with the previous key and the new one with the current key", async () => {
    const current = auditChainKeyring();
    const next = randomBytes(32);
    const rotated = keyringOf([...current.keys, next]);
    await verify();
    await db.$transaction((tx) =>
      appendAudit(tx, { actor: systemActor, action: "test.rotated", entityType: "Test", entityId: "e1" }, tick(), {
        keyring: rotated,
      }),
    );
    // The remembered prefix was tagged under the old key, which the rotated ring still holds.
    expect(await verifyAuditChain(db, {}, { now: tick(), keyring: rotated })).toMatchObject({ ok: true, checked: 1 });
    expect(await verifyAuditChain(db, {}, { now: tick(), keyring: rotated, full: true })).toMatchObject({ ok: true });
    // Without the old key, the old segment no longer verifies; without the new one, the new event does not.
    expect(await verifyAuditChain(db, {}, { now: tick(), keyring: keyringOf([next]), full: true })).toMatchObject({
      ok: false,
      brokenAt: { sequence: LEGACY_EVENTS + 1, reason: "hash mismatch" },
    });
    const head = await db.auditEvent.findFirstOrThrow({ orderBy: { sequence: "desc" } });
    expect(await verifyAuditChain(db, {}, { now: tick(), keyring: current, full: true })).toMatchObject({
      ok: false,
      brokenAt: { sequence: head.sequence, reason: "hash mismatch" },
    });
  });
});
