// Target mapping rules: what a rule's fields match (exact text, `*` patterns, empty for any), which of several
// matching rules wins (the most specific, by an order that does not depend on the order rules were saved in), the
// input checks, and the rules applied to spans that name no target.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mapGenAiSpans, type AttributeValue } from "@/server/domain/intake/genai-spans";
import {
  compareSpecificity,
  TargetRuleSet,
  targetRuleSchema,
  targetRuleSetSchema,
  type TargetRule,
} from "@/server/domain/intake/target-rules";

const rule = (serviceName: string, target: string, operationName = "", model = ""): TargetRule => ({
  serviceName,
  operationName,
  model,
  target,
});

const call = (serviceName: unknown, operation?: string, model?: string) => ({ serviceName, operation, model });

describe("one rule", () => {
  it("matches its service.name exactly, and any operation and model when those are empty", () => {
    const rules = new TargetRuleSet([rule("chat-api", "chat")]);
    expect(rules.match(call("chat-api"))?.target).toBe("chat");
    expect(rules.match(call("chat-api", "embeddings", "text-embedding-3-small"))?.target).toBe("chat");
    expect(rules.match(call("chat-api-2"))).toBeNull();
    expect(rules.match(call("Chat-API"))).toBeNull();
    expect(rules.match(call(undefined))).toBeNull();
    // service.name that is not text (a number, a list read as null) is no service name.
    expect(rules.match(call(7))).toBeNull();
  });

  it("needs the operation and model it names to be present and equal", () => {
    const rules = new TargetRuleSet([rule("chat-api", "chat", "chat", "gpt-4o")]);
    expect(rules.match(call("chat-api", "chat", "gpt-4o"))?.target).toBe("chat");
    expect(rules.match(call("chat-api", "chat"))).toBeNull();
    expect(rules.match(call("chat-api", undefined, "gpt-4o"))).toBeNull();
    expect(rules.match(call("chat-api", "chat", "gpt-4o-mini"))).toBeNull();
  });

  it("reads * as any run of characters, none included", () => {
    const cases: [string, string, boolean][] = [
      ["chat-*", "chat-", true],
      ["chat-*", "chat-api", true],
      ["chat-*", "chat", false],
      ["*-api", "chat-api", true],
      ["*-api", "chat-api-2", false],
      ["chat*api", "chatapi", true],
      ["chat*api", "chat-eu-api", true],
      ["a*b*c", "abc", true],
      ["a*b*c", "axxbyyc", true],
      ["a*b*c", "acb", false],
      ["a*ab", "aab", true],
      ["a*ab", "ab", false],
      ["*.*", "gpt-4.1", true],
      ["gpt-4o*", "gpt-4o-2024-08-06", true],
      ["gpt-4o*", "gpt-4.1", false],
      ["a**b", "ab", true],
      // No other character is special.
      ["gpt-4.?", "gpt-4.1", false],
      ["gpt-4.?", "gpt-4.?", true],
    ];
    for (const [pattern, value, expected] of cases) {
      const rules = new TargetRuleSet([rule(pattern, "t")]);
      expect(rules.match(call(value)) !== null, `${pattern} vs ${value}`).toBe(expected);
    }
  });

  it("agrees with a regular expression on random patterns and values", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", "-", "*"), maxLength: 8 });
    fc.assert(
      fc.property(text, fc.string({ unit: fc.constantFrom("a", "b", "-"), maxLength: 10 }), (pattern, value) => {
        fc.pre(/[^*]/.test(pattern));
        const regex = new RegExp(
          `^${pattern
            .split("*")
            .map((part) => part.replace(/-/g, "\\-"))
            .join(".*")}$`,
          "s",
        );
        expect(new TargetRuleSet([rule(pattern, "t")]).match(call(value)) !== null).toBe(regex.test(value));
      }),
    );
  });
});

describe("several rules", () => {
  it("the most specific wins: more fields, then fewer patterns, then more literal text, then the text itself", () => {
    const rules = new TargetRuleSet([
      rule("chat-*", "any-chat"),
      rule("chat-api", "chat"),
      rule("chat-api", "chat-gpt", "", "gpt-4o"),
      rule("chat-api", "chat-op", "chat"),
      rule("chat-api", "chat-gpt-chat", "chat", "gpt-4o"),
      rule("chat-api", "chat-gpt-family", "", "gpt-*"),
      rule("*-api", "suffix"),
      rule("chat-*-api", "both-ends"),
    ]);
    expect(rules.match(call("chat-api", "chat", "gpt-4o"))?.target).toBe("chat-gpt-chat");
    // Two fields each, no pattern: the longer literal text (model "gpt-4o" 6 > operation "chat" 4).
    expect(rules.match(call("chat-api", "embeddings", "gpt-4o"))?.target).toBe("chat-gpt");
    expect(rules.match(call("chat-api", "chat", "claude"))?.target).toBe("chat-op");
    // An exact model beats a pattern; a pattern beats no model.
    expect(rules.match(call("chat-api", undefined, "gpt-4.1"))?.target).toBe("chat-gpt-family");
    expect(rules.match(call("chat-api", undefined, "claude"))?.target).toBe("chat");
    // Patterns only: the one with more literal characters ("chat--api" 9 over "chat-" 5 and "-api" 4).
    expect(rules.match(call("chat-eu-api"))?.target).toBe("both-ends");
    expect(rules.match(call("chat-eu"))?.target).toBe("any-chat");
    expect(rules.match(call("billing-api"))?.target).toBe("suffix");
  });

  it("breaks a tie of equal specificity by the rules' text, whatever order they were saved in", () => {
    const tied = [rule("a*", "first"), rule("*a", "second")];
    expect(new TargetRuleSet(tied).match(call("aa"))?.target).toBe("second"); // "*a" < "a*"
    expect(new TargetRuleSet([...tied].reverse()).match(call("aa"))?.target).toBe("second");
  });

  it("orders any set the same whatever its input order, and the winner matches with no more specific match", () => {
    const field = fc.constantFrom("", "a", "b", "a*", "*b", "ab", "*");
    const ruleArb = fc
      .record({ serviceName: field, operationName: field, model: field, target: fc.constantFrom("x", "y", "z") })
      .filter((r) => r.serviceName !== "" && r.serviceName !== "*" && r.operationName !== "*" && r.model !== "*");
    const rulesArb = fc.uniqueArray(ruleArb, {
      selector: (r) => `${r.serviceName}|${r.operationName}|${r.model}`,
      maxLength: 12,
    });
    const value = fc.option(fc.constantFrom("a", "b", "ab", "ba", "aab"), { nil: undefined });
    const twoOrders = rulesArb.chain((rules) =>
      fc.tuple(fc.constant(rules), fc.shuffledSubarray(rules, { minLength: rules.length, maxLength: rules.length })),
    );
    fc.assert(
      fc.property(twoOrders, value, value, value, ([rules, shuffled], service, operation, model) => {
        const a = new TargetRuleSet(rules);
        const b = new TargetRuleSet(shuffled);
        expect(b.ordered).toEqual(a.ordered);
        const winner = a.match(call(service, operation, model));
        const matching = a.ordered.filter(
          (r) => new TargetRuleSet([r]).match(call(service, operation, model)) !== null,
        );
        expect(winner?.target ?? null).toBe(matching[0]?.target ?? null);
        for (const other of matching)
          expect(compareSpecificity(matching[0] as TargetRule, other)).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe("rule input", () => {
  it("requires a service.name, trims, reads empty optional fields as any, and refuses * alone", () => {
    expect(targetRuleSchema.parse({ serviceName: " chat-api ", target: "chat", model: null })).toEqual(
      rule("chat-api", "chat"),
    );
    const refused = targetRuleSchema.safeParse({ serviceName: "", operationName: "*", model: 3, target: "Not A Slug" });
    expect(refused.success).toBe(false);
    const paths = Object.fromEntries(refused.error?.issues.map((issue) => [issue.path.join("."), issue.message]) ?? []);
    expect(paths).toMatchObject({
      serviceName: "service.name is required",
      operationName: expect.stringMatching(/\* alone would match anything/) as string,
      model: "Model must be text",
      target: expect.any(String) as string,
    });
    expect(targetRuleSchema.safeParse({ serviceName: "a\u0000b", target: "chat" }).success).toBe(false);
    expect(targetRuleSchema.safeParse({ serviceName: "x".repeat(201), target: "chat" }).success).toBe(false);
  });

  it("refuses a set in which two rules have the same fields, at the second one", () => {
    const refused = targetRuleSetSchema.safeParse({
      rules: [rule("chat-api", "a"), rule("other", "b"), { serviceName: "chat-api", target: "c", model: "" }],
    });
    expect(refused.error?.issues).toEqual([
      expect.objectContaining({
        path: ["rules", 2, "serviceName"],
        message: expect.stringMatching(/Rule 0 has the same/) as string,
      }),
    ]);
  });
});

describe("applied to spans", () => {
  const T = 1_777_636_800_000_000_000n;
  const span = (attributes: Record<string, AttributeValue>) => ({
    name: "chat",
    startTimeUnixNano: T,
    endTimeUnixNano: T + 500_000_000n,
    attributes: new Map(Object.entries(attributes)),
    events: [],
    statusCode: 0,
  });
  const resource = (attributes: Record<string, AttributeValue>, spans: ReturnType<typeof span>[]) => ({
    resourceAttributes: new Map(Object.entries(attributes)),
    scopeSpans: [{ spans }],
  });

  it("gives a span without rewind.target its rule's target, after the attribute and before the request's", () => {
    const rules = new TargetRuleSet([rule("chat-api", "chat"), rule("chat-api", "chat-mini", "", "gpt-4o-mini")]);
    const batch = mapGenAiSpans(
      [
        resource({ "service.name": "chat-api" }, [
          span({ "gen_ai.request.model": "gpt-4o" }),
          span({ "gen_ai.response.model": "gpt-4o-mini" }),
          span({ "gen_ai.request.model": "gpt-4o", "rewind.target": "named" }),
        ]),
        resource({ "service.name": "chat-api", "rewind.target": "resource-named" }, [span({ "gen_ai.system": "x" })]),
        resource({ "service.name": "billing" }, [span({ "gen_ai.system": "x" })]),
      ],
      { targetRules: rules },
    );
    expect(batch.items.map((item) => [item.target, item.targetRule])).toEqual([
      ["chat", "target mapping rule service.name=chat-api → chat"],
      ["chat-mini", "target mapping rule service.name=chat-api, model=gpt-4o-mini → chat-mini"],
      ["named", undefined],
      ["resource-named", undefined],
      [null, undefined],
    ]);
  });
});
