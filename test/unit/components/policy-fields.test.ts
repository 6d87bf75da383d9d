import { describe, expect, it } from "vitest";
import {
  diffPolicies,
  draftFromForm,
  formFromPolicy,
  issueFor,
  policyFields,
  validateForm,
} from "@/components/policies/policy-fields";
import { defaultPolicy, policySchema } from "@/server/domain/policy";
import { slos } from "@/server/domain/slo";

describe("policy form", () => {
  it("covers every field of the schema, and a policy survives the round trip through the form", () => {
    const leaves = (value: object, prefix = ""): string[] =>
      Object.entries(value).flatMap(([key, child]) =>
        child !== null && typeof child === "object" && !Array.isArray(child)
          ? leaves(child as object, `${prefix}${key}.`)
          : [`${prefix}${key}`],
      );
    // Every field, the optional thresholds (unset in the default policy) included.
    const everyThreshold = Object.fromEntries(slos.map((slo) => [slo.threshold, 1]));
    expect(policyFields.map((field) => field.path).sort()).toEqual(
      leaves({ ...defaultPolicy, ...everyThreshold }).sort(),
    );

    const policy = policySchema.parse({
      mode: "AUTOMATIC",
      approvalsRequired: 2,
      steps: [10, 100],
      burnRate: { enabled: false },
    });
    expect(validateForm(formFromPolicy(policy))).toEqual({ ok: true, policy, issues: {} });
  });

  it("reports what a save would refuse, next to the field that holds it", () => {
    const form = {
      ...formFromPolicy(defaultPolicy),
      maxErrorRate: "2",
      maxP95LatencyMs: "",
      minRequests: "abc",
      steps: "25, x, 100",
      "burnRate.shortWindowSeconds": "7200",
    };
    const result = validateForm(form);
    expect(result.ok).toBe(false);
    expect(issueFor(result.issues, "maxErrorRate")).toBe("Max error rate is a fraction and must be at most 1 (100%)");
    expect(issueFor(result.issues, "maxP95LatencyMs")).toBe("Max P95 latency must be a number");
    expect(issueFor(result.issues, "minRequests")).toBe("Minimum requests must be a number");
    expect(issueFor(result.issues, "steps")).toBe("Each step must be a number");
    expect(issueFor(result.issues, "burnRate.shortWindowSeconds")).toBe(
      "Short window must be shorter than the long window",
    );
    expect(issueFor(result.issues, "cooldownSeconds")).toBeUndefined();
    // The same draft, parsed by the schema the server uses, fails on the same fields.
    expect(policySchema.safeParse(draftFromForm(form)).success).toBe(false);
  });

  it("diffs two policies field by field, formatted for people", () => {
    const after = policySchema.parse({ maxErrorRate: 0.03, cooldownSeconds: 600, steps: [50, 100], mode: "AUTOMATIC" });
    expect(diffPolicies(defaultPolicy, after)).toEqual([
      { path: "maxErrorRate", label: "Max error rate", before: "5%", after: "3%" },
      { path: "mode", label: "Mode", before: "Approval", after: "Automatic" },
      { path: "cooldownSeconds", label: "Cooldown", before: "1,800 s (30 min)", after: "600 s (10 min)" },
      { path: "steps", label: "Steps", before: "25% → 50% → 100%", after: "50% → 100%" },
    ]);
    expect(diffPolicies(after, after)).toEqual([]);
  });

  it("leaves time to first token unjudged when its field is empty, and formats thresholds like their readings", () => {
    const form = formFromPolicy(defaultPolicy);
    expect(form.maxTtftP95Ms).toBe("");
    const unset = validateForm(form);
    expect(unset.ok && unset.policy.maxTtftP95Ms).toBeUndefined();

    const set = validateForm({ ...form, maxTtftP95Ms: "1500", maxP95LatencyMs: "10000" });
    expect(set.ok && set.policy.maxTtftP95Ms).toBe(1_500);
    if (!set.ok) throw new Error("expected a valid policy");
    expect(diffPolicies(defaultPolicy, set.policy)).toEqual([
      { path: "maxP95LatencyMs", label: "Max P95 latency", before: "8 s", after: "10 s" },
      { path: "maxTtftP95Ms", label: "Max P95 time to first token", before: "Not judged", after: "1.5 s" },
    ]);
    expect(issueFor(validateForm({ ...form, maxTtftP95Ms: "0" }).issues, "maxTtftP95Ms")).toBe(
      "Max P95 time to first token must be greater than 0",
    );
  });
});
