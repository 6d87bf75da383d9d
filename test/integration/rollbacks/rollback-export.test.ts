// The rollback history's export read and written a page at a time (server/services/rollbacks/history.ts) against
// the whole list read and written at once, on thousands of rollbacks whose request times repeat, so pages end
// inside runs of equal times.
import { describe, expect, it } from "vitest";
import type { RollbackFilter } from "@/server/domain/rollback-inputs";
import { AppError } from "@/server/domain/errors";
import { exportRollbacks } from "@/server/services/rollbacks/history";
import { rollbackExportReference, seedRollbacks, textOf } from "../export-fixtures";
import { testDb } from "../helpers";

const db = testDb();
const T = Date.parse("2027-07-01T00:00:00Z");
const HOUR = 3_600_000;

describe("rollback export", () => {
  it("streams what the whole list gives, newest first, for every filter and both formats", async () => {
    const count = 4_100;
    const { target, requester } = await seedRollbacks(db, count, T);
    const filters: RollbackFilter[] = [
      { targetId: target.id },
      { targetId: target.id, status: "CANCELLED" },
      { targetId: target.id, trigger: "EMERGENCY" },
      { targetId: target.id, actorId: requester.id },
      // From inclusive, to exclusive: three of the seven request times.
      { targetId: target.id, from: new Date(T + 2 * HOUR), to: new Date(T + 5 * HOUR) },
      // Every rollback of the run.
      {},
    ];
    for (const filter of filters) {
      for (const format of ["csv", "json"] as const) {
        const streamed = await textOf(exportRollbacks(db, { ...filter, format }).chunks);
        expect(streamed.text, `${format} ${JSON.stringify(filter)}`).toBe(
          await rollbackExportReference(db, filter, format),
        );
      }
    }
    const json = JSON.parse(
      (await textOf(exportRollbacks(db, { targetId: target.id, format: "json" }).chunks)).text,
    ) as { id: string }[];
    expect(json).toHaveLength(count);
    expect(new Set(json.map((item) => item.id)).size).toBe(count);
    const csv = await textOf(exportRollbacks(db, { targetId: target.id, format: "csv" }).chunks);
    expect(csv.chunks).toBe(1 + 3);
  });

  it("writes an empty export as the whole list would, and refuses bad filters by name", async () => {
    for (const format of ["csv", "json"] as const) {
      const filter = { targetId: "no-such-target" };
      expect((await textOf(exportRollbacks(db, { ...filter, format }).chunks)).text).toBe(
        await rollbackExportReference(db, filter, format),
      );
    }
    const refusal = (input: Record<string, unknown>): { code: string; issues: Record<string, unknown> } | null => {
      try {
        exportRollbacks(db, input as never);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        return { code: error.code, issues: error.details.issues ?? {} };
      }
      return null;
    };
    expect(refusal({ format: "pdf" })).toEqual({ code: "VALIDATION", issues: { format: "Choose csv or json" } });
    expect(refusal({ format: "csv", status: "DONE" })).toMatchObject({
      issues: { status: expect.any(String) as unknown },
    });
    expect(refusal({ format: "csv", from: "2027-07-02", to: "2027-07-01" })).toEqual({
      code: "VALIDATION",
      issues: { to: "From must be before to" },
    });
    expect(refusal({ format: "json", to: "soon" })).toMatchObject({
      issues: { to: expect.stringMatching(/ISO 8601/) as unknown },
    });
  });
});
