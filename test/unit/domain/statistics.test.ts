import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fisherExactGreater, fisherExactTwoSided, logFactorial, type TwoByTwo } from "@/server/domain/statistics";

/** The same law computed with exact integers, independently of logFactorial, for moderate counts. */
function exactGreater({ a, aTotal, b, bTotal }: TwoByTwo): number {
  const choose = (n: number, k: number): bigint => {
    let result = 1n;
    for (let i = 1; i <= k; i++) result = (result * BigInt(n - k + i)) / BigInt(i);
    return result;
  };
  const events = a + b;
  const denominator = choose(aTotal + bTotal, events);
  let numerator = 0n;
  for (let k = a; k <= Math.min(events, aTotal); k++) numerator += choose(aTotal, k) * choose(bTotal, events - k);
  // 15 significant digits survive the division.
  const scale = 10n ** 15n;
  return Number((numerator * scale) / denominator) / 1e15;
}

describe("logFactorial", () => {
  it("is exact for small numbers and agrees with summed logs beyond the table", () => {
    expect(logFactorial(0)).toBe(0);
    expect(logFactorial(1)).toBe(0);
    expect(Math.exp(logFactorial(10))).toBeCloseTo(3_628_800, 3);
    let summed = 0;
    for (let n = 1; n <= 5_000; n++) summed += Math.log(n);
    expect(logFactorial(5_000)).toBeCloseTo(summed, 7);
  });

  it("refuses what is not a count", () => {
    expect(() => logFactorial(-1)).toThrow(RangeError);
    expect(() => logFactorial(1.5)).toThrow(RangeError);
  });
});

describe("Fisher's exact test", () => {
  it("matches Fisher's tea-tasting table (3 of 4 right): one-sided 17/70, two-sided 34/70", () => {
    const table = { a: 3, aTotal: 4, b: 1, bTotal: 4 };
    expect(fisherExactGreater(table)).toBeCloseTo(17 / 70, 12);
    expect(fisherExactTwoSided(table)).toBeCloseTo(34 / 70, 12);
  });

  it("matches the published dieting example (9 of 12 women, 1 of 12 men): 0.001380 one-sided, 0.002759 two-sided", () => {
    // The observed table alone has probability 0.001346; the one-sided p adds the one more extreme table.
    const table = { a: 9, aTotal: 12, b: 1, bTotal: 12 };
    expect(fisherExactGreater(table)).toBeCloseTo(3_731 / 2_704_156, 9);
    expect(fisherExactTwoSided(table)).toBeCloseTo(0.002759, 6);
  });

  it("gives 1 when A holds the fewest events it could, and for identical arms one-sided ≥ 0.5", () => {
    expect(fisherExactGreater({ a: 0, aTotal: 100, b: 7, bTotal: 100 })).toBe(1);
    expect(fisherExactGreater({ a: 10, aTotal: 200, b: 10, bTotal: 200 })).toBeGreaterThan(0.5);
    expect(fisherExactTwoSided({ a: 0, aTotal: 50, b: 0, bTotal: 50 })).toBe(1);
  });

  it("agrees with exact integer arithmetic on tables beyond the exact log table", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 400 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (aTotal, bTotal, fa, fb) => {
          const table = { a: Math.floor(fa * aTotal), aTotal, b: Math.floor(fb * bTotal), bTotal };
          const exact = exactGreater(table);
          expect(Math.abs(fisherExactGreater(table) - exact)).toBeLessThan(1e-9 + exact * 1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses impossible tables", () => {
    expect(() => fisherExactGreater({ a: 5, aTotal: 4, b: 0, bTotal: 4 })).toThrow(RangeError);
    expect(() => fisherExactTwoSided({ a: -1, aTotal: 4, b: 0, bTotal: 4 })).toThrow(RangeError);
  });
});
