// Latency sketch: a DDSketch (1% relative accuracy) that buckets store, merge into windows of any length
// and persist as base64 text in the DDSketch protobuf wire format.
import { DDSketch } from "@datadog/sketches-js";

export const SKETCH_RELATIVE_ACCURACY = 0.01;

/**
 * Build one with `LatencySketch.empty()` and `add()`; `add` is the only mutator and is meant for the code
 * that fills a fresh sketch. Everything else (merge, quantile, serialize) leaves its inputs untouched.
 */
export class LatencySketch {
  readonly #inner: DDSketch;

  private constructor(inner: DDSketch) {
    this.#inner = inner;
  }

  static empty(): LatencySketch {
    return new LatencySketch(new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY }));
  }

  static of(valuesMs: Iterable<number>): LatencySketch {
    const sketch = LatencySketch.empty();
    for (const value of valuesMs) sketch.add(value);
    return sketch;
  }

  /** A new sketch holding every input's values; merging nothing gives an empty sketch. */
  static merge(sketches: Iterable<LatencySketch>): LatencySketch {
    const merged = LatencySketch.empty();
    for (const sketch of sketches) merged.#inner.merge(sketch.#inner);
    return merged;
  }

  /**
   * Latencies are never negative: the library's `merge` drops negative-value bins, so rejecting them here
   * keeps merges exact.
   */
  add(latencyMs: number, weight = 1): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) {
      throw new RangeError(`Latency must be a finite, non-negative number of ms, got ${latencyMs}`);
    }
    this.#inner.accept(latencyMs, weight);
  }

  get count(): number {
    return this.#inner.count;
  }

  /**
   * The value at rank floor(q × (count − 1)) of the sorted values, within 1% relative error; null when the
   * sketch is empty (the library would return NaN, which compares false against every threshold).
   */
  quantile(q: number): number | null {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`Quantile must be within [0, 1], got ${q}`);
    return this.#inner.count === 0 ? null : this.#inner.getValueAtQuantile(q);
  }

  /**
   * Base64 text of the DDSketch protobuf message (the library's own codec, readable by the other
   * DDSketch libraries): one TEXT column type behaves the same on SQLite and PostgreSQL, and the same
   * string travels unchanged through JSON (pre-aggregated windows at ingest, tRPC).
   */
  toBase64(): string {
    return Buffer.from(this.#inner.toProto()).toString("base64");
  }

  static fromBase64(text: string): LatencySketch {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new Error("Latency sketch is not base64 text");
    let inner: DDSketch;
    try {
      inner = DDSketch.fromProto(Buffer.from(text, "base64"));
    } catch (error) {
      throw new Error(`Not a latency sketch: ${error instanceof Error ? error.message : String(error)}`);
    }
    const expectedGamma = LatencySketch.empty().#inner.mapping.gamma;
    if (Math.abs(inner.mapping.gamma - expectedGamma) > 1e-12) {
      throw new Error(
        `Unsupported sketch mapping (gamma ${inner.mapping.gamma}): expected ${SKETCH_RELATIVE_ACCURACY * 100}% relative accuracy`,
      );
    }
    if (inner.negativeStore.count > 0) throw new Error("Latency sketch holds negative values");
    return new LatencySketch(inner);
  }
}
