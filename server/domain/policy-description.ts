// A policy in plain words, for the pages that show what a target's policy will do before anyone reads its
// fields. Each sentence states one rule of docs/POLICY.md with the policy's own numbers.
import { formatDuration } from "./evaluation";
import type { Policy } from "./policy";
import { formatSloValue, judgedSlos } from "./slo";

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

function list(items: readonly string[], conjunction: "and" | "or"): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} ${conjunction} ${items.at(-1)}`;
}

export function describePolicy(policy: Policy): string[] {
  const limits = judgedSlos(policy);
  const act =
    policy.mode === "AUTOMATIC"
      ? "Roll back to the known-good snapshot"
      : "Propose a rollback to the known-good snapshot";
  const streak =
    policy.consecutiveViolations === 1 ? "in a single cycle" : `for ${policy.consecutiveViolations} consecutive cycles`;
  const m = policy.emergencyMultiplier;
  const { burnRate } = policy;

  return [
    `${act} when ${list(
      limits.map(({ slo, limit }) => `the ${slo.label} exceeds ${formatSloValue(slo.id, limit)}`),
      "or",
    )} ${streak}, each cycle judging the last ${formatDuration(policy.evaluationWindowSeconds)} of traffic.`,
    `A window with fewer than ${plural(policy.minRequests, "request")} is not judged and breaks the streak.`,
    `Above ${m}× a limit (${list(
      limits.map(({ slo, limit }) => `${slo.label} ${formatSloValue(slo.id, limit * m)}`),
      "or",
    )}) it is an emergency: ${policy.maxAutoRollbacksPerHour === 0 ? "people are paged" : "roll back at once, without approval or steps"}.`,
    burnRate.enabled
      ? `Also act when the ${formatSloValue("ERROR_RATE", burnRate.errorBudget)} error budget burns more than ${burnRate.factor}× faster than sustainable over both the last ${formatDuration(burnRate.longWindowSeconds)} and the last ${formatDuration(burnRate.shortWindowSeconds)} (an error rate above ${formatSloValue("ERROR_RATE", burnRate.factor * burnRate.errorBudget)}), without waiting for the streak.`
      : "The error-budget burn-rate alert is off.",
    policy.mode === "AUTOMATIC"
      ? "Rollbacks start without approval."
      : `A proposal needs ${plural(policy.approvalsRequired, "approval")}${policy.approvalsRequired === 2 ? ", neither from the person who requested it" : ""}, and expires if not approved within ${formatDuration(policy.approvalTimeoutSeconds)}.`,
    policy.maxAutoRollbacksPerHour === 0
      ? "Automatic and emergency rollbacks are disabled: a person always decides."
      : `After ${plural(policy.maxAutoRollbacksPerHour, "automatic or emergency rollback")} in an hour, automation stops and a person decides.`,
    policy.steps.length === 1
      ? "Traffic moves back in one step."
      : `Traffic moves back in steps of ${list(
          policy.steps.map((step) => `${step}%`),
          "and",
        )}, ${formatDuration(policy.stepIntervalSeconds)} apart.`,
    policy.cooldownSeconds === 0
      ? "There is no cooldown between rollbacks."
      : `Within ${formatDuration(policy.cooldownSeconds)} of any rollback, a breach only proposes another one for approval.`,
    `A completed rollback is watched for ${formatDuration(policy.verificationWindowSeconds)} to confirm recovery; a new snapshot becomes known-good after ${formatDuration(policy.bakeTimeSeconds)} of healthy traffic.`,
  ];
}
