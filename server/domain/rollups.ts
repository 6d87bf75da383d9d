// Rollups: a target's buckets merged over 1-minute and 10-minute windows (the MetricRollup rows), and how a time
// range splits into the whole windows that rollups answer and the edges that only buckets can. Counts add and
// sketches merge bin by bin, so a range read through rollups sums and merges the very buckets it would have read
// one by one. Storage and upkeep: docs/METRICS.md, "Rollups".

const MINUTE_MS = 60_000;

/** The rollup widths, finest first. */
export const ROLLUP_WIDTHS_MS = [MINUTE_MS, 10 * MINUTE_MS] as const;

/**
 * The rollup widths that hold whole buckets of `bucketWidthMs` (METRIC_BUCKET_SECONDS): wider than a bucket and a
 * multiple of it. With 10 s buckets, both; with 2-minute buckets, only 10 minutes; with 15-minute ones, none.
 */
export function rollupWidths(bucketWidthMs: number): number[] {
  return ROLLUP_WIDTHS_MS.filter((width) => width > bucketWidthMs && width % bucketWidthMs === 0);
}

/** One part of a range: buckets (`widthMs` null) or rollups of `widthMs` starting in [from, to). */
export interface RangePiece {
  widthMs: number | null;
  from: number;
  to: number;
}

const floorTo = (ms: number, width: number) => Math.floor(ms / width) * width;
const ceilTo = (ms: number, width: number) => Math.ceil(ms / width) * width;

/**
 * Splits the buckets starting in [from, to) into pieces, widest rollups first: for each usable width up to
 * `maxWidthMs`, the whole windows inside the range, then the edges with the next finer width, and buckets for what
 * is left. Windows before `rollupsFrom` (epoch ms; rollups are complete from there on) are read as buckets. The
 * pieces do not overlap and together hold exactly the buckets starting in the range, sorted by `from`.
 */
export function planRange(
  range: { from: number; to: number },
  options: { bucketWidthMs: number; rollupsFrom: number; maxWidthMs?: number },
): RangePiece[] {
  const widths = rollupWidths(options.bucketWidthMs).filter((width) => width <= (options.maxWidthMs ?? Infinity));
  const split = (from: number, to: number, level: number): RangePiece[] => {
    if (from >= to) return [];
    const width = widths[level];
    if (width === undefined) return [{ widthMs: null, from, to }];
    const inner = { from: Math.max(ceilTo(from, width), ceilTo(options.rollupsFrom, width)), to: floorTo(to, width) };
    if (inner.from >= inner.to) return split(from, to, level - 1);
    return [...split(from, inner.from, level - 1), { widthMs: width, ...inner }, ...split(inner.to, to, level - 1)];
  };
  return split(range.from, range.to, widths.length - 1);
}

/** The widest rollup width that divides `stepMs`, or null: a chart step made of whole rollups reads those. */
export function rollupWidthForStep(stepMs: number, bucketWidthMs: number): number | null {
  const fitting = rollupWidths(bucketWidthMs).filter((width) => stepMs % width === 0);
  return fitting.at(-1) ?? null;
}

/**
 * A chart step of at least `minStepMs`: a whole number of buckets and, once it spans a rollup width, a whole number
 * of the widest rollups it spans, so that every step past the range's edges is read from rollups.
 */
export function roundStepToRollups(minStepMs: number, bucketWidthMs: number): number {
  const step = Math.max(1, Math.ceil(minStepMs / bucketWidthMs)) * bucketWidthMs;
  const spanned = rollupWidths(bucketWidthMs).filter((width) => step >= width);
  const width = spanned.at(-1);
  return width === undefined ? step : ceilTo(step, width);
}
