// OTLP histograms (explicit-bucket and exponential) turned into Rewind's latency sketch, with the accuracy each
// form keeps (docs/INTEGRATIONS.md, "OTLP metrics").
import { LatencySketch, SKETCH_RELATIVE_ACCURACY } from "../sketch";
import type { PointValue } from "./otlp-metrics";

/** Spread positions per explicit bucket at most: finer than this changes a quantile by < 1% of the bucket. */
const MAX_SPREAD_POSITIONS = 100;

/**
 * `count` values spread evenly over (lower, upper] (positions lower + (upper − lower)(j − ½)/count), as linear
 * interpolation inside a bucket reads them; past MAX_SPREAD_POSITIONS values, that many positions share the weight.
 */
function addSpread(sketch: LatencySketch, lower: number, upper: number, count: number): void {
  if (count === 0) return;
  if (!(upper > lower)) {
    sketch.add(Math.max(0, lower), count);
    return;
  }
  const positions = Math.min(count, MAX_SPREAD_POSITIONS);
  for (let j = 1; j <= positions; j++) {
    const weight = Math.floor((j * count) / positions) - Math.floor(((j - 1) * count) / positions);
    if (weight > 0) sketch.add(lower + ((upper - lower) * (j - 0.5)) / positions, weight);
  }
}

/**
 * An explicit-bucket histogram as a sketch of ms (`factor` converts the metric's unit). Each bucket's values are
 * spread evenly over its range (one value: the midpoint), narrowed to the point's min and max where sent; the first
 * bucket starts at 0 (durations are not negative), and the open last bucket ends at max, or without max its values
 * sit at its lower bound (all that is known of them).
 */
export function explicitToSketch(value: Extract<PointValue, { kind: "explicit" }>, factor: number): LatencySketch {
  const sketch = LatencySketch.empty();
  const min = value.min !== null && Number.isFinite(value.min) ? Math.max(0, value.min * factor) : 0;
  const max = value.max !== null && Number.isFinite(value.max) ? value.max * factor : null;
  value.bucketCounts.forEach((count, i) => {
    const bucketLower = i === 0 ? 0 : (value.bounds[i - 1] ?? 0) * factor;
    const bucketUpper = i < value.bounds.length ? (value.bounds[i] ?? 0) * factor : (max ?? bucketLower);
    let lower = Math.max(0, bucketLower, min);
    let upper = max === null ? bucketUpper : Math.min(bucketUpper, max);
    // min and max that contradict the buckets are not trusted.
    if (upper < lower) [lower, upper] = [Math.max(0, bucketLower), Math.max(0, bucketUpper)];
    addSpread(sketch, lower, upper, count);
  });
  return sketch;
}

/**
 * An exponential histogram as a sketch of ms. Each bucket (L, U] goes whole to 2LU/(L + U), the value closest in
 * relative terms to all of the bucket's (within (b − 1)/(b + 1), b = 2^(2^−scale)), kept within the point's min
 * and max; the zero bucket at half its threshold (0 when exact zeros).
 */
export function exponentialToSketch(
  value: Extract<PointValue, { kind: "exponential" }>,
  factor: number,
): LatencySketch {
  const sketch = LatencySketch.empty();
  if (value.zeroCount > 0) sketch.add((value.zeroThreshold * factor) / 2, value.zeroCount);
  const step = 2 ** -value.scale;
  const min = value.min !== null && Number.isFinite(value.min) ? value.min * factor : 0;
  const max = value.max !== null && Number.isFinite(value.max) ? value.max * factor : Infinity;
  value.bucketCounts.forEach((count, i) => {
    if (count === 0) return;
    const index = value.offset + i;
    const lower = 2 ** (index * step) * factor;
    const upper = 2 ** ((index + 1) * step) * factor;
    const representative = (2 * lower * upper) / (lower + upper);
    sketch.add(min <= max ? Math.min(Math.max(representative, min), max) : representative, count);
  });
  return sketch;
}

/**
 * The worst relative error of a quantile read from a sketch built by `exponentialToSketch` at `scale`: the bucket's
 * (b − 1)/(b + 1) compounded with the sketch's own.
 */
export function exponentialSketchAccuracy(scale: number): number {
  const base = 2 ** (2 ** -scale);
  return (1 + (base - 1) / (base + 1)) * (1 + SKETCH_RELATIVE_ACCURACY) - 1;
}

export function pointToSketch(value: PointValue, factor: number): LatencySketch {
  if (value.kind === "explicit") return explicitToSketch(value, factor);
  if (value.kind === "exponential") return exponentialToSketch(value, factor);
  return LatencySketch.empty();
}
