import { describe, expect, it } from "vitest";
import { defaultPolicy, policySchema } from "@/server/domain/policy";
import { describePolicy } from "@/server/domain/policy-description";

describe("describePolicy", () => {
  it("states the default policy's rules with its numbers", () => {
    expect(describePolicy(defaultPolicy)).toEqual([
      "Propose a rollback to the known-good snapshot when the error rate exceeds 5%, the P95 latency exceeds 8 s or the cost per request exceeds $0.05 for 3 consecutive cycles, each cycle judging the last 5 min of traffic.",
      "A window with fewer than 50 requests is not judged and breaks the streak.",
      "Above 3× a limit (error rate 15%, P95 latency 24 s or cost per request $0.15) it is an emergency: roll back at once, without approval or steps.",
      "Also act when the 0.2% error budget burns more than 14.4× faster than sustainable over both the last 1 h and the last 5 min (an error rate above 2.88%), without waiting for the streak.",
      "A proposal needs 1 approval, and expires if not approved within 15 min.",
      "After 2 automatic or emergency rollbacks in an hour, automation stops and a person decides.",
      "Traffic moves back in steps of 25%, 50% and 100%, 2 min apart.",
      "Within 30 min of any rollback, a breach only proposes another one for approval.",
      "A completed rollback is watched for 10 min to confirm recovery; a new snapshot becomes known-good after 30 min of healthy traffic.",
    ]);
  });

  it("follows the mode, the streak, the approvals, the cap, the steps, the cooldown and the burn-rate switch", () => {
    const text = describePolicy(
      policySchema.parse({
        mode: "AUTOMATIC",
        consecutiveViolations: 1,
        approvalsRequired: 2,
        maxAutoRollbacksPerHour: 0,
        steps: [100],
        cooldownSeconds: 0,
        evaluationWindowSeconds: 90,
        maxErrorRate: 0.125,
        burnRate: { enabled: false },
      }),
    ).join(" ");
    expect(text).toContain("Roll back to the known-good snapshot when the error rate exceeds 12.5%");
    expect(text).toContain("in a single cycle, each cycle judging the last 90 s of traffic.");
    expect(text).toContain("it is an emergency: people are paged.");
    expect(text).toContain("The error-budget burn-rate alert is off.");
    expect(text).toContain("Rollbacks start without approval.");
    expect(text).toContain("Automatic and emergency rollbacks are disabled: a person always decides.");
    expect(text).toContain("Traffic moves back in one step.");
    expect(text).toContain("There is no cooldown between rollbacks.");
    expect(text).not.toContain("approval, and expires");
  });

  it("says that two approvals must come from people other than the requester", () => {
    expect(describePolicy(policySchema.parse({ approvalsRequired: 2, approvalTimeoutSeconds: 3_600 }))).toContain(
      "A proposal needs 2 approvals, neither from the person who requested it, and expires if not approved within 1 h.",
    );
  });
});
