// The machine API's idempotent changes under a death after their commit: each route's use case stores the
// Idempotency-Key response in the transaction of its change, so a retry replays it instead of applying it again.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Tx } from "@/server/db";
import type { JsonValue } from "@/server/domain/canonical-json";
import { apiKeyActor, createApiKey } from "@/server/services/access/api-keys";
import { systemActor } from "@/server/services/audit/audit-log";
import { publishConfig } from "@/server/services/config/config-as-code";
import { publishSnapshot, type PublishedSnapshot } from "@/server/services/config/snapshot-publishing";
import { endRollbackForKey, listRollbacksForKey, requestRollbackForKey } from "@/server/services/machine/rollbacks-api";
import { withIdempotency, type RecordResponse, type StoredResponse } from "@/server/services/machine/replay-protection";
import { makeTarget, testDb } from "../helpers";
import { lifecycleTarget } from "../lifecycle-fixtures";

const db = testDb();

const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as JsonValue;

async function makeKey() {
  const { apiKey } = await createApiKey(
    db,
    {
      actor: systemActor,
      name: `idem-${randomBytes(4).toString("hex")}`,
      scopes: ["rollbacks:write", "snapshots:write"],
    },
    { now: new Date(), encryptionKey: randomBytes(32) },
  );
  return apiKey;
}

type InTransaction = (tx: Tx, committed: unknown) => Promise<void>;

/** A route's handler with an Idempotency-Key, as app/api/v1 writes it: the response is stored with the change. */
function route(status: number, change: (options: { inTransaction: InTransaction }) => Promise<unknown>) {
  return async (record: RecordResponse): Promise<StoredResponse> => ({
    status,
    body: json(await change({ inTransaction: (tx, committed) => record(tx, { status, body: json(committed) }) })),
  });
}

interface Attempt {
  apiKeyId: string;
  key: string;
  now: Date;
}

/** The first attempt: its change commits, then its process dies before the final update of the key's record. */
async function diesAfterCommit(attempt: Attempt, handle: (record: RecordResponse) => Promise<StoredResponse>) {
  await new Promise<void>((committed, failed) => {
    withIdempotency(db, { ...attempt, requestHash: "same body" }, async (record) => {
      await handle(record);
      committed();
      return new Promise<never>(() => {});
    }).catch(failed);
  });
}

/** The client's retry, once the abandoned reservation may be taken over (a minute): it runs the same handler. */
function retry(attempt: Attempt, handle: (record: RecordResponse) => Promise<StoredResponse>) {
  const now = new Date(attempt.now.getTime() + 61_000);
  return withIdempotency(db, { ...attempt, now, requestHash: "same body" }, handle);
}

const audited = (entityId: string, action: string) => db.auditEvent.count({ where: { entityId, action } });

describe("a snapshot published with an Idempotency-Key whose process died after the commit", () => {
  it("is published once, and the retry replays its response even after another config was published meanwhile", async () => {
    const key = await makeKey();
    const target = await makeTarget(db);
    const attempt = { apiKeyId: key.id, key: randomBytes(6).toString("hex"), now: new Date() };
    const config = { model: "gpt-4o", temperature: 0.2 };
    const handle = async (record: RecordResponse) => {
      const respond = ({ snapshot, created }: PublishedSnapshot) => ({
        status: created ? 201 : 200,
        body: json({ id: snapshot.id, version: snapshot.version, created }),
      });
      return respond(
        await publishConfig(db, { actor: apiKeyActor(key), slug: target.slug, body: { config } }, attempt.now, {
          inTransaction: (tx, committed) => record(tx, respond(committed)),
        }),
      );
    };
    await diesAfterCommit(attempt, handle);
    const meanwhile = await publishSnapshot(
      db,
      { actor: systemActor, targetId: target.id, config: { model: "gpt-4.1" } },
      new Date(),
    );

    const replayed = await retry(attempt, handle);
    expect(replayed).toMatchObject({ status: 201, replayed: true, body: { version: 1, created: true } });
    expect(await db.configSnapshot.count({ where: { targetId: target.id } })).toBe(2);
    const current = await db.target.findUniqueOrThrow({
      where: { id: target.id },
      select: { currentSnapshotId: true },
    });
    expect(current.currentSnapshotId).toBe(meanwhile.snapshot.id);
  });
});

describe("rollback changes with an Idempotency-Key whose process died after the commit", () => {
  it("requests the rollback once, and the retry replays it as the list showed it at the commit", async () => {
    const key = await makeKey();
    const { target } = await lifecycleTarget(db);
    const attempt = { apiKeyId: key.id, key: randomBytes(6).toString("hex"), now: new Date() };
    const handle = route(201, (options) =>
      requestRollbackForKey(
        db,
        { key, slug: target.slug, body: { toVersion: 1, reason: "v2 answers slowly" } },
        attempt.now,
        options,
      ),
    );
    await diesAfterCommit(attempt, handle);

    const replayed = await retry(attempt, handle);
    const listed = await listRollbacksForKey(db, { key, query: new URLSearchParams({ target: target.slug }) });
    expect(listed.items).toHaveLength(1);
    expect(replayed).toEqual({ status: 201, body: json(listed.items[0]), replayed: true });
    expect(replayed.body).toMatchObject({ status: "PENDING_APPROVAL", requestedBy: { type: "API_KEY", id: key.id } });
    expect(await audited(listed.items[0]!.id, "rollback.created")).toBe(1);
  });

  it("cancels once, and the retry replays the cancelled rollback instead of refusing to cancel it again", async () => {
    const key = await makeKey();
    const { target } = await lifecycleTarget(db);
    const now = new Date();
    const { id } = await requestRollbackForKey(
      db,
      { key, slug: target.slug, body: { toVersion: 1, reason: "v2 answers slowly" } },
      now,
    );
    const attempt = { apiKeyId: key.id, key: randomBytes(6).toString("hex"), now };
    const handle = route(200, (options) =>
      endRollbackForKey(db, { key, rollbackId: id, action: "cancel", body: { reason: "v3 fixes it" } }, now, options),
    );
    await diesAfterCommit(attempt, handle);

    const replayed = await retry(attempt, handle);
    expect(replayed).toMatchObject({
      status: 200,
      replayed: true,
      body: { id, status: "CANCELLED", endReason: "v3 fixes it", endedBy: { type: "API_KEY", id: key.id } },
    });
    expect(await audited(id, "rollback.cancelled")).toBe(1);
  });
});
