import { describe, expect, it } from "vitest";
import { verdictPeriods, verdictSpanMs, type VerdictMark } from "@/server/domain/verdict-periods";

const T = Date.UTC(2027, 0, 1);
const S = 1_000;
const mark = (seconds: number, status: VerdictMark["status"], severity: VerdictMark["severity"] = null) => ({
  evaluatedAt: new Date(T + seconds * S),
  status,
  severity: status === "BREACH" ? (severity ?? "CRITICAL") : null,
});
const spans = (periods: ReturnType<typeof verdictPeriods>) =>
  periods.map((period) => [(period.from.getTime() - T) / S, (period.to.getTime() - T) / S, period.level]);

describe("verdictPeriods", () => {
  it("joins adjacent verdicts of one level, each lasting until the next verdict, whatever the input order", () => {
    const verdicts = [
      mark(0, "HEALTHY"),
      mark(10, "VIOLATION"),
      mark(20, "VIOLATION"),
      mark(30, "BREACH"),
      mark(40, "BREACH", "EMERGENCY"),
      mark(50, "HEALTHY"),
      mark(60, "INSUFFICIENT_DATA"),
      mark(70, "VIOLATION"),
    ].reverse();
    expect(spans(verdictPeriods(verdicts, { now: new Date(T + 75 * S), maxGapMs: 60 * S }))).toEqual([
      [10, 30, "VIOLATION"],
      [30, 40, "BREACH"],
      [40, 50, "EMERGENCY"],
      [70, 75, "VIOLATION"],
    ]);
  });

  it("ends a period after maxGapMs of silence instead of stretching it over the gap", () => {
    const verdicts = [mark(0, "BREACH"), mark(600, "BREACH"), mark(610, "HEALTHY")];
    expect(spans(verdictPeriods(verdicts, { now: new Date(T + 3_600 * S), maxGapMs: 60 * S }))).toEqual([
      [0, 60, "BREACH"],
      [600, 610, "BREACH"],
    ]);
    expect(spans(verdictPeriods([mark(0, "VIOLATION")], { now: new Date(T + 3_600 * S), maxGapMs: 60 * S }))).toEqual([
      [0, 60, "VIOLATION"],
    ]);
  });

  it("has no periods without violations, and none from a verdict at or after now", () => {
    expect(verdictPeriods([], { now: new Date(T), maxGapMs: 60 * S })).toEqual([]);
    expect(verdictPeriods([mark(0, "HEALTHY")], { now: new Date(T + S), maxGapMs: 60 * S })).toEqual([]);
    expect(verdictPeriods([mark(10, "BREACH")], { now: new Date(T + 10 * S), maxGapMs: 60 * S })).toEqual([]);
  });
});

describe("verdictSpanMs", () => {
  it("is three median gaps between verdicts, and at least the minimum", () => {
    const every = (seconds: number, count: number) =>
      Array.from({ length: count }, (_, i) => mark(i * seconds, "HEALTHY")).reverse();
    expect(verdictSpanMs(every(10, 20), 120 * S)).toBe(120 * S);
    expect(verdictSpanMs(every(300, 5), 120 * S)).toBe(900 * S);
    // One long silence among regular cycles does not stretch the span.
    expect(verdictSpanMs([...every(60, 10), mark(10_000, "HEALTHY")], 0)).toBe(180 * S);
    expect(verdictSpanMs([mark(0, "BREACH")], 120 * S)).toBe(120 * S);
    expect(verdictSpanMs([], 120 * S)).toBe(120 * S);
  });
});
