import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planRange, rollupWidthForStep, rollupWidths, roundStepToRollups } from "@/server/domain/rollups";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

describe("rollupWidths", () => {
  it("keeps the widths that hold whole buckets and are wider than one", () => {
    expect(rollupWidths(10 * SECOND)).toEqual([MINUTE, 10 * MINUTE]);
    expect(rollupWidths(MINUTE)).toEqual([10 * MINUTE]);
    expect(rollupWidths(2 * MINUTE)).toEqual([10 * MINUTE]);
    expect(rollupWidths(15 * MINUTE)).toEqual([]);
    expect(rollupWidths(7 * SECOND)).toEqual([]);
  });
});

describe("rollupWidthForStep and roundStepToRollups", () => {
  it("reads a step through the widest rollup that divides it", () => {
    expect(rollupWidthForStep(30 * SECOND, 10 * SECOND)).toBeNull();
    expect(rollupWidthForStep(2 * MINUTE, 10 * SECOND)).toBe(MINUTE);
    expect(rollupWidthForStep(20 * MINUTE, 10 * SECOND)).toBe(10 * MINUTE);
    expect(rollupWidthForStep(20 * MINUTE, 15 * MINUTE)).toBeNull();
  });

  it("rounds a step up to whole buckets, and to whole rollups once it spans one", () => {
    expect(roundStepToRollups(1, 10 * SECOND)).toBe(10 * SECOND);
    expect(roundStepToRollups(21.6 * SECOND, 10 * SECOND)).toBe(30 * SECOND);
    expect(roundStepToRollups(MINUTE, 10 * SECOND)).toBe(MINUTE);
    expect(roundStepToRollups(86.4 * SECOND, 10 * SECOND)).toBe(2 * MINUTE);
    expect(roundStepToRollups(605 * SECOND, 10 * SECOND)).toBe(20 * MINUTE);
  });
});

describe("planRange", () => {
  const bucketWidthMs = 10 * SECOND;

  it("reads the whole windows of a range as rollups, widest first, and its edges as buckets", () => {
    const from = 7 * MINUTE + 20 * SECOND;
    const to = 3 * 3_600_000 + 4 * MINUTE + 30 * SECOND;
    expect(planRange({ from, to }, { bucketWidthMs, rollupsFrom: -Infinity })).toEqual([
      { widthMs: null, from, to: 8 * MINUTE },
      { widthMs: MINUTE, from: 8 * MINUTE, to: 10 * MINUTE },
      { widthMs: 10 * MINUTE, from: 10 * MINUTE, to: 3 * 3_600_000 },
      { widthMs: MINUTE, from: 3 * 3_600_000, to: 3 * 3_600_000 + 4 * MINUTE },
      { widthMs: null, from: 3 * 3_600_000 + 4 * MINUTE, to },
    ]);
  });

  it("reads buckets before rollups are complete, and no rollups wider than asked", () => {
    const rollupsFrom = 25 * MINUTE + 1;
    expect(planRange({ from: 0, to: 3_600_000 }, { bucketWidthMs, rollupsFrom })).toEqual([
      { widthMs: null, from: 0, to: 26 * MINUTE },
      { widthMs: MINUTE, from: 26 * MINUTE, to: 30 * MINUTE },
      { widthMs: 10 * MINUTE, from: 30 * MINUTE, to: 3_600_000 },
    ]);
    expect(planRange({ from: 0, to: 3_600_000 }, { bucketWidthMs, rollupsFrom: 0, maxWidthMs: MINUTE })).toEqual([
      { widthMs: MINUTE, from: 0, to: 3_600_000 },
    ]);
    expect(planRange({ from: 0, to: 3_600_000 }, { bucketWidthMs, rollupsFrom: 0, maxWidthMs: 0 })).toEqual([
      { widthMs: null, from: 0, to: 3_600_000 },
    ]);
  });

  it("covers exactly the range, without overlaps, with aligned rollups only where they are complete", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 * 86_400 }),
        fc.integer({ min: 0, max: 2 * 86_400 }),
        fc.option(fc.integer({ min: -86_400, max: 4 * 86_400 }), { nil: undefined }),
        fc.constantFrom(10, 30, 60, 120, 900),
        fc.constantFrom(undefined, 0, MINUTE, 10 * MINUTE),
        (fromSeconds, spanSeconds, markerSeconds, bucketSeconds, maxWidthMs) => {
          const width = bucketSeconds * SECOND;
          const range = { from: fromSeconds * SECOND, to: (fromSeconds + spanSeconds) * SECOND };
          const rollupsFrom = markerSeconds === undefined ? -Infinity : markerSeconds * SECOND;
          const pieces = planRange(range, { bucketWidthMs: width, rollupsFrom, maxWidthMs });
          let cursor = range.from;
          for (const piece of pieces) {
            expect(piece.from).toBe(cursor);
            expect(piece.to).toBeGreaterThan(piece.from);
            cursor = piece.to;
            if (piece.widthMs === null) continue;
            expect(rollupWidths(width)).toContain(piece.widthMs);
            expect(piece.widthMs).toBeLessThanOrEqual(maxWidthMs ?? Infinity);
            expect(piece.from % piece.widthMs).toBe(0);
            expect(piece.to % piece.widthMs).toBe(0);
            expect(piece.from).toBeGreaterThanOrEqual(rollupsFrom);
          }
          expect(cursor).toBe(Math.max(range.from, range.to));
        },
      ),
    );
  });
});
