// Idempotency-Key under faults: a change that committed is never applied twice, whatever happens after its commit
// (the process dies, or the handler fails later); a change that did not commit can be retried.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ingestMetrics } from "@/server/services/machine/ingest";
import { withIdempotency, type RecordResponse } from "@/server/services/machine/replay-protection";
import { makeTarget, testDb, traffic } from "../helpers";

const db = testDb();
const NOW = new Date(Date.UTC(2035, 0, 1));
const later = (ms: number) => new Date(NOW.getTime() + ms);

async function request(key: string, now: Date, handle: (record: RecordResponse) => Promise<{ status: number }>) {
  const apiKeyId = `key-${key}`;
  return withIdempotency(db, { apiKeyId, key, requestHash: "same body", now }, async (record) => {
    const { status } = await handle(record);
    return { status, body: { final: true } };
  });
}

/** The change a request applies: a target named after the key, in one transaction that records the response. */
function applyChange(key: string, record: RecordResponse) {
  return db.$transaction(async (tx) => {
    await tx.target.create({ data: { slug: `idem-${key}`, name: key }, select: { id: true } });
    await record(tx, { status: 202, body: { asOfCommit: true } });
  });
}

const count = (key: string) => db.target.count({ where: { slug: `idem-${key}` } });
const neverCalled = () => Promise.reject(new Error("the change ran again"));

describe("withIdempotency with the response recorded in the change's transaction", () => {
  it("replays the committed response when the process died after the commit, instead of applying it again", async () => {
    const key = randomBytes(6).toString("hex");
    // The first request commits its change, then never finishes: its process died before the final update.
    let committed!: () => void;
    const commit = new Promise<void>((resolve) => (committed = resolve));
    void request(key, NOW, async (record) => {
      await applyChange(key, record);
      committed();
      return new Promise<never>(() => {});
    });
    await commit;

    // A minute later a reservation still "in progress" would be taken over and the batch applied twice.
    const retry = await request(key, later(61_000), neverCalled);
    expect(retry).toEqual({ status: 202, body: { asOfCommit: true }, replayed: true });
    expect(await count(key)).toBe(1);
  });

  it("keeps the record when the handler fails after its change committed, so the client's retry replays it", async () => {
    const key = randomBytes(6).toString("hex");
    await expect(
      request(key, NOW, async (record) => {
        await applyChange(key, record);
        throw new Error("the emergency check failed after the write");
      }),
    ).rejects.toThrow("the emergency check failed");
    expect(await request(key, later(1_000), neverCalled)).toMatchObject({ status: 202, replayed: true });
    expect(await count(key)).toBe(1);
  });

  it("releases the key when the change did not commit, so a retry applies it", async () => {
    const key = randomBytes(6).toString("hex");
    await expect(
      request(key, NOW, (record) =>
        db.$transaction(async (tx) => {
          await tx.target.create({ data: { slug: `idem-${key}`, name: key }, select: { id: true } });
          await record(tx, { status: 202, body: {} });
          throw new Error("rolled back");
        }),
      ),
    ).rejects.toThrow("rolled back");
    expect(await count(key)).toBe(0);

    const retry = await request(key, later(1_000), async (record) => {
      await applyChange(key, record);
      return { status: 202 };
    });
    expect(retry).toEqual({ status: 202, body: { final: true }, replayed: false });
    expect(await count(key)).toBe(1);
  });

  it("stores the final response over the one recorded at the commit", async () => {
    const key = randomBytes(6).toString("hex");
    await request(key, NOW, async (record) => {
      await applyChange(key, record);
      return { status: 202 };
    });
    expect(await request(key, later(1_000), neverCalled)).toEqual({
      status: 202,
      body: { final: true },
      replayed: true,
    });
  });

  it("an ingested batch whose process died after its commit is stored once, and its retry replays the result", async () => {
    const key = randomBytes(6).toString("hex");
    const target = await makeTarget(db);
    const now = new Date();
    const body = { target: target.slug, events: traffic(now.getTime() - 30_000, 20) };
    const options = { now, bucketWidthMs: 10_000, retentionMs: 30 * 86_400_000 };
    const ingest = (record: RecordResponse) =>
      ingestMetrics(
        db,
        { key: { prefix: "rw_test", targetSlugs: null }, body },
        {
          ...options,
          inTransaction: (tx, committed) =>
            record(tx, { status: 202, body: JSON.parse(JSON.stringify(committed)) as never }),
        },
      );
    let committed!: () => void;
    const commit = new Promise<void>((resolve) => (committed = resolve));
    void withIdempotency(db, { apiKeyId: `key-${key}`, key, requestHash: "batch", now }, async (record) => {
      await ingest(async (tx, response) => {
        await record(tx, response);
        committed();
      });
      return new Promise<never>(() => {});
    });
    await commit;
    // Let the transaction finish committing: the hook ran inside it.
    await expect.poll(() => requestsStored(target.id)).toBe(20);

    const retry = await withIdempotency(
      db,
      { apiKeyId: `key-${key}`, key, requestHash: "batch", now: new Date(now.getTime() + 61_000) },
      neverCalled,
    );
    expect(retry).toMatchObject({
      status: 202,
      replayed: true,
      body: { target: target.slug, events: 20, action: null },
    });
    expect(await requestsStored(target.id)).toBe(20);
  });
});

async function requestsStored(targetId: string): Promise<number> {
  const sum = await db.metricBucket.aggregate({
    where: { targetId, provider: "", model: "", snapshotVersion: 0, flagKey: "" },
    _sum: { requestCount: true },
  });
  return sum._sum.requestCount ?? 0;
}
