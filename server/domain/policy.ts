// The SLO policy of a target: one schema for the policy form, the API and the monitoring cycle.
// Defaults and their reasons are in docs/POLICY.md.
import { z } from "zod";
import { sloThresholdShape } from "./slo";

const DAY_SECONDS = 86_400;

function integer(label: string, min: number, max: number) {
  return z
    .number({ error: `${label} must be a number` })
    .int(`${label} must be a whole number`)
    .min(min, `${label} must be at least ${min.toLocaleString("en-US")}`)
    .max(max, `${label} must be at most ${max.toLocaleString("en-US")}`);
}

/**
 * Cross-field rules run even when unrelated fields are invalid, so a form shows every problem at once; never
 * when the input is not an object at all (an issue at the root), which they could not read.
 */
const whenValid =
  (...fields: string[]) =>
  ({ issues }: { issues: readonly { path?: readonly PropertyKey[] }[] }) =>
    issues.every((issue) => (issue.path?.length ?? 0) > 0 && !fields.includes(String(issue.path?.[0])));

const stepsSchema = z
  .array(integer("Each step", 1, 100), { error: "Steps must be a list of percentages" })
  .min(1, "Add at least one step")
  .max(10, "Use at most 10 steps")
  .refine((steps) => steps.every((step, i) => i === 0 || step > (steps[i - 1] ?? 0)) && steps.at(-1) === 100, {
    message: "Steps must ascend and end at 100",
    when: ({ issues }) => issues.length === 0,
  });

const burnRateSchema = z
  .object({
    enabled: z.boolean().default(true),
    errorBudget: z
      .number({ error: "Error budget must be a number" })
      .gt(0, "Error budget must be greater than 0")
      .lt(1, "Error budget is a fraction and must be below 1 (100%)")
      .default(0.002),
    longWindowSeconds: integer("Long window", 300, 7 * DAY_SECONDS).default(3_600),
    shortWindowSeconds: integer("Short window", 60, DAY_SECONDS).default(300),
    factor: z
      .number({ error: "Burn-rate factor must be a number" })
      .gt(1, "Burn-rate factor must be greater than 1")
      .max(1_000, "Burn-rate factor must be at most 1,000")
      .default(14.4),
  })
  .refine((burn) => burn.shortWindowSeconds < burn.longWindowSeconds, {
    message: "Short window must be shorter than the long window",
    path: ["shortWindowSeconds"],
    when: whenValid("shortWindowSeconds", "longWindowSeconds"),
  });

export const policySchema = z
  .object({
    ...sloThresholdShape,
    evaluationWindowSeconds: integer("Evaluation window", 30, DAY_SECONDS).default(300),
    minRequests: integer("Minimum requests", 1, 1_000_000).default(50),
    consecutiveViolations: integer("Consecutive violations", 1, 100).default(3),
    cooldownSeconds: integer("Cooldown", 0, 7 * DAY_SECONDS).default(1_800),
    emergencyMultiplier: z
      .number({ error: "Emergency multiplier must be a number" })
      .gt(1, "Emergency multiplier must be greater than 1")
      .max(100, "Emergency multiplier must be at most 100")
      .default(3),
    maxAutoRollbacksPerHour: integer("Max automatic rollbacks per hour", 0, 60).default(2),
    mode: z.enum(["APPROVAL", "AUTOMATIC"], { error: "Mode must be APPROVAL or AUTOMATIC" }).default("APPROVAL"),
    approvalsRequired: z.union([z.literal(1), z.literal(2)], { error: "Approvals required must be 1 or 2" }).default(1),
    approvalTimeoutSeconds: integer("Approval timeout", 60, DAY_SECONDS).default(900),
    steps: stepsSchema.default([25, 50, 100]),
    stepIntervalSeconds: integer("Step interval", 10, DAY_SECONDS).default(120),
    /** Requests each arm must serve in a step before the step gate tests anything (HOLD until then). */
    stepMinRequests: integer("Minimum requests per arm", 10, 1_000_000).default(100),
    /** Family-wise false-positive rate of the step gate over one rollback (docs/ROLLBACKS.md). */
    stepSignificance: z
      .number({ error: "Step significance must be a number" })
      .gt(0, "Step significance must be greater than 0")
      .max(0.2, "Step significance must be at most 0.2")
      .default(0.05),
    /** Due step checks a step may HOLD for lack of traffic before Rewind advances anyway and escalates. */
    stepMaxHoldIntervals: integer("Maximum held intervals", 0, 100).default(3),
    /**
     * How long orchestrators take to pick up a configuration change (their config poll interval): traffic
     * in this grace after a change is not attributed to the new configuration unless it carries a version.
     */
    configPickupSeconds: integer("Config pickup grace", 0, 3_600).default(30),
    bakeTimeSeconds: integer("Bake time", 0, 7 * DAY_SECONDS).default(1_800),
    verificationWindowSeconds: integer("Verification window", 60, DAY_SECONDS).default(600),
    burnRate: burnRateSchema.prefault({}),
  })
  .refine((p) => p.verificationWindowSeconds >= p.evaluationWindowSeconds, {
    message: "Verification window must be at least as long as the evaluation window",
    path: ["verificationWindowSeconds"],
    when: whenValid("verificationWindowSeconds", "evaluationWindowSeconds"),
  })
  .refine((p) => !p.burnRate.enabled || p.burnRate.factor * p.burnRate.errorBudget < 1, {
    message: "Burn-rate factor × error budget must be below 100%, or the burn-rate alert could never fire",
    path: ["burnRate", "factor"],
    when: whenValid("burnRate"),
  });

export type Policy = z.infer<typeof policySchema>;
/** What a form or API client may send: every field optional, defaults filled in by parsing. */
export type PolicyInput = z.input<typeof policySchema>;

export const defaultPolicy: Policy = policySchema.parse({});
