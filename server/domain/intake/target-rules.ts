// Target mapping rules for OTLP intake (traces and metrics): an admin maps a resource's `service.name`, optionally
// narrowed by the call's `gen_ai.operation.name` and model, to a target, so that exporters need no `rewind.target`
// attribute. Fields are exact text or simple `*` patterns; the most specific matching rule wins, by an order that
// depends on the rules alone (not on when they were saved), so re-applying them as code keeps every decision.
// docs/INTEGRATIONS.md ("Target mapping rules").
import { z } from "zod";
import { safeText } from "../input-bounds";
import { slugSchema } from "../targets";

export const MAX_TARGET_RULES = 500;
const MAX_PATTERN_LENGTH = 200;

/** The attributes a rule reads, as docs and messages name them. */
export const RULE_FIELDS = {
  serviceName: "service.name",
  operationName: "gen_ai.operation.name",
  model: "gen_ai.request.model",
} as const;
export type RuleField = keyof typeof RULE_FIELDS;

const pattern = (label: string) =>
  safeText({ error: `${label} must be text` })
    .trim()
    .max(MAX_PATTERN_LENGTH, `${label} must be at most ${MAX_PATTERN_LENGTH} characters`)
    .refine((text) => text === "" || /[^*]/.test(text), `${label}: * alone would match anything; leave it empty`);

/** Optional fields: absent, null and "" all mean "any value, or none". */
const optionalPattern = (label: string) =>
  pattern(label)
    .nullish()
    .transform((text) => text ?? "");

/** One rule as an admin (or a config-as-code job) writes it. */
export const targetRuleSchema = z.object({
  serviceName: pattern(RULE_FIELDS.serviceName).refine((text) => text !== "", `${RULE_FIELDS.serviceName} is required`),
  operationName: optionalPattern(RULE_FIELDS.operationName),
  model: optionalPattern("Model"),
  target: slugSchema,
});
export type TargetRuleInput = z.input<typeof targetRuleSchema>;
export type TargetRule = z.output<typeof targetRuleSchema>;

export const updateTargetRuleSchema = targetRuleSchema.extend({ id: z.string().min(1, "Rule id is required") });
export const deleteTargetRuleSchema = z.object({ id: z.string().min(1, "Rule id is required") });

/** Two rules with the same three fields would leave the choice between them to chance: one must go. */
export function sameMatch(a: Omit<TargetRule, "target">, b: Omit<TargetRule, "target">): boolean {
  return a.serviceName === b.serviceName && a.operationName === b.operationName && a.model === b.model;
}

/** The whole set, replaced at once (PUT /api/v1/intake/rules): each rule's fields once. */
export const targetRuleSetSchema = z.object({
  rules: z
    .array(targetRuleSchema, { error: "rules must be a list of rules" })
    .max(MAX_TARGET_RULES, `At most ${MAX_TARGET_RULES} rules`)
    .superRefine((rules, ctx) => {
      rules.forEach((rule, i) => {
        const first = rules.findIndex((other) => sameMatch(other, rule));
        if (first < i) {
          ctx.addIssue({
            code: "custom",
            path: [i, "serviceName"],
            message: `Rule ${first} has the same service.name, operation and model: keep one`,
          });
        }
      });
    }),
});

/** `*` matches any run of characters (none included); everything else is itself. */
function matcherOf(patternText: string): (value: string | undefined) => boolean {
  if (patternText === "") return () => true;
  if (!patternText.includes("*")) return (value) => value === patternText;
  const parts = patternText.split("*");
  const first = parts[0] ?? "";
  const last = parts[parts.length - 1] ?? "";
  const middle = parts.slice(1, -1).filter((part) => part !== "");
  return (value) => {
    if (value === undefined || value.length < first.length + last.length) return false;
    if (!value.startsWith(first) || !value.endsWith(last)) return false;
    // Leftmost matches of the parts between stars decide (a greedy scan is exact for `*`-only patterns).
    const end = value.length - last.length;
    let at = first.length;
    for (const part of middle) {
      const found = value.indexOf(part, at);
      if (found === -1 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

const fieldsOf = (rule: TargetRule) => [rule.serviceName, rule.operationName, rule.model];

/**
 * Most specific first: (1) more fields given (service.name, operation, model); (2) fewer fields with a `*`;
 * (3) more characters other than `*`; (4) the fields' text, in code-point order (service.name, then operation, then
 * model). Rules are unique on their three fields, so this orders any two rules, whatever order they were saved in.
 */
export function compareSpecificity(a: TargetRule, b: TargetRule): number {
  const given = (rule: TargetRule) => fieldsOf(rule).filter((field) => field !== "").length;
  const globbed = (rule: TargetRule) => fieldsOf(rule).filter((field) => field.includes("*")).length;
  const literal = (rule: TargetRule) =>
    fieldsOf(rule).reduce((sum, field) => sum + field.replaceAll("*", "").length, 0);
  const byNumbers = given(b) - given(a) || globbed(a) - globbed(b) || literal(b) - literal(a);
  if (byNumbers !== 0) return byNumbers;
  const [left, right] = [fieldsOf(a), fieldsOf(b)];
  for (let i = 0; i < left.length; i++) {
    const [x = "", y = ""] = [left[i], right[i]];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** How a refusal or a log names the rule. */
export function describeRule(rule: TargetRule): string {
  const fields = [
    `${RULE_FIELDS.serviceName}=${rule.serviceName}`,
    ...(rule.operationName ? [`${RULE_FIELDS.operationName}=${rule.operationName}`] : []),
    ...(rule.model ? [`model=${rule.model}`] : []),
  ];
  return `target mapping rule ${fields.join(", ")} → ${rule.target}`;
}

interface CompiledRule {
  rule: TargetRule;
  description: string;
  service: (value: string | undefined) => boolean;
  operation: (value: string | undefined) => boolean;
  model: (value: string | undefined) => boolean;
}

/** A call's rule: its target and how refusals name the rule. */
export interface RuleMatch {
  target: string;
  rule: string;
}

/** For one resource: the rule of a call by its operation and model (memoized: a batch repeats a few pairs). */
export type ServiceRuleLookup = (operation: string | undefined, model: string | undefined) => RuleMatch | null;

/** The rules of a request, compiled once and ordered most specific first. */
export class TargetRuleSet {
  static readonly empty = new TargetRuleSet([]);
  readonly #rules: CompiledRule[];

  constructor(rules: readonly TargetRule[]) {
    this.#rules = [...rules].sort(compareSpecificity).map((rule) => ({
      rule,
      description: describeRule(rule),
      service: matcherOf(rule.serviceName),
      operation: matcherOf(rule.operationName),
      model: matcherOf(rule.model),
    }));
  }

  get size(): number {
    return this.#rules.length;
  }

  /** The rules, most specific first. */
  get ordered(): TargetRule[] {
    return this.#rules.map(({ rule }) => rule);
  }

  /**
   * The lookup for calls of a resource whose `service.name` is `serviceName` (anything else than text reads as
   * absent, which no rule matches); null when no rule names that service.
   */
  forService(serviceName: unknown): ServiceRuleLookup | null {
    const name = typeof serviceName === "string" ? serviceName : undefined;
    const candidates = this.#rules.filter((compiled) => compiled.service(name));
    if (candidates.length === 0) return null;
    const memo = new Map<string, RuleMatch | null>();
    return (operation, model) => {
      const key = `${operation ?? "\u0000"}\u0001${model ?? "\u0000"}`;
      let found = memo.get(key);
      if (found === undefined) {
        const compiled = candidates.find((candidate) => candidate.operation(operation) && candidate.model(model));
        found = compiled ? { target: compiled.rule.target, rule: compiled.description } : null;
        memo.set(key, found);
      }
      return found;
    };
  }

  /** The rule of one call; `forService` when many calls share a resource. */
  match(call: { serviceName: unknown; operation: string | undefined; model: string | undefined }): RuleMatch | null {
    return this.forService(call.serviceName)?.(call.operation, call.model) ?? null;
  }
}
