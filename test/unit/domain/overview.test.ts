import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { attentionLevel, attentionLevels, sortByAttention, type AttentionInput } from "@/server/domain/overview";

const healthy = { status: "HEALTHY", severity: null } as const;
const noData = { status: "INSUFFICIENT_DATA", severity: null } as const;
const violation = { status: "VIOLATION", severity: null } as const;
const breach = { status: "BREACH", severity: "CRITICAL" } as const;
const emergency = { status: "BREACH", severity: "EMERGENCY" } as const;

const input = (overrides: Partial<AttentionInput>): AttentionInput => ({
  monitoringEnabled: true,
  verdict: healthy,
  hasActiveRollback: false,
  ...overrides,
});

describe("attentionLevel", () => {
  it("names each verdict's level", () => {
    expect(attentionLevel(input({ verdict: emergency }))).toBe("EMERGENCY");
    expect(attentionLevel(input({ verdict: breach }))).toBe("BREACH");
    expect(attentionLevel(input({ verdict: violation }))).toBe("VIOLATION");
    expect(attentionLevel(input({ verdict: noData }))).toBe("NO_DATA");
    expect(attentionLevel(input({ verdict: null }))).toBe("NO_DATA");
    expect(attentionLevel(input({ verdict: healthy }))).toBe("HEALTHY");
  });

  it("puts an active rollback below a violation and above no data or healthy", () => {
    expect(attentionLevel(input({ verdict: breach, hasActiveRollback: true }))).toBe("BREACH");
    expect(attentionLevel(input({ verdict: violation, hasActiveRollback: true }))).toBe("VIOLATION");
    expect(attentionLevel(input({ verdict: healthy, hasActiveRollback: true }))).toBe("ROLLBACK");
    expect(attentionLevel(input({ verdict: null, hasActiveRollback: true }))).toBe("ROLLBACK");
  });

  it("ignores the last verdict of a target whose monitoring is off", () => {
    expect(attentionLevel(input({ monitoringEnabled: false, verdict: emergency }))).toBe("NO_DATA");
    expect(attentionLevel(input({ monitoringEnabled: false, verdict: healthy }))).toBe("NO_DATA");
    expect(attentionLevel(input({ monitoringEnabled: false, verdict: breach, hasActiveRollback: true }))).toBe(
      "ROLLBACK",
    );
  });
});

describe("sortByAttention", () => {
  it("orders emergency, breach, violation, rollback, no data, healthy, then by slug", () => {
    const targets = [
      { slug: "h", attention: "HEALTHY" },
      { slug: "n", attention: "NO_DATA" },
      { slug: "b2", attention: "BREACH" },
      { slug: "r", attention: "ROLLBACK" },
      { slug: "v", attention: "VIOLATION" },
      { slug: "e", attention: "EMERGENCY" },
      { slug: "b1", attention: "BREACH" },
    ] as const;
    expect(sortByAttention(targets).map((target) => target.slug)).toEqual(["e", "b1", "b2", "v", "r", "n", "h"]);
    expect(targets[0].slug).toBe("h");
  });

  it("never puts a target after one that needs less attention, whatever the input order", () => {
    const target = fc.record({
      slug: fc.stringMatching(/^[a-z]{1,6}$/),
      attention: fc.constantFrom(...attentionLevels),
    });
    fc.assert(
      fc.property(fc.array(target, { maxLength: 30 }), (targets) => {
        const sorted = sortByAttention(targets);
        expect(sorted).toHaveLength(targets.length);
        for (let i = 1; i < sorted.length; i++) {
          const [before, after] = [sorted[i - 1]!, sorted[i]!];
          const order = attentionLevels.indexOf(before.attention) - attentionLevels.indexOf(after.attention);
          expect(order < 0 || (order === 0 && before.slug <= after.slug)).toBe(true);
        }
        expect(sortByAttention([...targets].reverse()).map((t) => [t.attention, t.slug])).toEqual(
          sorted.map((t) => [t.attention, t.slug]),
        );
      }),
    );
  });
});
