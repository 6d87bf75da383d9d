// The verdicts each target's streak needs, for a whole pass in one query: per target, the `limit` newest verdicts
// before `now`, newest first — what one `findMany({ where: { targetId, evaluatedAt: { lt: now } }, orderBy desc,
// take: limit })` per target returns, without a round trip per target.
import "server-only";
import { Prisma, type Db } from "../../db";
import type { VerdictStatus } from "../../domain/evaluation";

export interface RecentVerdict {
  status: VerdictStatus;
  severity: Prisma.VerdictRecordGetPayload<{ select: { severity: true } }>["severity"];
  evaluatedAt: Date;
}

/** Targets per statement: SQLite takes at most 999 bound parameters. */
const SLICE = 500;

/**
 * For each target id, its `limit` newest verdicts before `now` (newest first; absent: none). Each target's cut — the
 * verdict just past the `limit` newest — is one index seek on (targetId, evaluatedAt); the rows above it are the
 * answer, so the query reads about `limit` rows per target however long the history.
 */
export async function loadRecentVerdicts(
  db: Db,
  targetIds: readonly string[],
  { now, limit }: { now: Date; limit: number },
): Promise<Map<string, RecentVerdict[]>> {
  const recent = new Map<string, RecentVerdict[]>();
  if (limit < 1) return recent;
  for (let i = 0; i < targetIds.length; i += SLICE) {
    const ids = targetIds.slice(i, i + SLICE);
    const rows = await db.$queryRaw<(RecentVerdict & { targetId: string })[]>`
      WITH "cut" AS (
        SELECT "t"."id" AS "targetId",
          (SELECT "p"."evaluatedAt" FROM "VerdictRecord" AS "p"
            WHERE "p"."targetId" = "t"."id" AND "p"."evaluatedAt" < ${now}
            ORDER BY "p"."evaluatedAt" DESC LIMIT 1 OFFSET ${limit}) AS "below"
        FROM "Target" AS "t" WHERE "t"."id" IN (${Prisma.join(ids)})
      )
      SELECT "v"."targetId", "v"."status", "v"."severity", "v"."evaluatedAt"
      FROM "VerdictRecord" AS "v" JOIN "cut" ON "cut"."targetId" = "v"."targetId"
      WHERE "v"."evaluatedAt" < ${now} AND ("cut"."below" IS NULL OR "v"."evaluatedAt" > "cut"."below")
      ORDER BY "v"."targetId", "v"."evaluatedAt" DESC`;
    for (const { targetId, ...verdict } of rows) {
      const list = recent.get(targetId);
      if (list) list.push(verdict);
      else recent.set(targetId, [verdict]);
    }
  }
  return recent;
}
