import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  attentionLevel,
  attentionLevels,
  matchesSearch,
  OVERVIEW_PAGE_SIZE,
  overviewGroupOf,
  overviewGroups,
  pageOf,
  sortForOverview,
  type AttentionInput,
} from "@/server/domain/overview";

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

describe("overviewGroupOf", () => {
  it("puts emergencies, breaches and violations first, then proposals, rollbacks under way, no data, healthy", () => {
    expect(overviewGroupOf("EMERGENCY", null)).toBe("BREACHING");
    expect(overviewGroupOf("BREACH", "IN_PROGRESS")).toBe("BREACHING");
    expect(overviewGroupOf("VIOLATION", "PENDING_APPROVAL")).toBe("BREACHING");
    expect(overviewGroupOf("ROLLBACK", "PENDING_APPROVAL")).toBe("AWAITING_APPROVAL");
    for (const status of ["APPROVED", "IN_PROGRESS"] as const) {
      expect(overviewGroupOf("ROLLBACK", status)).toBe("ROLLING_BACK");
    }
    expect(overviewGroupOf("NO_DATA", null)).toBe("NO_DATA");
    expect(overviewGroupOf("HEALTHY", null)).toBe("HEALTHY");
    expect(overviewGroups).toEqual(["BREACHING", "AWAITING_APPROVAL", "ROLLING_BACK", "NO_DATA", "HEALTHY"]);
  });
});

describe("sortForOverview", () => {
  it("orders by group, then emergency, breach, violation within the first, then by slug", () => {
    const targets = [
      { slug: "h", attention: "HEALTHY", group: "HEALTHY" },
      { slug: "n", attention: "NO_DATA", group: "NO_DATA" },
      { slug: "b2", attention: "BREACH", group: "BREACHING" },
      { slug: "r", attention: "ROLLBACK", group: "ROLLING_BACK" },
      { slug: "p", attention: "ROLLBACK", group: "AWAITING_APPROVAL" },
      { slug: "v", attention: "VIOLATION", group: "BREACHING" },
      { slug: "e", attention: "EMERGENCY", group: "BREACHING" },
      { slug: "b1", attention: "BREACH", group: "BREACHING" },
    ] as const;
    expect(sortForOverview(targets).map((target) => target.slug)).toEqual(["e", "b1", "b2", "v", "p", "r", "n", "h"]);
    expect(targets[0].slug).toBe("h");
  });

  it("never puts a target after one of a later group or level, whatever the input order", () => {
    const target = fc
      .record({
        slug: fc.stringMatching(/^[a-z]{1,6}$/),
        attention: fc.constantFrom(...attentionLevels),
        pending: fc.boolean(),
      })
      .map(({ slug, attention, pending }) => ({
        slug,
        attention,
        group: overviewGroupOf(attention, pending ? "PENDING_APPROVAL" : "IN_PROGRESS"),
      }));
    fc.assert(
      fc.property(fc.array(target, { maxLength: 30 }), (targets) => {
        const sorted = sortForOverview(targets);
        expect(sorted).toHaveLength(targets.length);
        const rank = (t: (typeof sorted)[number]) =>
          overviewGroups.indexOf(t.group) * 10 + attentionLevels.indexOf(t.attention);
        for (let i = 1; i < sorted.length; i++) {
          const [before, after] = [sorted[i - 1]!, sorted[i]!];
          expect(rank(before) < rank(after) || (rank(before) === rank(after) && before.slug <= after.slug)).toBe(true);
        }
        expect(sortForOverview([...targets].reverse()).map((t) => [t.group, t.attention, t.slug])).toEqual(
          sorted.map((t) => [t.group, t.attention, t.slug]),
        );
      }),
    );
  });
});

describe("matchesSearch and pageOf", () => {
  it("matches a slug or name holding the search, ignoring case and spaces around it", () => {
    const target = { slug: "chat-prod-eu", name: "Chat completions (Prod, EU)" };
    for (const search of ["", "  ", "chat", "PROD-eu", " completions ", "(prod, eu)"]) {
      expect(matchesSearch(target, search), search).toBe(true);
    }
    for (const search of ["embed", "prod eu x", "chat-staging"])
      expect(matchesSearch(target, search), search).toBe(false);
  });

  it("cuts pages of 50 and brings a page past the end back to the last one", () => {
    const items = Array.from({ length: 120 }, (_, i) => i);
    expect(pageOf(items, 1)).toMatchObject({ page: 1, pageCount: 3, items: items.slice(0, 50) });
    expect(pageOf(items, 3)).toMatchObject({ page: 3, pageCount: 3, items: items.slice(100) });
    expect(pageOf(items, 9)).toMatchObject({ page: 3, pageCount: 3 });
    expect(pageOf([], 4)).toEqual({ page: 1, pageCount: 1, items: [] });
    expect(OVERVIEW_PAGE_SIZE).toBe(50);
  });
});
