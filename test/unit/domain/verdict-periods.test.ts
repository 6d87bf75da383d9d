import { describe, expect, it } from "vitest";
import { judgedPeriods, judgedWindowMs, type JudgedVerdict } from "@/server/domain/verdict-periods";

const T = Date.UTC(2027, 0, 1);
const S = 1_000;
const verdict = (
  seconds: number,
  status: JudgedVerdict["status"],
  windowSeconds = 30,
  severity: JudgedVerdict["severity"] = null,
): JudgedVerdict => ({
  evaluatedAt: new Date(T + seconds * S),
  status,
  severity: status === "BREACH" ? (severity ?? "CRITICAL") : null,
  windowMs: windowSeconds * S,
});
const range = (from: number, to: number) => ({ from: new Date(T + from * S), to: new Date(T + to * S) });
const spans = (periods: ReturnType<typeof judgedPeriods>) =>
  periods.map((period) => [(period.from.getTime() - T) / S, (period.to.getTime() - T) / S, period.level]);

describe("judgedPeriods", () => {
  it("shades the window each verdict judged, before its record time, not after it", () => {
    // A 30 s window judged at 100 s: the traffic of [70, 100) was bad.
    expect(spans(judgedPeriods([verdict(100, "VIOLATION")], range(0, 600)))).toEqual([[70, 100, "VIOLATION"]]);
  });

  it("merges overlapping windows of one level and lets the worst level win where windows of several overlap", () => {
    const verdicts = [
      verdict(100, "VIOLATION"),
      verdict(110, "VIOLATION"),
      verdict(120, "BREACH"),
      verdict(130, "BREACH", 30, "EMERGENCY"),
      verdict(140, "HEALTHY"),
      verdict(200, "VIOLATION"),
    ].reverse();
    expect(spans(judgedPeriods(verdicts, range(0, 600)))).toEqual([
      [70, 90, "VIOLATION"],
      [90, 100, "BREACH"],
      [100, 130, "EMERGENCY"],
      [170, 200, "VIOLATION"],
    ]);
  });

  it("uses each verdict's own window, shorter where a configuration change cut it", () => {
    const verdicts = [verdict(100, "BREACH", 300), verdict(110, "BREACH", 5)];
    expect(spans(judgedPeriods(verdicts, range(0, 600)))).toEqual([
      [0, 100, "BREACH"],
      [105, 110, "BREACH"],
    ]);
    expect(spans(judgedPeriods([verdict(100, "BREACH", 5)], range(0, 600)))).toEqual([[95, 100, "BREACH"]]);
  });

  it("clips to the range and shades nothing for calm verdicts, empty windows or none", () => {
    expect(spans(judgedPeriods([verdict(100, "BREACH", 60)], range(50, 90)))).toEqual([[50, 90, "BREACH"]]);
    expect(judgedPeriods([verdict(100, "BREACH")], range(100, 200))).toEqual([]);
    expect(judgedPeriods([verdict(100, "HEALTHY"), verdict(110, "INSUFFICIENT_DATA")], range(0, 600))).toEqual([]);
    expect(judgedPeriods([verdict(100, "BREACH", 0)], range(0, 600))).toEqual([]);
    expect(judgedPeriods([], range(0, 600))).toEqual([]);
  });
});

describe("judgedWindowMs", () => {
  it("reads the judged window from stored details, and null when they do not say", () => {
    expect(judgedWindowMs({ status: "HEALTHY", observed: { windowSeconds: 300, requestCount: 1 } })).toBe(300_000);
    expect(judgedWindowMs({ status: "HEALTHY" })).toBeNull();
    expect(judgedWindowMs(null)).toBeNull();
    expect(judgedWindowMs({ observed: { windowSeconds: 0 } })).toBeNull();
  });
});
