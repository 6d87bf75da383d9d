import { describe, expect, it } from "vitest";
import { actorLabel, changedFieldTexts, timeAgo } from "@/components/audit/audit-format";
import { fromLocalInput, paramsFromView, toLocalInput, viewFromParams } from "@/components/audit/audit-params";
import { auditActorTypeSchema } from "@/server/domain/audit";
import { auditActorTypes } from "@/server/domain/audit-chain";

describe("audit page address", () => {
  it("filters by exactly the actor types the chain stores", () => {
    expect(auditActorTypeSchema.options).toEqual([...auditActorTypes]);
  });

  it("reads the filter and page from the query string and writes them back unchanged", () => {
    const query =
      "action=flag.&entityType=FeatureFlag&entityId=f1&actorType=USER&actorId=u1&targetId=t1" +
      "&from=2027-05-01T00%3A00%3A00.000Z&to=2027-05-02T00%3A00%3A00.000Z&before=40&event=39";
    const { view, error } = viewFromParams(new URLSearchParams(query));
    expect(error).toBeNull();
    expect(view).toEqual({
      filter: {
        action: "flag.",
        entityType: "FeatureFlag",
        entityId: "f1",
        actorType: "USER",
        actorId: "u1",
        targetId: "t1",
        from: new Date("2027-05-01T00:00:00Z"),
        to: new Date("2027-05-02T00:00:00Z"),
      },
      cursor: 40,
      highlight: 39,
    });
    expect(paramsFromView(view).toString()).toBe(query);
  });

  it("drops an invalid filter whole and says why, keeping the page", () => {
    const reversed = viewFromParams(new URLSearchParams("actorType=USER&from=2027-05-02&to=2027-05-01&after=3"));
    expect(reversed.view).toEqual({ filter: {}, newerThan: 3 });
    expect(reversed.error).toContain("From must not be after to");
    expect(viewFromParams(new URLSearchParams("actorType=ROBOT")).error).toContain("actorType");
    expect(viewFromParams(new URLSearchParams("from=yesterday")).error).toContain("from");
  });

  it("ignores page numbers that are not whole, and a newer cursor next to an older one", () => {
    expect(viewFromParams(new URLSearchParams("before=0&after=-1&event=1.5")).view).toEqual({ filter: {} });
    expect(viewFromParams(new URLSearchParams("before=9&after=3")).view).toEqual({ filter: {}, cursor: 9 });
    expect(viewFromParams(new URLSearchParams("after=0")).view).toEqual({ filter: {}, newerThan: 0 });
  });

  it("makes the end of a range cover its whole minute, in local time", () => {
    const start = fromLocalInput("2027-05-01T14:30", false);
    const end = fromLocalInput("2027-05-01T14:30", true);
    expect(start?.getHours()).toBe(14);
    expect((end?.getTime() ?? 0) - (start?.getTime() ?? 0)).toBe(59_999);
    expect(toLocalInput(end)).toBe("2027-05-01T14:30");
    expect(fromLocalInput("", false)).toBeUndefined();
    expect(toLocalInput(undefined)).toBe("");
  });
});

describe("audit event texts", () => {
  it("names the actor: a user, an API key by name when known, or Rewind", () => {
    const keys = new Map([["k1", "orchestrator"]]);
    expect(actorLabel({ actorType: "USER", actorId: "u1", actor: { name: "Ana", email: "ana@x.test" } })).toEqual({
      name: "Ana",
      detail: "ana@x.test",
    });
    expect(actorLabel({ actorType: "USER", actorId: "u1", actor: null })).toEqual({
      name: "Unknown user",
      detail: "u1",
    });
    expect(actorLabel({ actorType: "API_KEY", actorId: "k1", actor: null }, keys).name).toBe("API key “orchestrator”");
    expect(actorLabel({ actorType: "API_KEY", actorId: "k2", actor: null }, keys)).toEqual({
      name: "API key",
      detail: "k2",
    });
    expect(actorLabel({ actorType: "SYSTEM", actorId: null, actor: null }).name).toBe("Rewind");
    expect(actorLabel({ actorType: "SYSTEM", actorId: "cli:alice@rewind-1", actor: null })).toEqual({
      name: "Command line",
      detail: "alice@rewind-1",
    });
  });

  it("lists the fields an update changed", () => {
    expect(
      changedFieldTexts({
        before: { description: "", killSwitch: false },
        after: { description: "Stream", killSwitch: true },
      }),
    ).toEqual(["description: (empty) → “Stream”", "killSwitch: off → on"]);
    expect(changedFieldTexts({ before: null, after: { key: "a" } })).toEqual(["key: “a”"]);
    expect(changedFieldTexts({ before: { n: 1 }, after: { n: 1 } })).toEqual([]);
    expect(changedFieldTexts({ before: null, after: [1, 2] })).toEqual([]);
  });

  it("says just now for the last seconds, and for a server clock slightly ahead", () => {
    const now = new Date("2027-05-01T12:00:00Z");
    expect(timeAgo(new Date(now.getTime() + 2_000), now)).toBe("just now");
    expect(timeAgo(new Date(now.getTime() - 3_000), now)).toBe("just now");
    expect(timeAgo(new Date(now.getTime() - 120_000), now)).toBe("2 min ago");
  });
});
