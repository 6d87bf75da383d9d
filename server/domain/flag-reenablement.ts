// Gradual re-enablement of the kill switches an emergency rollback turned off: the plan's input shapes, when a
// plan may start, and what a step check does to it. docs/ROLLBACKS.md ("Re-enabling feature flags").
import { z } from "zod";
import { safeText } from "./input-bounds";
import type { StepOutcome } from "./step-gate";

export const reenablementStatuses = ["RUNNING", "COMPLETED", "REVERTED", "CANCELLED"] as const;
export type ReenablementStatus = (typeof reenablementStatuses)[number];

export const defaultReenablementSteps = [10, 50, 100] as const;

/** Percentages of traffic the flags are on for, ascending, ending at 100. */
export const reenablementStepsSchema = z
  .array(
    z
      .number({ error: "Each step is a percentage" })
      .int("Each step is a whole percentage")
      .min(1, "Each step is at least 1%")
      .max(100, "Each step is at most 100%"),
  )
  .min(1, "Give at least one step")
  .max(10, "At most 10 steps")
  .refine((steps) => steps.every((step, i) => i === 0 || step > (steps[i - 1] ?? 0)), "Steps must be ascending")
  .refine((steps) => steps.at(-1) === 100, "The last step must be 100%");

export const startReenablementSchema = z.object({
  rollbackId: z.string().min(1),
  steps: reenablementStepsSchema.default([...defaultReenablementSteps]),
});

export const cancelReenablementSchema = z.object({
  planId: z.string().min(1),
  reason: safeText().trim().min(1, "Say why").max(500, "At most 500 characters"),
});

/**
 * Parses "10, 50, 100" (commas or spaces) into numbers for the steps schema; a word that is not a number stays
 * NaN so the schema names it.
 */
export function parseStepsText(text: string): number[] {
  return text
    .split(/[\s,]+/)
    .filter((part) => part.length > 0)
    .map((part) => Number(part.replace(/%$/, "")));
}

export interface StartCheckInput {
  rollback: { status: string; verification: string | null; flagsTurnedOff: readonly string[] };
  /** The flags named in `flagsTurnedOff` that still exist, with whether each is on. */
  flags: readonly { key: string; enabled: boolean }[];
  emergencyStopActive: boolean;
  /** The target already has a running plan. */
  planRunning: boolean;
}

export type StartRefusal = { code: "PRECONDITION_FAILED" | "CONFLICT"; message: string };

/** Why a plan may not start for this rollback, or null when it may. */
export function reenablementRefusal(input: StartCheckInput): StartRefusal | null {
  const { rollback } = input;
  const refuse = (message: string, code: StartRefusal["code"] = "PRECONDITION_FAILED") => ({ code, message });
  if (input.emergencyStopActive)
    return refuse("The emergency stop is active: kill switches stay off until it is lifted");
  if (rollback.flagsTurnedOff.length === 0) return refuse("This rollback turned no kill switch off");
  if (rollback.status !== "COMPLETED") return refuse("The rollback has not completed");
  if (rollback.verification === "INCONCLUSIVE") {
    return refuse("The rollback's verification was inconclusive (too little traffic): turn the switches on by hand");
  }
  if (rollback.verification !== "EFFECTIVE") {
    return refuse(
      rollback.verification === "INEFFECTIVE"
        ? "The rollback was not effective: the target is not healthy yet"
        : "The rollback is not verified effective yet",
    );
  }
  if (input.planRunning) return refuse("A re-enablement plan is already running for this target", "CONFLICT");
  const missing = rollback.flagsTurnedOff.filter((key) => !input.flags.some((flag) => flag.key === key));
  if (missing.length > 0) return refuse(`Flags no longer exist: ${missing.join(", ")}`);
  const on = input.flags.filter((flag) => flag.enabled).map((flag) => flag.key);
  if (on.length > 0) return refuse(`Already turned back on: ${on.join(", ")}`);
  return null;
}

export type ReenablementMove =
  | { kind: "STEP"; currentStep: number; percent: number; afterHolds: boolean }
  | { kind: "COMPLETE"; afterHolds: boolean }
  | { kind: "HOLD"; stepHolds: number }
  | { kind: "REVERT" };

/**
 * What a due check does to a plan. Every step is checked, 100% included: a regression with the flags fully on
 * still turns them off. A thin window holds up to `maxHolds` times, then the plan moves on anyway (escalated).
 * The window gate never ABORTs; were it to, the plan reverts, the safe side.
 */
export function reenablementMove(
  plan: { steps: readonly number[]; currentStep: number; stepHolds: number },
  outcome: StepOutcome,
  maxHolds: number,
): ReenablementMove {
  if (outcome === "FAST_FORWARD" || outcome === "ABORT") return { kind: "REVERT" };
  const afterHolds = outcome === "HOLD";
  if (afterHolds && plan.stepHolds < maxHolds) return { kind: "HOLD", stepHolds: plan.stepHolds + 1 };
  const next = plan.currentStep + 1;
  const percent = plan.steps[next];
  if (percent === undefined) return { kind: "COMPLETE", afterHolds };
  return { kind: "STEP", currentStep: next, percent, afterHolds };
}
