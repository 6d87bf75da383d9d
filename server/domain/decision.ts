// What the monitoring cycle does about a verdict, given the target's rollback state. The rules are checked
// in order and the first that applies wins; docs/POLICY.md has them as a table.
import type { Verdict } from "./evaluation";
import type { Policy } from "./policy";

export const decisionKinds = ["NONE", "NOTIFY", "PROPOSE_ROLLBACK", "AUTO_ROLLBACK", "EMERGENCY_ROLLBACK"] as const;
export type DecisionKind = (typeof decisionKinds)[number];

export interface DecisionTarget {
  /** A rollback of this target is pending approval or in progress. */
  hasActiveRollback: boolean;
  currentSnapshotId: string | null;
  knownGoodSnapshotId: string | null;
  /** Start of the last rollback of any kind (manual included). */
  lastRollbackAt: Date | null;
  /** Rollbacks started without a person's approval (automatic and emergency) in the hour before `now`. */
  autoRollbacksInLastHour: number;
  /** Emergency stop or maintenance: nothing but notifications. */
  automationPaused: boolean;
}

export interface Decision {
  kind: DecisionKind;
  reasons: string[];
  /** Page a person beyond the usual notification: the breach needs action that automation may not take. */
  escalate: boolean;
  explanation: string;
}

export interface DecisionInput {
  verdict: Verdict;
  target: DecisionTarget;
  policy: Policy;
  now: Date;
}

const ACTION: Record<DecisionKind, string> = {
  NONE: "No action",
  NOTIFY: "Notify",
  PROPOSE_ROLLBACK: "Propose a rollback to the known-good snapshot",
  AUTO_ROLLBACK: "Roll back automatically to the known-good snapshot",
  EMERGENCY_ROLLBACK: "Roll back to the known-good snapshot at once",
};

export function decide({ verdict, target, policy, now }: DecisionInput): Decision {
  const result = (kind: DecisionKind, escalate: boolean, reasons: string[]): Decision => ({
    kind,
    reasons,
    escalate,
    explanation: `${verdict.explanation}. ${ACTION[kind]}${reasons.length > 0 ? `: ${reasons.join("; ")}` : ""}.`,
  });

  if (verdict.status === "HEALTHY" || verdict.status === "INSUFFICIENT_DATA") return result("NONE", false, []);
  if (verdict.status === "VIOLATION") {
    return result("NOTIFY", false, [
      `Violation ${verdict.consecutiveCount} of ${policy.consecutiveViolations} consecutive needed for a breach`,
    ]);
  }

  const emergency = verdict.severity === "EMERGENCY";
  const wanted: DecisionKind = emergency
    ? "EMERGENCY_ROLLBACK"
    : policy.mode === "AUTOMATIC"
      ? "AUTO_ROLLBACK"
      : "PROPOSE_ROLLBACK";
  const automatic = wanted !== "PROPOSE_ROLLBACK";
  const cooldownLeftMs =
    target.lastRollbackAt === null
      ? 0
      : target.lastRollbackAt.getTime() + policy.cooldownSeconds * 1000 - now.getTime();
  const cooldownNote =
    `within the ${Math.round(policy.cooldownSeconds / 60)} min cooldown after the last rollback ` +
    `(${Math.ceil(cooldownLeftMs / 60_000)} min left)`;

  if (target.hasActiveRollback) {
    // The active rollback already carries this incident; an emergency still pages, since a pending
    // proposal or a slow gradual rollback may not be fast enough.
    return emergency
      ? result("NOTIFY", true, ["Emergency while a rollback of this target is already active"])
      : result("NONE", false, ["A rollback of this target is already active"]);
  }
  if (target.knownGoodSnapshotId === null || target.knownGoodSnapshotId === target.currentSnapshotId) {
    return result("NOTIFY", true, ["No known-good snapshot other than the current one to roll back to"]);
  }
  if (target.automationPaused) {
    return result("NOTIFY", true, ["Automation is paused (emergency stop or maintenance)"]);
  }
  if (automatic && target.autoRollbacksInLastHour >= policy.maxAutoRollbacksPerHour) {
    return result("NOTIFY", true, [
      `Automatic rollbacks frozen: ${target.autoRollbacksInLastHour} in the last hour ` +
        `(cap ${policy.maxAutoRollbacksPerHour}); a person must decide`,
    ]);
  }
  // Cooldown stops machines from flapping; a proposal waits for a person, so it stays allowed and an
  // automatic action becomes one.
  if (cooldownLeftMs > 0) {
    return automatic
      ? result("PROPOSE_ROLLBACK", true, [`Automatic rollback held back ${cooldownNote}; approval needed`])
      : result("PROPOSE_ROLLBACK", false, [`Policy needs approval; ${cooldownNote}`]);
  }
  return result(wanted, emergency, [
    emergency
      ? `Over ${policy.emergencyMultiplier}× a threshold: no approval, no gradual steps`
      : automatic
        ? "Policy mode is AUTOMATIC"
        : `Policy needs ${policy.approvalsRequired} approval${policy.approvalsRequired === 2 ? "s" : ""}`,
  ]);
}
