// Metric bucket rows as stored (docs/METRICS.md) and as the domain reads them: the selects, the sentinels of
// the all-traffic series, and the conversions both the write path and the readers use.
import "server-only";
import type { Prisma } from "../../db";
import type { MetricBucket, MetricTotals } from "../../domain/metrics";
import { LatencySketch } from "../../domain/sketch";

/** The all-traffic series' provider and model in storage ("" rather than NULL: see the model). */
export const ALL = "";
/** `snapshotVersion` of the all-traffic series and the provider/model breakdown; v ≥ 1 is a version's rows. */
export const ALL_VERSIONS = 0;
/**
 * `snapshotVersion` of flag-arm rows (`flagKey` set): below every series' version, so reads of the all-traffic
 * series (0) and of versions (≥ 1) leave them out without naming them.
 */
export const FLAG_ARM_ROWS = -1;

export const totalsSelect = {
  requestCount: true,
  errorCount: true,
  costMicros: true,
  inputTokens: true,
  outputTokens: true,
  sketch: true,
  ttftSketch: true,
} satisfies Prisma.MetricBucketSelect;
export type StoredTotals = Prisma.MetricBucketGetPayload<{ select: typeof totalsSelect }>;
/** Totals as the raw queries read them: rollups keep their counts as BIGINT, and sums come back as either. */
export type ReadTotals = Omit<
  StoredTotals,
  "requestCount" | "errorCount" | "costMicros" | "inputTokens" | "outputTokens"
> &
  Record<"requestCount" | "errorCount" | "costMicros" | "inputTokens" | "outputTokens", number | bigint>;
/** A bucket or rollup row as the raw queries read it. */
export type StoredRow = ReadTotals & {
  id: string;
  start: Date;
  provider: string;
  model: string;
  snapshotVersion?: number | bigint;
  flagKey?: string;
  flagOn?: boolean | number;
};

/** BigInt columns become numbers: the domain's sums stay exact below 2^53 (see MetricTotals). */
export function toTotals(row: ReadTotals): MetricTotals {
  return {
    requestCount: Number(row.requestCount),
    errorCount: Number(row.errorCount),
    costMicros: Number(row.costMicros),
    inputTokens: Number(row.inputTokens),
    outputTokens: Number(row.outputTokens),
    latency: LatencySketch.decode(row.sketch),
    ttft: row.ttftSketch === null ? LatencySketch.empty() : LatencySketch.decode(row.ttftSketch),
  };
}

export function toColumns(totals: MetricTotals) {
  return {
    requestCount: totals.requestCount,
    errorCount: totals.errorCount,
    costMicros: BigInt(totals.costMicros),
    inputTokens: BigInt(totals.inputTokens),
    outputTokens: BigInt(totals.outputTokens),
    sketch: totals.latency.encode(),
    // NULL rather than an empty sketch: most routes never stream, and their rows stay as small as before.
    ttftSketch: totals.ttft.count > 0 ? totals.ttft.encode() : null,
  };
}

export const bucketSelect = {
  targetId: true,
  start: true,
  provider: true,
  model: true,
  ...totalsSelect,
} satisfies Prisma.MetricBucketSelect;

export function toBucket(row: Omit<StoredRow, "id">): MetricBucket {
  return { start: row.start.getTime(), provider: row.provider || null, model: row.model || null, ...toTotals(row) };
}

/** A bucket row (`widthSeconds` 0) or a rollup row, as the write paths build it: its dimensions and its totals. */
export interface PendingRow extends MetricTotals {
  widthSeconds: number;
  /** Epoch ms. */
  start: number;
  provider: string;
  model: string;
  snapshotVersion: number;
  flagKey: string;
  flagOn: boolean;
}

export function rowDimensions(row: Omit<PendingRow, keyof MetricTotals>) {
  const { start, provider, model, snapshotVersion, flagKey, flagOn, widthSeconds } = row;
  return { start, provider, model, snapshotVersion, flagKey, flagOn, widthSeconds };
}

/** What makes a row unique in its table (the unique index), as one string. */
export function rowKey(row: Omit<PendingRow, keyof MetricTotals>): string {
  return [row.widthSeconds, row.start, row.provider, row.model, row.snapshotVersion, row.flagKey, row.flagOn].join(
    "\u0000",
  );
}
