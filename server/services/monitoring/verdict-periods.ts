// A target's periods of violation and breach over a time range, from its recorded verdicts, for charts to shade
// without shipping every verdict (a week's chart would otherwise poll a thousand verdicts with their details).
// Each verdict shades the window it judged (domain judgedPeriods), not the moment it was recorded.
import "server-only";
import { z } from "zod";
import type { Db } from "../../db";
import { limitRange, MAX_CHART_RANGE_DAYS, targetRangeShape } from "../../domain/metrics";
import { judgedPeriods, judgedWindowMs, type JudgedVerdict, type VerdictPeriod } from "../../domain/verdict-periods";
import { parseInput } from "../platform/validation";

const rangeSchema = limitRange(z.object(targetRangeShape), MAX_CHART_RANGE_DAYS);

/** The longest evaluation window a policy allows: a verdict this long after the range's end still judged some of it. */
const MAX_WINDOW_MS = 86_400_000;

export interface VerdictPeriodsDto {
  /** Oldest first, clipped to the range. */
  periods: VerdictPeriod[];
  /**
   * The oldest verdict the target still has (the history is pruned to the newest 1,000) when that is inside the
   * range: nothing before it can be shaded. Null when the history reaches back past the range's start, or is empty.
   */
  coveredFrom: Date | null;
}

/** The judged windows of the range's violations and breaches, in the shape judgedPeriods reads. */
async function loadJudgedVerdicts(db: Db, targetId: string, range: { from: Date; to: Date }): Promise<JudgedVerdict[]> {
  const rows = await db.verdictRecord.findMany({
    where: {
      targetId,
      status: { in: ["VIOLATION", "BREACH"] },
      // A verdict judged the window before it: one recorded after `to` may still have judged some of the range.
      evaluatedAt: { gt: range.from, lt: new Date(range.to.getTime() + MAX_WINDOW_MS) },
    },
    orderBy: { evaluatedAt: "asc" },
    select: { evaluatedAt: true, status: true, severity: true, details: true },
  });
  return rows.flatMap(({ details, ...row }) => {
    const windowMs = judgedWindowMs(details);
    return windowMs === null ? [] : [{ ...row, windowMs }];
  });
}

export async function listVerdictPeriods(db: Db, input: unknown, now: Date): Promise<VerdictPeriodsDto> {
  const { targetId, from, to } = parseInput(rangeSchema, input);
  const [verdicts, oldest] = await Promise.all([
    loadJudgedVerdicts(db, targetId, { from, to }),
    db.verdictRecord.findFirst({ where: { targetId }, orderBy: { evaluatedAt: "asc" }, select: { evaluatedAt: true } }),
  ]);
  const periods = judgedPeriods(verdicts, { from, to: new Date(Math.min(to.getTime(), now.getTime())) });
  return { periods, coveredFrom: oldest && oldest.evaluatedAt > from ? oldest.evaluatedAt : null };
}
