import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LatencySketch, SKETCH_RELATIVE_ACCURACY } from "@/server/domain/sketch";
import { exactQuantile, logNormal, rng } from "./fixtures";

const QUANTILES = [0, 0.5, 0.9, 0.95, 0.99, 1];
const latency = fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 600_000, noNaN: true }));
const chunks = fc.array(fc.array(latency, { maxLength: 40 }), { minLength: 1, maxLength: 6 });

function quantiles(sketch: LatencySketch) {
  return QUANTILES.map((q) => sketch.quantile(q));
}

function expectWithinAccuracy(estimate: number | null, exact: number) {
  expect(estimate).not.toBeNull();
  expect(Math.abs((estimate ?? Number.NaN) - exact)).toBeLessThanOrEqual(exact * SKETCH_RELATIVE_ACCURACY * (1 + 1e-9));
}

function split<T>(values: readonly T[], parts: number): T[][] {
  const size = Math.ceil(values.length / parts);
  return Array.from({ length: parts }, (_, i) => values.slice(i * size, (i + 1) * size));
}

describe("LatencySketch merge", () => {
  it("is associative and order-independent", () => {
    fc.assert(
      fc.property(chunks, fc.integer(), (groups, seed) => {
        const sketches = groups.map((values) => LatencySketch.of(values));
        const flat = LatencySketch.merge(sketches);
        const reversed = LatencySketch.merge([...sketches].reverse());
        const leftFold = sketches.reduce((acc, s) => LatencySketch.merge([acc, s]), LatencySketch.empty());
        const random = rng(seed);
        const shuffled = [...sketches].sort(() => random() - 0.5);
        const rightFold = shuffled.reduceRight((acc, s) => LatencySketch.merge([s, acc]), LatencySketch.empty());
        for (const other of [reversed, leftFold, rightFold]) {
          expect(other.count).toBe(flat.count);
          expect(quantiles(other)).toEqual(quantiles(flat));
        }
      }),
    );
  });

  it("leaves its inputs untouched", () => {
    const a = LatencySketch.of([100, 200, 300]);
    const b = LatencySketch.of([5_000]);
    const before = a.encode();
    const merged = LatencySketch.merge([a, b]);
    merged.add(9_999);
    expect(a.encode()).toBe(before);
    expect([a.count, b.count, merged.count]).toEqual([3, 1, 5]);
  });

  it("of nothing, or of empty sketches, is empty with no quantile", () => {
    for (const merged of [
      LatencySketch.merge([]),
      LatencySketch.merge([LatencySketch.empty(), LatencySketch.empty()]),
    ]) {
      expect(merged.count).toBe(0);
      expect(merged.quantile(0.95)).toBeNull();
    }
  });
});

describe("LatencySketch accuracy", () => {
  it("gives P95 within 1% of the exact P95 on log-normal samples merged from parts", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.double({ min: 3, max: 9, noNaN: true }),
        fc.double({ min: 0.05, max: 1.5, noNaN: true }),
        fc.integer({ min: 1, max: 3_000 }),
        fc.integer({ min: 1, max: 12 }),
        (seed, mu, sigma, n, parts) => {
          const random = rng(seed);
          const values = Array.from({ length: n }, () => logNormal(random, mu, sigma));
          const merged = LatencySketch.merge(split(values, parts).map((part) => LatencySketch.of(part)));
          for (const q of [0.5, 0.95, 0.99]) expectWithinAccuracy(merged.quantile(q), exactQuantile(values, q));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("gives P95 within 1% of the exact P95 on bimodal samples (fast answers plus slow fallbacks)", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer({ min: 20, max: 3_000 }),
        fc.integer({ min: 1, max: 12 }),
        (seed, slowShare, n, parts) => {
          const random = rng(seed);
          const values = Array.from({ length: n }, () =>
            random() < slowShare ? logNormal(random, Math.log(12_000), 0.3) : logNormal(random, Math.log(400), 0.4),
          );
          const merged = LatencySketch.merge(split(values, parts).map((part) => LatencySketch.of(part)));
          expectWithinAccuracy(merged.quantile(0.95), exactQuantile(values, 0.95));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("returns 0 for zero latencies", () => {
    expect(LatencySketch.of([0, 0, 0]).quantile(0.95)).toBe(0);
  });

  it("rejects negative and non-finite latencies and quantiles outside [0, 1]", () => {
    const sketch = LatencySketch.empty();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => sketch.add(bad)).toThrow(RangeError);
    expect(() => sketch.quantile(1.5)).toThrow(RangeError);
    expect(sketch.count).toBe(0);
  });
});

describe("LatencySketch serialization", () => {
  it("round-trips through encode/decode and toData/fromData exactly, and merges afterwards", () => {
    fc.assert(
      fc.property(fc.array(latency, { maxLength: 200 }), fc.array(latency, { maxLength: 50 }), (values, more) => {
        const sketch = LatencySketch.of(values);
        for (const restored of [LatencySketch.decode(sketch.encode()), LatencySketch.fromData(sketch.toData())]) {
          expect(restored.count).toBe(sketch.count);
          expect(quantiles(restored)).toEqual(quantiles(sketch));
          const extra = LatencySketch.of(more);
          expect(LatencySketch.merge([restored, extra]).encode()).toBe(LatencySketch.merge([sketch, extra]).encode());
        }
      }),
    );
  });

  it("encodes equal contents to equal text whatever the merge order", () => {
    const parts = [
      [120, 130],
      [0, 5_000],
      [120, 9_999],
    ].map((values) => LatencySketch.of(values));
    expect(LatencySketch.merge(parts).encode()).toBe(LatencySketch.merge([...parts].reverse()).encode());
  });

  it("keeps a bucket's sketch small", () => {
    const random = rng(5);
    const bucket = LatencySketch.of(Array.from({ length: 20 }, () => logNormal(random, Math.log(1_800), 0.6)));
    expect(bucket.encode().length).toBeLessThan(250);
  });

  it("refuses data that is not a latency sketch, naming the problem", () => {
    expect(() => LatencySketch.fromData("text")).toThrow(/Not a latency sketch/);
    expect(() => LatencySketch.fromData({ keys: [3, 1], counts: [1, 1] })).toThrow(/keys must be strictly ascending/);
    expect(() => LatencySketch.fromData({ keys: [1], counts: [] })).toThrow(/same length/);
    expect(() => LatencySketch.fromData({ keys: [1], counts: [0] })).toThrow(/positive whole numbers/);
    expect(() => LatencySketch.fromData({ keys: [99_999], counts: [1] })).toThrow(/Not a latency sketch/);
  });

  it("reads the documented mapping: key = ceil(ln(ms) / ln((1 + 1%) / (1 − 1%)))", () => {
    const gamma = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
    const key = Math.ceil(Math.log(1_234) / Math.log(gamma));
    expectWithinAccuracy(LatencySketch.fromData({ keys: [key], counts: [1] }).quantile(0.5), 1_234);
  });
});
