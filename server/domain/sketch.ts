// Latency sketch: DDSketch's logarithmic mapping (1% relative accuracy) over a sparse map of integer
// counts. Buckets store one, windows of any length are merges of them.
//
// Why our own rather than @datadog/sketches-js: a 10 s bucket holds tens of latencies spread over a
// few hundred possible bins, and the evaluation pass decodes and merges thousands of buckets per cycle.
// The library's dense store and protobuf codec (which also needs the undeclared protobufjs) cost ~30 µs
// to decode and ~190 µs to merge 30 such sketches, and ~1.7 KB each; a sparse map of integer counts
// in JSON takes a few µs, merges in ~10 µs and stores ~0.2 KB, with the same accuracy guarantee.
// Measured in docs/PERFORMANCE.md.
import { z } from "zod";

export const SKETCH_RELATIVE_ACCURACY = 0.01;

const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Latencies below this (1 ns) count as zero: the mapping cannot index 0. */
const MIN_INDEXABLE_MS = 1e-6;
/** Keys of latencies from 1 ns to centuries: anything outside is not a latency. */
const MAX_KEY = 1_500;
const MIN_KEY = -700;

/** Bin `key` holds values in (γ^(key−1), γ^key]; this representative is within 1% of all of them. */
function keyOf(valueMs: number): number {
  return Math.ceil(Math.log(valueMs) / LOG_GAMMA);
}

function valueOf(key: number): number {
  return (2 * GAMMA ** key) / (GAMMA + 1);
}

/**
 * The stored and API form: bin keys ascending (DDSketch logarithmic mapping, γ = 1.01/0.99, key =
 * ceil(ln(ms) / ln γ)), their counts, and the count of zero latencies. docs/METRICS.md shows how to
 * build one in a few lines.
 */
export const sketchDataSchema = z
  .object(
    {
      keys: z.array(z.number().int().min(MIN_KEY).max(MAX_KEY), { error: "keys must be a list of bin indexes" }),
      counts: z.array(z.number().int().positive("Bin counts must be positive whole numbers")),
      zeroCount: z.number().int().nonnegative("zeroCount must be a non-negative whole number").default(0),
    },
    { error: "Sketch must be an object with keys, counts and zeroCount (see docs/METRICS.md)" },
  )
  .refine((data) => data.keys.length === data.counts.length, {
    message: "keys and counts must have the same length",
    path: ["counts"],
  })
  .refine((data) => data.keys.every((key, i) => i === 0 || key > (data.keys[i - 1] ?? key)), {
    message: "keys must be strictly ascending",
    path: ["keys"],
  });
export type SketchData = z.infer<typeof sketchDataSchema>;

/**
 * Build one with `LatencySketch.empty()` and `add()`; `add` is the only mutator and is meant for the code
 * that fills a fresh sketch. Everything else (merge, quantile, encode) leaves its inputs untouched.
 */
export class LatencySketch {
  readonly #bins: Map<number, number>;
  #zeroCount: number;
  #count: number;

  private constructor(bins: Map<number, number>, zeroCount: number) {
    this.#bins = bins;
    this.#zeroCount = zeroCount;
    this.#count = zeroCount;
    for (const count of bins.values()) this.#count += count;
  }

  static empty(): LatencySketch {
    return new LatencySketch(new Map(), 0);
  }

  static of(valuesMs: Iterable<number>): LatencySketch {
    const sketch = LatencySketch.empty();
    for (const value of valuesMs) sketch.add(value);
    return sketch;
  }

  /** A new sketch holding every input's values; merging nothing gives an empty sketch. */
  static merge(sketches: Iterable<LatencySketch>): LatencySketch {
    const bins = new Map<number, number>();
    let zeroCount = 0;
    for (const sketch of sketches) {
      zeroCount += sketch.#zeroCount;
      for (const [key, count] of sketch.#bins) bins.set(key, (bins.get(key) ?? 0) + count);
    }
    return new LatencySketch(bins, zeroCount);
  }

  add(latencyMs: number, weight = 1): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) {
      throw new RangeError(`Latency must be a finite, non-negative number of ms, got ${latencyMs}`);
    }
    if (!Number.isInteger(weight) || weight < 1)
      throw new RangeError(`Weight must be a positive integer, got ${weight}`);
    this.#count += weight;
    if (latencyMs < MIN_INDEXABLE_MS) {
      this.#zeroCount += weight;
      return;
    }
    const key = Math.min(keyOf(latencyMs), MAX_KEY);
    this.#bins.set(key, (this.#bins.get(key) ?? 0) + weight);
  }

  get count(): number {
    return this.#count;
  }

  /**
   * The value at rank floor(q × (count − 1)) of the sorted values, within 1% relative error; null when the
   * sketch is empty.
   */
  quantile(q: number): number | null {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`Quantile must be within [0, 1], got ${q}`);
    if (this.#count === 0) return null;
    const rank = Math.floor(q * (this.#count - 1));
    if (rank < this.#zeroCount) return 0;
    let seen = this.#zeroCount;
    for (const key of [...this.#bins.keys()].sort((a, b) => a - b)) {
      seen += this.#bins.get(key) ?? 0;
      if (seen > rank) return valueOf(key);
    }
    return null;
  }

  /**
   * How many values lie in bins wholly above the bin of `valueMs` (a quantile this sketch or a merge of it
   * returned): values within the sketch's 1% of it count as not above, the same way in every sketch.
   */
  countAbove(valueMs: number): number {
    if (valueMs < MIN_INDEXABLE_MS) return this.#count - this.#zeroCount;
    const threshold = Math.min(keyOf(valueMs), MAX_KEY);
    let above = 0;
    for (const [key, count] of this.#bins) if (key > threshold) above += count;
    return above;
  }

  toData(): SketchData {
    const keys = [...this.#bins.keys()].sort((a, b) => a - b);
    return { keys, counts: keys.map((key) => this.#bins.get(key) ?? 0), zeroCount: this.#zeroCount };
  }

  /** Validates data from outside (an API client's window); throws with the first problem. */
  static fromData(data: unknown): LatencySketch {
    const parsed = sketchDataSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`Not a latency sketch: ${issue ? `${issue.path.join(".") || "sketch"}: ${issue.message}` : ""}`);
    }
    const { keys, counts, zeroCount } = parsed.data;
    return new LatencySketch(new Map(keys.map((key, i) => [key, counts[i] ?? 0])), zeroCount);
  }

  /** JSON text for a database column: the same on SQLite and PostgreSQL, and fast to parse. */
  encode(): string {
    return JSON.stringify(this.toData());
  }

  /**
   * Merges sketches that `encode` wrote, joined by commas as SQL's group_concat and string_agg return a group's
   * column: one parse and one map for all of them, where decoding each first builds a map per sketch (a 7-day
   * chart merges 60,480). Trusted like `decode`; an empty string is an empty sketch.
   */
  static mergeEncoded(joined: string): LatencySketch {
    const bins = new Map<number, number>();
    let zeroCount = 0;
    if (joined.length > 0) {
      for (const { keys, counts, zeroCount: zeros } of JSON.parse(`[${joined}]`) as SketchData[]) {
        zeroCount += zeros;
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i] as number;
          bins.set(key, (bins.get(key) ?? 0) + (counts[i] as number));
        }
      }
    }
    return new LatencySketch(bins, zeroCount);
  }

  /** Reads what `encode` wrote (trusted: it came from our own column, so no validation). */
  static decode(text: string): LatencySketch {
    const { keys, counts, zeroCount } = JSON.parse(text) as SketchData;
    const bins = new Map<number, number>();
    for (let i = 0; i < keys.length; i++) bins.set(keys[i] as number, counts[i] as number);
    return new LatencySketch(bins, zeroCount);
  }
}
