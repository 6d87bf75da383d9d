// The rollback history's figures: rollbacks per week, time from breach to action, and the share of rollbacks
// that did not help. Definitions: docs/ROLLBACKS.md, "History and its summary".
import type { RollbackTrigger } from "./rollback";

const WEEK_MS = 7 * 86_400_000;
/** The chart shows at most this many weeks, the latest ones; the other figures count every rollback. */
export const SUMMARY_MAX_WEEKS = 52;

export interface HistoryRow {
  trigger: RollbackTrigger;
  requestedAt: Date;
  startedAt: Date | null;
  /** After completion: PENDING, EFFECTIVE or INEFFECTIVE; null before (or when it never completed). */
  verification: string | null;
}

/**
 * Breach to action: from `requestedAt` (an SLO or emergency rollback is created in the cycle that recorded the
 * breach verdict, at that verdict's time; a manual one when the operator asks) to `startedAt`, the first
 * traffic switch (step 1, or 100% at once for an emergency). Null when no traffic ever moved.
 */
export function timeToActionMs({ requestedAt, startedAt }: Pick<HistoryRow, "requestedAt" | "startedAt">) {
  return startedAt === null ? null : startedAt.getTime() - requestedAt.getTime();
}

/** Monday 00:00 UTC of the week holding `date` (ISO weeks). */
export function weekStartUtc(date: Date): Date {
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const sinceMonday = (date.getUTCDay() + 6) % 7;
  return new Date(day - sinceMonday * 86_400_000);
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export type WeekCount = { start: Date; total: number } & Record<RollbackTrigger, number>;

export interface RollbackHistorySummary {
  total: number;
  byTrigger: Record<RollbackTrigger, number>;
  /** Every week from the range's (or the first rollback's) to the range's end (or the last rollback's), zeros included. */
  weeks: WeekCount[];
  /** Older weeks that held rollbacks were left out of `weeks` (at most SUMMARY_MAX_WEEKS are kept). */
  weeksTruncated: boolean;
  /** Over the rollbacks that moved traffic. */
  timeToAction: { medianMs: number | null; count: number };
  /**
   * Judged completions: `ineffectiveShare` = ineffective / (effective + ineffective), null before any.
   * `inconclusive` (too little restored traffic to judge) counts apart and in neither side of the share.
   */
  verification: {
    effective: number;
    ineffective: number;
    inconclusive: number;
    pending: number;
    ineffectiveShare: number | null;
  };
}

/** `range` is the filter's requested-at range (`to` exclusive), so empty weeks at its ends show as zeros. */
export function summarizeRollbacks(
  rows: readonly HistoryRow[],
  range: { from?: Date | undefined; to?: Date | undefined } = {},
): RollbackHistorySummary {
  const byTrigger: Record<RollbackTrigger, number> = { EMERGENCY: 0, SLO: 0, MANUAL: 0 };
  const verification = { effective: 0, ineffective: 0, inconclusive: 0, pending: 0 };
  const durations: number[] = [];
  for (const row of rows) {
    byTrigger[row.trigger] += 1;
    if (row.verification === "EFFECTIVE") verification.effective += 1;
    if (row.verification === "INEFFECTIVE") verification.ineffective += 1;
    if (row.verification === "INCONCLUSIVE") verification.inconclusive += 1;
    if (row.verification === "PENDING") verification.pending += 1;
    const duration = timeToActionMs(row);
    if (duration !== null) durations.push(duration);
  }
  const judged = verification.effective + verification.ineffective;
  const { weeks, truncated } = weekly(rows, range);
  return {
    total: rows.length,
    byTrigger,
    weeks,
    weeksTruncated: truncated,
    timeToAction: { medianMs: median(durations), count: durations.length },
    verification: { ...verification, ineffectiveShare: judged === 0 ? null : verification.ineffective / judged },
  };
}

function weekly(
  rows: readonly HistoryRow[],
  range: { from?: Date | undefined; to?: Date | undefined },
): { weeks: WeekCount[]; truncated: boolean } {
  if (rows.length === 0) return { weeks: [], truncated: false };
  const times = rows.map((row) => row.requestedAt.getTime());
  const earliest = times.reduce((a, b) => Math.min(a, b));
  const latest = times.reduce((a, b) => Math.max(a, b));
  const first = weekStartUtc(range.from ?? new Date(earliest)).getTime();
  const last = weekStartUtc(range.to ? new Date(range.to.getTime() - 1) : new Date(latest)).getTime();
  const start = Math.max(first, last - (SUMMARY_MAX_WEEKS - 1) * WEEK_MS);
  const weeks: WeekCount[] = [];
  for (let week = start; week <= last; week += WEEK_MS) {
    weeks.push({ start: new Date(week), total: 0, EMERGENCY: 0, SLO: 0, MANUAL: 0 });
  }
  let truncated = false;
  for (const row of rows) {
    const index = Math.floor((row.requestedAt.getTime() - start) / WEEK_MS);
    const week = weeks[index];
    if (index < 0 || !week) {
      truncated ||= index < 0;
      continue;
    }
    week.total += 1;
    week[row.trigger] += 1;
  }
  return { weeks, truncated };
}
