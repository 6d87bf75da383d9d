// Signatures of machine requests are accepted once: a replay, even a concurrent one, is refused.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_TOLERANCE_SECONDS } from "@/server/domain/api-keys";
import { AppError } from "@/server/domain/errors";
import { acceptSignature } from "@/server/services/machine/replay-protection";
import { testDb } from "../helpers";

const db = testDb();
const timestampSeconds = Math.floor(Date.UTC(2035, 0, 1) / 1000);
const REPLAY = "UNAUTHORIZED: This signature was already used: sign every request afresh";

const freshSignature = () => `v1=${randomBytes(32).toString("hex")}`;

function outcome(promise: Promise<void>): Promise<string> {
  return promise.then(
    () => "accepted",
    (error: unknown) => {
      if (error instanceof AppError) return `${error.code}: ${error.message}`;
      throw error;
    },
  );
}

describe("acceptSignature", () => {
  it("accepts a signature once, kept until its timestamp would be stale, and refuses it again", async () => {
    const signature = freshSignature();
    expect(await outcome(acceptSignature(db, { signature, timestampSeconds }))).toBe("accepted");
    const expiresAt = new Date((timestampSeconds + SIGNATURE_TOLERANCE_SECONDS) * 1000);
    expect(await db.seenSignature.findUnique({ where: { signature } })).toEqual({ signature, expiresAt });
    // Compared as the retention step compares it: the stored time is the one written.
    expect(await db.seenSignature.count({ where: { signature, expiresAt: { lt: expiresAt } } })).toBe(0);
    expect(await db.seenSignature.count({ where: { signature, expiresAt: { lte: expiresAt } } })).toBe(1);

    expect(await outcome(acceptSignature(db, { signature, timestampSeconds }))).toBe(REPLAY);
    expect(await outcome(acceptSignature(db, { signature, timestampSeconds: timestampSeconds + 1 }))).toBe(REPLAY);
    expect(await db.seenSignature.findUnique({ where: { signature } })).toEqual({ signature, expiresAt });
    expect(await outcome(acceptSignature(db, { signature: freshSignature(), timestampSeconds }))).toBe("accepted");
  });

  it("accepts one of concurrent requests with the same signature and refuses the others", async () => {
    const signature = freshSignature();
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => outcome(acceptSignature(db, { signature, timestampSeconds }))),
    );
    expect(outcomes.sort()).toEqual(["accepted", REPLAY, REPLAY, REPLAY, REPLAY, REPLAY].sort());
    expect(await db.seenSignature.count({ where: { signature } })).toBe(1);
  });
});
