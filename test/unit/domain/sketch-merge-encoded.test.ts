import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LatencySketch } from "@/server/domain/sketch";

describe("LatencySketch.mergeEncoded", () => {
  it("equals decoding each sketch and merging them, for any sketches joined by commas", () => {
    const latencies = fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0.001, max: 600_000, noNaN: true })), {
      maxLength: 40,
    });
    fc.assert(
      fc.property(fc.array(latencies, { maxLength: 12 }), (groups) => {
        const sketches = groups.map((values) => LatencySketch.of(values));
        const merged = LatencySketch.mergeEncoded(sketches.map((sketch) => sketch.encode()).join(","));
        expect(merged.toData()).toEqual(LatencySketch.merge(sketches).toData());
        expect(merged.count).toBe(groups.reduce((total, values) => total + values.length, 0));
      }),
    );
  });

  it("reads an empty string as an empty sketch", () => {
    expect(LatencySketch.mergeEncoded("").count).toBe(0);
    expect(LatencySketch.mergeEncoded("").quantile(0.95)).toBeNull();
  });
});
