import { describe, expect, it } from "vitest";
import { defaultPolicy, policySchema } from "@/server/domain/policy";
import { columnFormat, formatSloValue, formatUnit, judgedSlos, sloLimit, slos, unitFormats } from "@/server/domain/slo";

describe("the catalogue's formatters", () => {
  it("reads milliseconds as ms below a second and as seconds from one up", () => {
    expect(formatUnit("ms", 0)).toBe("0 ms");
    expect(formatUnit("ms", 850)).toBe("850 ms");
    expect(formatUnit("ms", 999)).toBe("999 ms");
    // 999.6 rounds to a whole second: "1 s", never "1,000 ms".
    expect(formatUnit("ms", 999.6)).toBe("1 s");
    expect(formatUnit("ms", 1_000)).toBe("1 s");
    expect(formatUnit("ms", 1_500)).toBe("1.5 s");
    expect(formatUnit("ms", 8_000)).toBe("8 s");
    expect(formatUnit("ms", 15_200)).toBe("15.2 s");
    expect(formatUnit("ms", 18_964)).toBe("19 s");
    expect(formatUnit("ms", 120_500)).toBe("121 s");
  });

  it("reads ratios as percentages with three significant digits", () => {
    expect(formatUnit("ratio", 0)).toBe("0%");
    expect(formatUnit("ratio", 0.05)).toBe("5%");
    expect(formatUnit("ratio", 0.0525)).toBe("5.25%");
    expect(formatUnit("ratio", 0.0288)).toBe("2.88%");
    expect(formatUnit("ratio", 0.000123)).toBe("0.0123%");
    expect(formatUnit("ratio", 1)).toBe("100%");
  });

  it("reads dollars with three significant digits", () => {
    expect(formatUnit("usd", 0)).toBe("$0");
    expect(formatUnit("usd", 0.05)).toBe("$0.05");
    expect(formatUnit("usd", 0.0123)).toBe("$0.0123");
    expect(formatUnit("usd", 0.00001234)).toBe("$0.0000123");
    expect(formatUnit("usd", 21.075)).toBe("$21.1");
  });

  it("shows a missing reading as a dash, whatever the unit", () => {
    for (const unit of ["ratio", "ms", "usd"] as const) {
      expect(formatUnit(unit, null)).toBe("—");
      expect(formatUnit(unit, undefined)).toBe("—");
      expect(formatUnit(unit, Number.NaN)).toBe("—");
    }
  });

  it("formats an SLO's reading and its threshold alike, by the SLO's unit", () => {
    expect(formatSloValue("P95_LATENCY", 15_200)).toBe("15.2 s");
    expect(formatSloValue("P95_LATENCY", 8_000)).toBe("8 s");
    expect(formatSloValue("TTFT_P95", 640)).toBe("640 ms");
    expect(formatSloValue("ERROR_RATE", 0.1)).toBe("10%");
    expect(formatSloValue("COST_PER_REQUEST", 0.05)).toBe("$0.05");
    for (const slo of slos) expect(formatSloValue(slo.id, 1)).toBe(unitFormats[slo.unit](1));
  });

  it("reads a column of durations in one scale: seconds for all once one reaches a second", () => {
    const mixed = columnFormat("ms", [5_945, 850, null, 17_900]);
    expect([5_945, 850, null, 17_900].map(mixed)).toEqual(["5.95 s", "0.85 s", "—", "17.9 s"]);
    const short = columnFormat("ms", [850, 12, undefined]);
    expect([850, 12, undefined].map(short)).toEqual(["850 ms", "12 ms", "—"]);
    // 999.6 ms rounds to a second, as formatUnit reads it.
    expect(columnFormat("ms", [999.6, 500])(500)).toBe("0.5 s");
    // Other units have one scale already.
    expect(columnFormat("ratio", [0.5, 0.001])(0.001)).toBe(formatUnit("ratio", 0.001));
    expect(columnFormat("usd", [21.075, 0.0123])(21.075)).toBe("$21.1");
  });
});

describe("the catalogue's limits", () => {
  it("judges every SLO whose threshold the policy sets, and not time to first token unless it is set", () => {
    expect(judgedSlos(defaultPolicy).map(({ slo }) => slo.id)).toEqual([
      "ERROR_RATE",
      "P95_LATENCY",
      "COST_PER_REQUEST",
    ]);
    expect(sloLimit(defaultPolicy, "TTFT_P95")).toBeNull();
    const streaming = policySchema.parse({ maxTtftP95Ms: 1_500 });
    expect(sloLimit(streaming, "TTFT_P95")).toBe(1_500);
    expect(judgedSlos(streaming).map(({ slo }) => slo.id)).toContain("TTFT_P95");
  });

  it("declares each reading, threshold and alert name once", () => {
    for (const key of ["id", "reading", "threshold", "alertName", "color"] as const) {
      expect(new Set(slos.map((slo) => slo[key])).size).toBe(slos.length);
    }
  });
});
