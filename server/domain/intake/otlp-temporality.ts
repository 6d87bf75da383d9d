// Cumulative OTLP points turned into deltas, given the stream's previous point as stored.
import { sumOf, type MetricPoint, type PointValue } from "./otlp-metrics";

/** A cumulative stream's last point, as stored. */
export interface StreamState {
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  value: PointValue;
}

/**
 * A point that is not the continuation of a stream Rewind knows (its first point, a new start time, counts that went
 * down) is taken whole when it covers at most this long, as a delta exporter would have sent it; a longer one is
 * kept as the baseline only, so a stream first seen after hours does not pour those hours into one bucket.
 */
export const FIRST_POINT_MAX_SPAN_NS = 5n * 60n * 1_000_000_000n;

export type CumulativeStep =
  { kind: "delta"; value: PointValue } | { kind: "baseline" } | { kind: "stale"; reason: string };

/** `current − previous`, or null when `current` cannot be `previous` plus increments (a reset). */
function subtract(current: PointValue, previous: PointValue): PointValue | null {
  const sum = (a: number | null, b: number | null) => (a === null || b === null ? a : a - b);
  if (current.kind === "number" && previous.kind === "number") {
    return current.value >= previous.value ? { kind: "number", value: current.value - previous.value } : null;
  }
  if (current.kind === "explicit" && previous.kind === "explicit") {
    if (
      current.bounds.length !== previous.bounds.length ||
      current.bounds.some((bound, i) => bound !== previous.bounds[i]) ||
      (previous.bucketCounts.length > 0 && current.bucketCounts.length !== previous.bucketCounts.length)
    ) {
      return null;
    }
    const bucketCounts = current.bucketCounts.map((count, i) => count - (previous.bucketCounts[i] ?? 0));
    const count = current.count - previous.count;
    if (count < 0 || bucketCounts.some((c) => c < 0)) return null;
    return { ...current, count, bucketCounts, sum: sum(current.sum, previous.sum) };
  }
  if (current.kind === "exponential" && previous.kind === "exponential") {
    // An SDK lowers a cumulative stream's scale as its range grows: the previous buckets merge into the current's.
    if (current.scale > previous.scale) return null;
    const shift = previous.scale - current.scale;
    const counts = new Map<number, number>();
    previous.bucketCounts.forEach((count, i) => {
      const index = Math.floor((previous.offset + i) / 2 ** shift);
      counts.set(index, (counts.get(index) ?? 0) + count);
    });
    const bucketCounts = current.bucketCounts.map((count, i) => count - (counts.get(current.offset + i) ?? 0));
    const covered = sumOf(current.bucketCounts.map((_, i) => counts.get(current.offset + i) ?? 0));
    const zeroCount = current.zeroCount - previous.zeroCount;
    const count = current.count - previous.count;
    // Every previous value must lie in a current bucket (or the zero bucket) for the difference to mean anything.
    if (count < 0 || zeroCount < 0 || bucketCounts.some((c) => c < 0) || covered !== sumOf(previous.bucketCounts)) {
      return null;
    }
    return { ...current, count, zeroCount, bucketCounts, sum: sum(current.sum, previous.sum) };
  }
  return null;
}

/**
 * What a cumulative point adds, given its stream's previous point (null: a stream Rewind does not know). A point
 * not newer than the previous one is stale (a duplicate or out of order: refused, counted once already); one with
 * the same start time is the difference; anything else (see FIRST_POINT_MAX_SPAN_NS) is taken whole or kept as
 * the baseline only.
 */
export function cumulativeToDelta(
  previous: StreamState | null,
  current: Pick<MetricPoint, "startTimeUnixNano" | "timeUnixNano" | "value">,
): CumulativeStep {
  if (previous && current.timeUnixNano <= previous.timeUnixNano) {
    return {
      kind: "stale",
      reason: `Not newer than the stream's last point (${previous.timeUnixNano} ns): a duplicate or out of order, already counted`,
    };
  }
  if (previous && current.startTimeUnixNano === previous.startTimeUnixNano) {
    const delta = subtract(current.value, previous.value);
    if (delta) return { kind: "delta", value: delta };
  }
  return current.timeUnixNano - current.startTimeUnixNano <= FIRST_POINT_MAX_SPAN_NS
    ? { kind: "delta", value: current.value }
    : { kind: "baseline" };
}
