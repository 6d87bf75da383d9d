// Whether a completed rollback helped: judged on the restored snapshot's own traffic after completion, within
// the policy's verification window (docs/ROLLBACKS.md, "Verification").
import type { VerdictStatus } from "./evaluation";

export type VerificationOutcome = "PENDING" | "EFFECTIVE" | "INEFFECTIVE" | "INCONCLUSIVE";

export interface VerificationInput {
  completedAt: Date;
  verificationWindowSeconds: number;
  /**
   * Where the restored snapshot's judged traffic starts: completion plus the policy's pickup grace, on a bucket
   * boundary (configuration-epoch.ts judgedRange). Traffic before it was served by the old configuration.
   */
  judgedFrom: Date;
  /** Verdicts recorded after completion; `windowSeconds` is the length of the window each one judged. */
  verdictsSinceCompletion: readonly { status: VerdictStatus; at: Date; windowSeconds: number }[];
  /**
   * The restored snapshot's own traffic from `judgedFrom` to the end of the verification window (or now),
   * judged as one window by `evaluate` without a streak: its status.
   */
  restored: VerdictStatus;
  now: Date;
}

/**
 * Judged only on the restored snapshot's traffic after completion and the pickup grace:
 * - INEFFECTIVE as soon as that traffic breaches: a cycle verdict within the window whose whole window lies after
 *   `judgedFrom`, or the restored traffic itself at an emergency level;
 * - at the window's end, EFFECTIVE when the restored traffic was judged and healthy, INEFFECTIVE when it was
 *   judged and violated, INCONCLUSIVE when there was too little of it to judge (no traffic is no evidence that
 *   the rollback worked);
 * - PENDING before.
 * Verdicts whose window started earlier still judge the old configuration, so they neither condemn nor clear it.
 */
export function verificationOutcome({
  completedAt,
  verificationWindowSeconds,
  judgedFrom,
  verdictsSinceCompletion,
  restored,
  now,
}: VerificationInput): VerificationOutcome {
  const end = completedAt.getTime() + verificationWindowSeconds * 1000;
  const breached = verdictsSinceCompletion.some(
    (v) =>
      v.status === "BREACH" && v.at.getTime() <= end && v.at.getTime() - v.windowSeconds * 1000 >= judgedFrom.getTime(),
  );
  if (breached || restored === "BREACH") return "INEFFECTIVE";
  if (now.getTime() < end) return "PENDING";
  if (restored === "HEALTHY") return "EFFECTIVE";
  return restored === "INSUFFICIENT_DATA" ? "INCONCLUSIVE" : "INEFFECTIVE";
}
