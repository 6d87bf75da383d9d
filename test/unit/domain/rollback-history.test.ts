import { describe, expect, it } from "vitest";
import { csvCell, toCsv } from "@/server/domain/csv";
import type { RollbackTrigger } from "@/server/domain/rollback";
import {
  median,
  summarizeRollbacks,
  SUMMARY_MAX_WEEKS,
  timeToActionMs,
  weekStartUtc,
  type HistoryRow,
} from "@/server/domain/rollback-history";

const DAY = 86_400_000;
const MINUTE = 60_000;
/** Monday 4 January 2027, 00:00 UTC. */
const MONDAY = Date.UTC(2027, 0, 4);

function row(
  requestedAt: number,
  {
    trigger = "SLO",
    startAfterMs = null,
    verification = null,
  }: Partial<{
    trigger: RollbackTrigger;
    startAfterMs: number | null;
    verification: string | null;
  }> = {},
): HistoryRow {
  return {
    trigger,
    requestedAt: new Date(requestedAt),
    startedAt: startAfterMs === null ? null : new Date(requestedAt + startAfterMs),
    verification,
  };
}

describe("weekStartUtc", () => {
  it("is Monday 00:00 UTC of the date's ISO week, Sundays included in the week before", () => {
    expect(weekStartUtc(new Date(MONDAY))).toEqual(new Date(MONDAY));
    expect(weekStartUtc(new Date(MONDAY + 3 * DAY + 13 * 3_600_000))).toEqual(new Date(MONDAY));
    expect(weekStartUtc(new Date(MONDAY + 7 * DAY - 1))).toEqual(new Date(MONDAY));
    expect(weekStartUtc(new Date(MONDAY - 1))).toEqual(new Date(MONDAY - 7 * DAY));
    // Across a year end: Thursday 1 January 2026 belongs to the week of Monday 29 December 2025.
    expect(weekStartUtc(new Date(Date.UTC(2026, 0, 1, 12)))).toEqual(new Date(Date.UTC(2025, 11, 29)));
  });
});

describe("timeToActionMs and median", () => {
  it("runs from the request to the first traffic switch, null while no traffic moved", () => {
    expect(timeToActionMs(row(MONDAY, { startAfterMs: 4 * MINUTE }))).toBe(4 * MINUTE);
    expect(timeToActionMs(row(MONDAY, { trigger: "EMERGENCY", startAfterMs: 0 }))).toBe(0);
    expect(timeToActionMs(row(MONDAY))).toBeNull();
  });

  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(median([])).toBeNull();
    expect(median([7])).toBe(7);
    expect(median([9, 1, 5])).toBe(5);
    expect(median([10, 1, 4, 2])).toBe(3);
  });
});

describe("summarizeRollbacks", () => {
  it("counts per week and trigger, with the median time to action and the ineffective share", () => {
    const rows = [
      row(MONDAY + DAY, { trigger: "EMERGENCY", startAfterMs: 0, verification: "INEFFECTIVE" }),
      row(MONDAY + 2 * DAY, { startAfterMs: 6 * MINUTE, verification: "EFFECTIVE" }),
      row(MONDAY + 2 * DAY + 1, { trigger: "MANUAL" }),
      row(MONDAY + 15 * DAY, { startAfterMs: 10 * MINUTE, verification: "EFFECTIVE" }),
      row(MONDAY + 16 * DAY, { startAfterMs: 2 * MINUTE, verification: "PENDING" }),
    ];
    const summary = summarizeRollbacks(rows);
    expect(summary).toMatchObject({
      total: 5,
      byTrigger: { EMERGENCY: 1, SLO: 3, MANUAL: 1 },
      weeksTruncated: false,
      timeToAction: { medianMs: 4 * MINUTE, count: 4 },
      verification: { effective: 2, ineffective: 1, pending: 1 },
    });
    expect(summary.verification.ineffectiveShare).toBeCloseTo(1 / 3);
    expect(summary.weeks).toEqual([
      { start: new Date(MONDAY), total: 3, EMERGENCY: 1, SLO: 1, MANUAL: 1 },
      { start: new Date(MONDAY + 7 * DAY), total: 0, EMERGENCY: 0, SLO: 0, MANUAL: 0 },
      { start: new Date(MONDAY + 14 * DAY), total: 2, EMERGENCY: 0, SLO: 2, MANUAL: 0 },
    ]);
  });

  it("spans the filter's range with empty weeks at both ends; `to` is exclusive", () => {
    const summary = summarizeRollbacks([row(MONDAY + 8 * DAY)], {
      from: new Date(MONDAY + 2 * DAY),
      to: new Date(MONDAY + 21 * DAY),
    });
    expect(summary.weeks.map((week) => [week.start.getTime(), week.total])).toEqual([
      [MONDAY, 0],
      [MONDAY + 7 * DAY, 1],
      [MONDAY + 14 * DAY, 0],
    ]);
  });

  it("answers nothing rather than zeros that would read as measurements when no rollback matches", () => {
    expect(summarizeRollbacks([], { from: new Date(MONDAY), to: new Date(MONDAY + 30 * DAY) })).toEqual({
      total: 0,
      byTrigger: { EMERGENCY: 0, SLO: 0, MANUAL: 0 },
      weeks: [],
      weeksTruncated: false,
      timeToAction: { medianMs: null, count: 0 },
      verification: { effective: 0, ineffective: 0, inconclusive: 0, pending: 0, ineffectiveShare: null },
    });
  });

  it("keeps the latest weeks of a long span, says so only when older weeks held rollbacks, and counts them all", () => {
    const old = row(MONDAY - 100 * 7 * DAY, { startAfterMs: MINUTE, verification: "INEFFECTIVE" });
    const recent = row(MONDAY + DAY, { startAfterMs: 3 * MINUTE, verification: "EFFECTIVE" });
    const summary = summarizeRollbacks([old, recent]);
    expect(summary.weeks).toHaveLength(SUMMARY_MAX_WEEKS);
    expect(summary.weeks.at(-1)).toMatchObject({ start: new Date(MONDAY), total: 1 });
    expect(summary).toMatchObject({
      total: 2,
      weeksTruncated: true,
      timeToAction: { medianMs: 2 * MINUTE, count: 2 },
      verification: { ineffectiveShare: 0.5 },
    });

    const longRange = summarizeRollbacks([recent], { from: new Date(MONDAY - 200 * 7 * DAY) });
    expect(longRange).toMatchObject({ weeksTruncated: false });
    expect(longRange.weeks).toHaveLength(SUMMARY_MAX_WEEKS);
  });
});

describe("csv", () => {
  it("quotes what needs quoting and keeps free text from running as a formula", () => {
    expect(csvCell(null)).toBe("");
    expect(csvCell(12.5)).toBe("12.5");
    expect(csvCell(false)).toBe("false");
    expect(csvCell('say "no", then\nstop')).toBe('"say ""no"", then\nstop"');
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("-1,5")).toBe(`"'-1,5"`);
    expect(toCsv(["a", "b"], [{ a: 1, b: "x,y" }])).toBe('a,b\r\n1,"x,y"\r\n');
  });
});
