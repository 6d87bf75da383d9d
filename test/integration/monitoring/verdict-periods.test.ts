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
  // breachVerdict's details judged a 60 s window: a verdict recorded at t shades [t − 60 s, t).
  it("shades the window each verdict judged, clipped to the range and to now", async () => {
    const target = await makeTarget(db);
    for (const [seconds, status] of [
      [-30, "BREACH"],
      [0, "BREACH"],
      [10, "BREACH"],
      [20, "HEALTHY"],
      [200, "VIOLATION"],
      [210, "VIOLATION"],
      [700, "BREACH"],
    ] as const) {
      await record(target.id, seconds, status);
    }
    const viewer = await makeUser(db, "VIEWER");
    const caller = await callerFor(db, viewer.id, { now: () => new Date(T + 215 * S) });
    const range = { targetId: target.id, from: new Date(T), to: new Date(T + 600 * S) };

    expect(await caller.evaluation.periods(range)).toEqual({
      periods: [
        // The verdicts at 0 s and 10 s judged [-60 s, 10 s): the range starts at 0 s.
        { from: new Date(T), to: new Date(T + 10 * S), level: "BREACH" },
        { from: new Date(T + 140 * S), to: new Date(T + 210 * S), level: "VIOLATION" },
      ],
      coveredFrom: null,
    });
    // A range starting before the oldest verdict kept says where shading can begin.
    const earlier = await caller.evaluation.periods({ ...range, from: new Date(T - 3_600 * S) });
    expect(earlier.coveredFrom).toEqual(new Date(T - 30 * S));
    expect(earlier.periods[0]).toEqual({ from: new Date(T - 90 * S), to: new Date(T + 10 * S), level: "BREACH" });
  });

  it("shades the part of the range a verdict recorded after its end judged", async () => {
    const target = await makeTarget(db);
    await record(target.id, 630, "BREACH");
    const viewer = await makeUser(db, "VIEWER");
    const caller = await callerFor(db, viewer.id, { now: () => new Date(T + 3_600 * S) });
    const { periods } = await caller.evaluation.periods({
      targetId: target.id,
      from: new Date(T),
      to: new Date(T + 600 * S),
    });
    expect(periods).toEqual([{ from: new Date(T + 570 * S), to: new Date(T + 600 * S), level: "BREACH" }]);
  });

  it("refuses a range over 30 days (the longest chart) or ending before it starts", async () => {
    const viewer = await makeUser(db, "VIEWER");
    const caller = await callerFor(db, viewer.id);
    const tooLong = await rejection(
      caller.evaluation.periods({ targetId: "any", from: new Date(0), to: new Date(31 * 86_400_000) }),
    );
    expect(tooLong.code).toBe("BAD_REQUEST");
    const backwards = await rejection(
      caller.evaluation.periods({ targetId: "any", from: new Date(10), to: new Date(0) }),
    );
    expect(backwards.code).toBe("BAD_REQUEST");
  });
});
