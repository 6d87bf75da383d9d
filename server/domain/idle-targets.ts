// When the monitoring cycle may skip a target: judging it again would give the verdict it already has, with
// nothing to act on. Rules and reasons: docs/METRICS.md, "Idle targets".
import type { VerdictStatus } from "./evaluation";
import type { Policy } from "./policy";

/** A target's newest verdict as the TargetEvaluationState row keeps it. */
export interface EvaluationState {
  lastVerdictAt: Date;
  lastStatus: VerdictStatus;
  policyVersion: number | null;
}

export interface IdleInput {
  /** Null: never judged since the state has been kept. */
  state: EvaluationState | null;
  policy: Policy;
  policyVersion: number | null;
  /** When the target's configuration last changed (Target.configChangedAt). */
  configChangedAt: Date | null;
  /** Some bucket or rollup of the target starts inside its lookback (or later). */
  hasTraffic: boolean;
  /** An enabled pulled metrics source judges the target: every cycle reads it. */
  pulledSource: boolean;
  /** A rollback of the target is pending, approved or running, or completed and not yet verified. */
  rollbackUnderWay: boolean;
  now: Date;
}

/**
 * True when the target can be skipped. With no bucket or rollup in the lookback every window the evaluation reads is
 * empty, so its verdict is INSUFFICIENT_DATA (minRequests is at least 1) and the decision NONE whatever the rollback
 * state; when the newest verdict already says INSUFFICIENT_DATA, recording another one changes no streak, no
 * notification and no action. The rest only keeps the record readable and every timer honest:
 * - a policy or configuration change since the newest verdict is judged once, so the newest verdict is under the
 *   policy and configuration in force;
 * - a pulled source is read every cycle; a rollback under way (its step gate, expiry and verification read the
 *   verdicts and windows of the target) keeps the target judged every cycle as before;
 * - a newest verdict at or after `now` is a rerun of an instant (or a clock going back): judged as before.
 */
export function isIdle(input: IdleInput): boolean {
  const { state } = input;
  if (state === null || state.lastStatus !== "INSUFFICIENT_DATA") return false;
  if (state.lastVerdictAt.getTime() >= input.now.getTime()) return false;
  if (state.policyVersion !== input.policyVersion) return false;
  if (input.configChangedAt !== null && input.configChangedAt.getTime() >= state.lastVerdictAt.getTime()) return false;
  if (input.policy.minRequests < 1) return false;
  return !input.hasTraffic && !input.pulledSource && !input.rollbackUnderWay;
}
