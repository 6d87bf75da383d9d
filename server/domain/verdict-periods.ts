// Periods of violation or breach from a target's recorded verdicts, for charts that shade them: each
// verdict speaks for the time until the next one, and a long silence (monitoring off, no cycles) ends it.
import type { VerdictStatus } from "./evaluation";

export type PeriodLevel = "VIOLATION" | "BREACH" | "EMERGENCY";

/** [from, to) at one level; the same shape as a backtest's periods, so one chart draws both. */
export interface VerdictPeriod {
  from: Date;
  to: Date;
  level: PeriodLevel;
}

export interface VerdictMark {
  evaluatedAt: Date;
  status: VerdictStatus;
  severity: "CRITICAL" | "EMERGENCY" | null;
}

function levelOf(verdict: VerdictMark): PeriodLevel | null {
  if (verdict.status === "VIOLATION") return "VIOLATION";
  if (verdict.status === "BREACH") return verdict.severity === "EMERGENCY" ? "EMERGENCY" : "BREACH";
  return null;
}

/**
 * Verdicts in any order → periods oldest first. A verdict covers [its time, the next verdict's time), at most
 * `maxGapMs`, and the latest one at most until `now`. Adjacent verdicts of one level make one period.
 */
export function verdictPeriods(
  verdicts: readonly VerdictMark[],
  { now, maxGapMs }: { now: Date; maxGapMs: number },
): VerdictPeriod[] {
  const sorted = [...verdicts].sort((a, b) => a.evaluatedAt.getTime() - b.evaluatedAt.getTime());
  const periods: VerdictPeriod[] = [];
  sorted.forEach((verdict, index) => {
    const level = levelOf(verdict);
    if (!level) return;
    const from = verdict.evaluatedAt.getTime();
    const next = sorted[index + 1]?.evaluatedAt.getTime() ?? now.getTime();
    const to = Math.min(next, from + maxGapMs);
    if (to <= from) return;
    const last = periods.at(-1);
    if (last && last.level === level && last.to.getTime() === from) last.to = new Date(to);
    else periods.push({ from: new Date(from), to: new Date(to), level });
  });
  return periods;
}

/**
 * How long one verdict speaks for: three times the median gap between consecutive verdicts (the built-in cycle
 * runs every 10 s, a cron may run every few minutes), and at least `minMs`; a longer silence is not shaded.
 */
export function verdictSpanMs(verdicts: readonly Pick<VerdictMark, "evaluatedAt">[], minMs: number): number {
  const times = verdicts.map((verdict) => verdict.evaluatedAt.getTime()).sort((a, b) => a - b);
  const gaps = times.slice(1).map((time, index) => time - (times[index] as number));
  if (gaps.length === 0) return minMs;
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)] as number;
  return Math.max(minMs, 3 * median);
}
