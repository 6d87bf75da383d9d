import { describe, expect, it } from "vitest";
import type { VerdictStatus } from "@/server/domain/evaluation";
import { breachVerdict } from "../lifecycle-fixtures";
import { callerFor, makeTarget, makeUser, rejection, testDb } from "../helpers";

const db = testDb();
const T = Date.UTC(2027, 2, 1, 12);
const S = 1_000;

async function record(targetId: string, seconds: number, status: VerdictStatus, severity: "CRITICAL" | null = null) {
  await db.verdictRecord.create({
    data: {
      targetId,
      evaluatedAt: new Date(T + seconds * S),
      status,
      severity: status === "BREACH" ? (severity ?? "CRITICAL") : null,
      consecutiveCount: status === "BREACH" || status === "VIOLATION" ? 3 : 0,
      details: breachVerdict,
    },
  });
}

describe("evaluation.periods", () => {
  it("shades the range from the verdict in force at its start, each verdict until the next, up to now", async () => {
    const target = await makeTarget(db);
    for (const [seconds, status] of [
      [-30, "BREACH"],
      [0, "BREACH"],
      [10, "BREACH"],
      [20, "HEALTHY"],
      [30, "VIOLATION"],
      [40, "VIOLATION"],
    ] as const) {
      await record(target.id, seconds, status);
    }
    const viewer = await makeUser(db, "VIEWER");
    const caller = await callerFor(db, viewer.id, { now: () => new Date(T + 45 * S) });
    const range = { targetId: target.id, from: new Date(T), to: new Date(T + 600 * S) };

    expect(await caller.evaluation.periods(range)).toEqual({
      periods: [
        { from: new Date(T), to: new Date(T + 20 * S), level: "BREACH" },
        { from: new Date(T + 30 * S), to: new Date(T + 45 * S), level: "VIOLATION" },
      ],
      coveredFrom: null,
    });
    // A range starting before the oldest verdict kept says where shading can begin.
    const earlier = await caller.evaluation.periods({ ...range, from: new Date(T - 3_600 * S) });
    expect(earlier.coveredFrom).toEqual(new Date(T - 30 * S));
    expect(earlier.periods[0]).toEqual({ from: new Date(T - 30 * S), to: new Date(T + 20 * S), level: "BREACH" });
  });

  it("does not shade a silence: a verdict speaks for at most three typical gaps, and at least two minutes", async () => {
    const target = await makeTarget(db);
    await record(target.id, 0, "BREACH");
    await record(target.id, 3_600, "BREACH");
    const viewer = await makeUser(db, "VIEWER");
    const caller = await callerFor(db, viewer.id, { now: () => new Date(T + 7_200 * S) });
    const { periods } = await caller.evaluation.periods({
      targetId: target.id,
      from: new Date(T - 60 * S),
      to: new Date(T + 7_200 * S),
    });
    // One gap of an hour: a cron that runs hourly, so each verdict shades three hours, up to now.
    expect(periods).toEqual([{ from: new Date(T), to: new Date(T + 7_200 * S), level: "BREACH" }]);
  });

  it("refuses a range over 7 days or ending before it starts", async () => {
    const viewer = await makeUser(db, "VIEWER");
    const caller = await callerFor(db, viewer.id);
    const tooLong = await rejection(
      caller.evaluation.periods({ targetId: "any", from: new Date(0), to: new Date(8 * 86_400_000) }),
    );
    expect(tooLong.code).toBe("BAD_REQUEST");
    const backwards = await rejection(
      caller.evaluation.periods({ targetId: "any", from: new Date(10), to: new Date(0) }),
    );
    expect(backwards.code).toBe("BAD_REQUEST");
  });
});
