// The pass's bulk read of recent verdicts returns, per target, exactly what the straightforward query per target
// returns: the `limit` newest verdicts before `now`, newest first.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { VerdictStatus } from "@/server/domain/evaluation";
import { loadRecentVerdicts } from "@/server/services/monitoring/recent-verdicts";
import { makeTarget, testDb } from "../helpers";

const db = testDb();
const statuses: VerdictStatus[] = ["INSUFFICIENT_DATA", "HEALTHY", "VIOLATION", "BREACH"];
const base = Date.UTC(2034, 0, 1);

function straightforward(targetId: string, now: Date, limit: number) {
  return db.verdictRecord.findMany({
    where: { targetId, evaluatedAt: { lt: now } },
    orderBy: { evaluatedAt: "desc" },
    take: limit,
    select: { status: true, severity: true, evaluatedAt: true },
  });
}

describe("loadRecentVerdicts", () => {
  it("matches one findMany per target for any histories, instants and limits", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Per target: the seconds (distinct, as the cycle records at most one verdict per target and instant) and
        // statuses of its verdicts.
        fc.array(
          fc.uniqueArray(
            fc.record({ second: fc.integer({ min: 0, max: 200 }), status: fc.constantFrom(...statuses) }),
            {
              selector: (verdict) => verdict.second,
              maxLength: 12,
            },
          ),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 0, max: 210 }),
        fc.integer({ min: 1, max: 6 }),
        async (histories, nowSecond, limit) => {
          const targets = await Promise.all(histories.map(() => makeTarget(db)));
          await db.verdictRecord.createMany({
            data: histories.flatMap((history, i) =>
              history.map(({ second, status }) => ({
                targetId: targets[i]!.id,
                evaluatedAt: new Date(base + second * 1000),
                status,
                severity: status === "BREACH" ? ("CRITICAL" as const) : null,
                consecutiveCount: 0,
                details: {},
              })),
            ),
          });
          const now = new Date(base + nowSecond * 1000);
          const bulk = await loadRecentVerdicts(
            db,
            targets.map((target) => target.id),
            { now, limit },
          );
          for (const target of targets) {
            expect(bulk.get(target.id) ?? []).toEqual(await straightforward(target.id, now, limit));
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it("reads more targets than one statement may bind", async () => {
    const targets = await Promise.all(Array.from({ length: 520 }, () => makeTarget(db)));
    await db.verdictRecord.createMany({
      data: targets.map((target, i) => ({
        targetId: target.id,
        evaluatedAt: new Date(base + i * 1000),
        status: "HEALTHY" as const,
        consecutiveCount: 0,
        details: {},
      })),
    });
    const bulk = await loadRecentVerdicts(
      db,
      targets.map((target) => target.id),
      { now: new Date(base + 10_000_000), limit: 3 },
    );
    expect(bulk.size).toBe(520);
    expect(bulk.get(targets[519]!.id)).toEqual([
      { status: "HEALTHY", severity: null, evaluatedAt: new Date(base + 519_000) },
    ]);
  });
});
