import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ceilToBucket, epochAt, judgedRange } from "@/server/domain/configuration-epoch";

const S = 1_000;
const epoch = (configChangedAt: number | null, configPickupSeconds = 30) => ({
  configChangedAt,
  configPickupSeconds,
  bucketWidthMs: 10 * S,
});

describe("judgedRange", () => {
  const window = { from: 1_000 * S, to: 1_300 * S };

  it("keeps the whole window without a change, or with one before the window plus the grace", () => {
    expect(judgedRange(window, epoch(null))).toEqual({ ...window, clipped: false });
    expect(judgedRange(window, epoch(900 * S))).toEqual({ ...window, clipped: false });
    expect(judgedRange(window, epoch(970 * S))).toEqual({ ...window, clipped: false });
  });

  it("starts after the change plus the pickup grace, rounded up to a bucket boundary", () => {
    expect(judgedRange(window, epoch(1_200 * S))).toEqual({ from: 1_230 * S, to: 1_300 * S, clipped: true });
    expect(judgedRange(window, epoch(1_201 * S))).toEqual({ from: 1_240 * S, to: 1_300 * S, clipped: true });
    expect(judgedRange(window, epoch(1_201 * S, 0))).toEqual({ from: 1_210 * S, to: 1_300 * S, clipped: true });
    expect(judgedRange(window, epoch(new Date(1_200 * S).getTime()))).toMatchObject({ from: 1_230 * S });
  });

  it("is empty (nothing to judge: INSUFFICIENT_DATA) while the change is within its grace", () => {
    expect(judgedRange(window, epoch(1_290 * S))).toEqual({ from: 1_300 * S, to: 1_300 * S, clipped: true });
    expect(judgedRange(window, epoch(2_000 * S))).toEqual({ from: 1_300 * S, to: 1_300 * S, clipped: true });
  });

  it("always lies within the window and never starts inside a bucket after a change", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 120 }), (change, pickup) => {
        const range = judgedRange(window, epoch(change * S, pickup));
        expect(range.from).toBeGreaterThanOrEqual(window.from);
        expect(range.from).toBeLessThanOrEqual(range.to);
        expect(range.to).toBe(window.to);
        if (range.clipped) expect(range.from >= change * S + pickup * S || range.from === window.to).toBe(true);
      }),
    );
  });
});

describe("ceilToBucket and epochAt", () => {
  it("rounds up to the next boundary, keeping a boundary", () => {
    expect(ceilToBucket(20 * S, 10 * S)).toBe(20 * S);
    expect(ceilToBucket(20 * S + 1, 10 * S)).toBe(30 * S);
  });

  it("finds the latest change at or before a time", () => {
    expect(epochAt([30, 10, 20], 25)).toBe(20);
    expect(epochAt([30, 10, 20], 30)).toBe(30);
    expect(epochAt([30, 10, 20], 5)).toBeNull();
  });
});
