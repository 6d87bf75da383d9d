import { describe, expect, it } from "vitest";
import { niceAxis, niceCeiling, niceTicks } from "@/components/charts/axis";

describe("niceCeiling", () => {
  it("rounds up to 1, 2, 2.5 or 5 × 10ⁿ", () => {
    expect(niceCeiling(0.52)).toBe(1);
    expect(niceCeiling(0.95)).toBe(1);
    expect(niceCeiling(0.15)).toBe(0.2);
    expect(niceCeiling(0.21)).toBe(0.25);
    expect(niceCeiling(0.3)).toBe(0.5);
    expect(niceCeiling(6_900)).toBe(10_000);
    expect(niceCeiling(24_000)).toBe(25_000);
    expect(niceCeiling(0.0123)).toBe(0.02);
  });

  it("keeps a value that is already nice, and gives 1 for nothing positive", () => {
    for (const value of [1, 2, 2.5, 5, 10, 0.05, 0.25, 20_000, 1e-6]) expect(niceCeiling(value)).toBe(value);
    expect(niceCeiling(0)).toBe(1);
    expect(niceCeiling(-3)).toBe(1);
    expect(niceCeiling(Number.NaN)).toBe(1);
  });

  it("is nice and at or above the value for any magnitude", () => {
    for (let exponent = -6; exponent <= 6; exponent += 1) {
      for (const mantissa of [1.01, 1.7, 2.2, 3.3, 4.99, 5.01, 9.99]) {
        const value = mantissa * 10 ** exponent;
        const nice = niceCeiling(value);
        expect(nice).toBeGreaterThanOrEqual(value);
        const scaled = Number((nice / 10 ** Math.floor(Math.log10(nice))).toPrecision(12));
        expect([1, 2, 2.5, 5]).toContain(scaled);
        expect(nice / value).toBeLessThanOrEqual(2.5);
      }
    }
  });
});

describe("niceAxis", () => {
  it("holds the data and every limit drawn", () => {
    // Data up to 12% with a 5% limit and a 15% emergency limit: 0–20%.
    expect(niceAxis([0.01, 0.12, null, 0.05, 0.15]).max).toBe(0.2);
    // A TTFT chart peaking at 2.1 s with its emergency limit at 6 s: 0–10 s, the 6 s line inside.
    expect(niceAxis([2_100, 2_000, 6_000]).max).toBe(10_000);
    expect(niceAxis([]).max).toBe(1);
  });

  it("stops a ratio at 100%, leaving out of view a limit no reading can reach", () => {
    expect(niceAxis([0.97, 0.5], { cap: 1 }).max).toBe(1);
    expect(niceAxis([0.1, 0.5, 1.5], { cap: 1 }).max).toBe(0.5);
  });

  it("puts ticks on round steps from 0 to the maximum", () => {
    expect(niceTicks(1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.2)).toEqual([0, 0.05, 0.1, 0.15, 0.2]);
    expect(niceTicks(0.25)).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25]);
    expect(niceTicks(5_000)).toEqual([0, 1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(niceTicks(0)).toEqual([0]);
    expect(niceAxis([0.12]).ticks).toEqual([0, 0.05, 0.1, 0.15, 0.2]);
  });
});
