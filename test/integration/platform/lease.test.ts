import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { acquireLease, holdLeaseUntil } from "@/server/services/platform/lease";
import { testDb } from "../helpers";

const db = testDb();
const T = new Date("2026-07-01T00:00:00Z");

describe("leases", () => {
  it("lets exactly one of many concurrent holders take a free lease", async () => {
    const name = `lease-${randomBytes(4).toString("hex")}`;
    const holders = Array.from({ length: 8 }, (_, i) => `holder-${i}`);
    const taken = await Promise.all(holders.map((holder) => acquireLease(db, { name, holder, ttlMs: 60_000, now: T })));
    expect(taken.filter(Boolean)).toHaveLength(1);
  });

  it("refuses a held lease, even to its holder, and hands over an expired one", async () => {
    const name = `lease-${randomBytes(4).toString("hex")}`;
    expect(await acquireLease(db, { name, holder: "a", ttlMs: 60_000, now: T })).toBe(true);
    expect(await acquireLease(db, { name, holder: "a", ttlMs: 60_000, now: new Date(T.getTime() + 1_000) })).toBe(
      false,
    );
    expect(await acquireLease(db, { name, holder: "b", ttlMs: 60_000, now: new Date(T.getTime() + 59_999) })).toBe(
      false,
    );
    // The holder died: after expiry another instance takes over.
    expect(await acquireLease(db, { name, holder: "b", ttlMs: 60_000, now: new Date(T.getTime() + 60_000) })).toBe(
      true,
    );
    // Only the holder can extend it.
    await holdLeaseUntil(db, { name, holder: "a", until: new Date(T.getTime() + 999_999) });
    expect(await db.lease.findUnique({ where: { name } })).toMatchObject({
      holder: "b",
      expiresAt: new Date(T.getTime() + 120_000),
    });
  });
});
