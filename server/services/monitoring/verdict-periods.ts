// A target's periods of violation and breach over a time range, from its recorded verdicts, for charts to shade
// without shipping every verdict (a week's chart would otherwise poll a thousand verdicts with their details).
import "server-only";
import { z } from "zod";
import type { Db } from "../../db";
import { limitRange, targetRangeShape } from "../../domain/metrics";
import { verdictPeriods, verdictSpanMs, type VerdictPeriod } from "../../domain/verdict-periods";
import { parseInput } from "../platform/validation";

const rangeSchema = limitRange(z.object(targetRangeShape), 7);

/** A verdict shades at least this long after it, however close together verdicts come. */
const MIN_VERDICT_SPAN_MS = 2 * 60_000;

export interface VerdictPeriodsDto {
  /** Oldest first, clipped to the range. */
  periods: VerdictPeriod[];
  /**
   * The oldest verdict the target still has (the history is pruned to the newest 1,000) when that is inside the
   * range: nothing before it can be shaded. Null when the history reaches back past the range's start, or is empty.
   */
  coveredFrom: Date | null;
}

const markSelect = { evaluatedAt: true, status: true, severity: true } as const;

export async function listVerdictPeriods(db: Db, input: unknown, now: Date): Promise<VerdictPeriodsDto> {
  const { targetId, from, to } = parseInput(rangeSchema, input);
  const [before, inRange, oldest] = await Promise.all([
    // The verdict in force at the range's start.
    db.verdictRecord.findFirst({
      where: { targetId, evaluatedAt: { lt: from } },
      orderBy: { evaluatedAt: "desc" },
      select: markSelect,
    }),
    db.verdictRecord.findMany({
      where: { targetId, evaluatedAt: { gte: from, lt: to } },
      orderBy: { evaluatedAt: "asc" },
      select: markSelect,
    }),
    db.verdictRecord.findFirst({ where: { targetId }, orderBy: { evaluatedAt: "asc" }, select: { evaluatedAt: true } }),
  ]);
  const marks = before ? [before, ...inRange] : inRange;
  const end = new Date(Math.min(to.getTime(), now.getTime()));
  const periods = verdictPeriods(marks, { now: end, maxGapMs: verdictSpanMs(marks, MIN_VERDICT_SPAN_MS) })
    .map((period) => ({ ...period, from: period.from < from ? from : period.from }))
    .filter((period) => period.to > period.from);
  return { periods, coveredFrom: oldest && oldest.evaluatedAt > from ? oldest.evaluatedAt : null };
}
