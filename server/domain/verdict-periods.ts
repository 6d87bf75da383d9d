// Periods of violation or breach from a target's recorded verdicts, for charts that shade them. A verdict recorded
// at t judged the traffic of [t − its window, t) (the window as recorded, shorter where a configuration change cut
// it), so that is where it is shaded: the traffic that was bad, not the time the verdict came afterwards.
import { z } from "zod";
import type { VerdictStatus } from "./evaluation";

export type PeriodLevel = "VIOLATION" | "BREACH" | "EMERGENCY";

/** [from, to) at one level; the same shape as a backtest's periods, so one chart draws both. */
export interface VerdictPeriod {
  from: Date;
  to: Date;
  level: PeriodLevel;
}

export interface JudgedVerdict {
  evaluatedAt: Date;
  status: VerdictStatus;
  severity: "CRITICAL" | "EMERGENCY" | null;
  /** The length of the window the verdict judged (its details' observed.windowSeconds, in ms). */
  windowMs: number;
}

/** The judged window's length as recorded in a verdict's details (verdictSchema's observed.windowSeconds). */
const judgedWindowSchema = z.object({ observed: z.object({ windowSeconds: z.number().positive() }) });

/** A stored verdict's judged window in ms, or null when its details do not say. */
export function judgedWindowMs(details: unknown): number | null {
  const judged = judgedWindowSchema.safeParse(details);
  return judged.success ? judged.data.observed.windowSeconds * 1000 : null;
}

const levels: readonly PeriodLevel[] = ["VIOLATION", "BREACH", "EMERGENCY"];

export function periodLevel(verdict: Pick<JudgedVerdict, "status" | "severity">): PeriodLevel | null {
  if (verdict.status === "VIOLATION") return "VIOLATION";
  if (verdict.status === "BREACH") return verdict.severity === "EMERGENCY" ? "EMERGENCY" : "BREACH";
  return null;
}

/**
 * Verdicts in any order → disjoint periods oldest first, clipped to `range`. Judged windows overlap (a 5-minute
 * window judged every 10 s): where they do, the worst level wins, and touching spans of one level merge.
 */
export function judgedPeriods(verdicts: readonly JudgedVerdict[], range: { from: Date; to: Date }): VerdictPeriod[] {
  const from = range.from.getTime();
  const to = range.to.getTime();
  // Sweep over the windows' edges, counting the open windows of each level.
  const edges: { at: number; rank: number; delta: 1 | -1 }[] = [];
  for (const verdict of verdicts) {
    const level = periodLevel(verdict);
    if (!level || !(verdict.windowMs > 0)) continue;
    const end = Math.min(to, verdict.evaluatedAt.getTime());
    const start = Math.max(from, verdict.evaluatedAt.getTime() - verdict.windowMs);
    if (end <= start) continue;
    const rank = levels.indexOf(level);
    edges.push({ at: start, rank, delta: 1 }, { at: end, rank, delta: -1 });
  }
  edges.sort((a, b) => a.at - b.at);
  const open = [0, 0, 0];
  const periods: VerdictPeriod[] = [];
  for (let index = 0; index < edges.length; index += 1) {
    const edge = edges[index] as (typeof edges)[number];
    open[edge.rank] = (open[edge.rank] ?? 0) + edge.delta;
    const next = edges[index + 1];
    if (next && next.at === edge.at) continue;
    const until = next?.at;
    const worst = [2, 1, 0].find((rank) => (open[rank] ?? 0) > 0);
    if (until === undefined || worst === undefined) continue;
    const level = levels[worst] as PeriodLevel;
    const last = periods.at(-1);
    if (last && last.level === level && last.to.getTime() === edge.at) last.to = new Date(until);
    else periods.push({ from: new Date(edge.at), to: new Date(until), level });
  }
  return periods;
}
