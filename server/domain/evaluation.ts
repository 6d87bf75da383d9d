// One verdict per target per cycle: the evaluation window checked against the policy's SLOs, the streak of
// preceding violations, and the multi-window error-budget burn rate. Rules and reasons: docs/POLICY.md.
import { z } from "zod";
import type { WindowMetrics } from "./metrics";
import type { Policy } from "./policy";
import {
  formatSloValue,
  sloReadingsShape,
  judgedSlos,
  pickReadings,
  sloDefinition,
  sloSchema,
  slos,
  type Slo,
  type SloReadings,
} from "./slo";

const sloViolationSchema = z.object({
  slo: sloSchema,
  observed: z.number(),
  threshold: z.number(),
  windowSeconds: z.number(),
});
export type SloViolation = z.infer<typeof sloViolationSchema>;

const observedSchema = z.object({
  windowSeconds: z.number(),
  requestCount: z.number(),
  ...sloReadingsShape,
  /** Set when the readings were pulled from the target's metric source (its name), not merged from stored buckets. */
  pulledFrom: z.string().optional(),
});

const burnRateObservationSchema = z.object({
  longBurn: z.number(),
  shortBurn: z.number(),
  factor: z.number(),
  longWindowSeconds: z.number(),
  shortWindowSeconds: z.number(),
});
export type BurnRateObservation = z.infer<typeof burnRateObservationSchema>;

/** Stored with each cycle's record; parse stored JSON back with it before feeding `recentVerdicts`. */
export const verdictSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("INSUFFICIENT_DATA"), observed: observedSchema, explanation: z.string() }),
  z.object({ status: z.literal("HEALTHY"), observed: observedSchema, explanation: z.string() }),
  z.object({
    status: z.literal("VIOLATION"),
    observed: observedSchema,
    violations: z.array(sloViolationSchema).min(1),
    consecutiveCount: z.number().int().positive(),
    explanation: z.string(),
  }),
  z.object({
    status: z.literal("BREACH"),
    severity: z.enum(["CRITICAL", "EMERGENCY"]),
    observed: observedSchema,
    violations: z.array(sloViolationSchema).min(1),
    consecutiveCount: z.number().int().positive(),
    /** Set when the burn-rate alert fired, whether or not it alone made this a breach. */
    burnRate: burnRateObservationSchema.nullable(),
    explanation: z.string(),
  }),
]);
export type Verdict = z.infer<typeof verdictSchema>;
export type VerdictStatus = Verdict["status"];

/** The burn-rate windows need only counts, so the caller may skip merging their latency sketches. */
export type ErrorWindow = Pick<WindowMetrics, "from" | "to" | "requestCount" | "errorRate">;

export interface EvaluationInput {
  window: WindowMetrics;
  policy: Policy;
  /** Verdicts of the immediately preceding cycles, newest first; only `status` is read. */
  recentVerdicts: readonly Pick<Verdict, "status">[];
  burnRate?: { longWindow: ErrorWindow; shortWindow: ErrorWindow };
  /**
   * Whose traffic the windows hold, for the explanation: the rows a snapshot version was credited with, or
   * all traffic cut at a configuration change (configuration-epoch.ts judgedRange).
   */
  scope?: JudgedScope;
}

/** What a judgment counted: one version's attributed traffic, or all traffic since a configuration change. */
export interface JudgedScope {
  snapshotVersion?: number | null;
  sinceChange?: boolean;
}

export function evaluate({ window, policy, recentVerdicts, burnRate, scope }: EvaluationInput): Verdict {
  const windowSeconds = (window.to - window.from) / 1000;
  const observed = {
    windowSeconds,
    requestCount: window.requestCount,
    ...pickReadings(window),
  };
  const overWindow = `over the last ${formatDuration(windowSeconds)}${scopePhrase(scope)}`;

  if (window.requestCount < policy.minRequests) {
    return {
      status: "INSUFFICIENT_DATA",
      observed,
      explanation:
        `Only ${formatCount(window.requestCount)} requests ${overWindow}; ` +
        `at least ${formatCount(policy.minRequests)} are needed for a verdict`,
    };
  }

  const windowViolations = sloViolations(observed, policy);
  const burn = burnRate && policy.burnRate.enabled ? burnRateAlert(burnRate, policy) : null;
  if (windowViolations.length === 0 && !burn) {
    return {
      status: "HEALTHY",
      observed,
      explanation:
        `All SLOs met ${overWindow}: ${formatCount(window.requestCount)} requests, ` +
        joinPhrases(
          slos
            .filter(({ reading }) => window[reading] !== null)
            .map(({ id, label, reading }) => `${label} ${formatSloValue(id, window[reading])}`),
        ),
    };
  }

  const consecutiveCount = 1 + precedingStreak(recentVerdicts);
  // A burn-rate alert with a healthy evaluation window (possible when the short window is longer) still
  // names the error-rate SLO, in the short window's terms.
  const violations: SloViolation[] =
    burn && !windowViolations.some((v) => v.slo === "ERROR_RATE")
      ? [
          {
            slo: "ERROR_RATE",
            observed: burn.shortBurn * policy.burnRate.errorBudget,
            threshold: burn.factor * policy.burnRate.errorBudget,
            windowSeconds: burn.shortWindowSeconds,
          },
          ...windowViolations,
        ]
      : windowViolations;
  const base = { status: "BREACH", observed, violations, consecutiveCount, burnRate: burn } as const;

  const m = policy.emergencyMultiplier;
  const emergencies = windowViolations.filter((v) => v.observed > v.threshold * m);
  if (emergencies.length > 0) {
    const phrases = emergencies.map(
      (v) =>
        `${sloLabel(v.slo)} ${formatSloValue(v.slo, v.observed)} > ${formatSloValue(v.slo, v.threshold * m)} ` +
        `(${formatNumber(m)}× the ${formatSloValue(v.slo, v.threshold)} limit)`,
    );
    return {
      ...base,
      severity: "EMERGENCY",
      explanation: `Emergency: ${joinPhrases(phrases)} ${overWindow}`,
    };
  }

  const streakNote = `${ordinal(consecutiveCount)} consecutive violation`;
  const windowPart =
    windowViolations.length > 0 ? `${joinPhrases(windowViolations.map(violationPhrase))} ${overWindow}` : null;
  if (burn || consecutiveCount >= policy.consecutiveViolations) {
    const burnPart =
      burn &&
      `error budget burning ${formatNumber(burn.longBurn)}× over the last ${formatDuration(burn.longWindowSeconds)} ` +
        `and ${formatNumber(burn.shortBurn)}× over the last ${formatDuration(burn.shortWindowSeconds)} ` +
        `(alert above ${formatNumber(burn.factor)}×)`;
    const parts = [windowPart && `${windowPart} (${streakNote})`, burnPart].filter((part) => part !== null);
    return { ...base, severity: "CRITICAL", explanation: capitalize(parts.join("; ")) };
  }

  return {
    status: "VIOLATION",
    observed,
    violations,
    consecutiveCount,
    explanation: capitalize(`${windowPart} (${streakNote}; ${policy.consecutiveViolations} make a breach)`),
  };
}

function scopePhrase(scope: JudgedScope | undefined): string {
  if (scope?.snapshotVersion != null) return ` of v${scope.snapshotVersion}'s traffic`;
  return scope?.sinceChange ? " since the configuration changed" : "";
}

/**
 * INSUFFICIENT_DATA breaks the streak: a breach then needs `consecutiveViolations` cycles that each had
 * enough traffic to judge, so gaps of thin data never add up to a rollback. A severe breach does not wait
 * for a streak anyway: the emergency multiplier and the burn-rate alert act on the first judged window.
 */
function precedingStreak(recent: readonly Pick<Verdict, "status">[]): number {
  const firstBreak = recent.findIndex((v) => v.status !== "VIOLATION" && v.status !== "BREACH");
  return firstBreak === -1 ? recent.length : firstBreak;
}

function violationPhrase(v: SloViolation): string {
  return `${sloLabel(v.slo)} ${formatSloValue(v.slo, v.observed)} > ${formatSloValue(v.slo, v.threshold)}`;
}

/** Every SLO the policy judges whose reading is above its limit (no reading: nothing to judge). */
function sloViolations(observed: SloReadings & { windowSeconds: number }, policy: Policy): SloViolation[] {
  return judgedSlos(policy).flatMap(({ slo, limit }) => {
    const value = observed[slo.reading];
    return value !== null && value > limit
      ? [{ slo: slo.id, observed: value, threshold: limit, windowSeconds: observed.windowSeconds }]
      : [];
  });
}

/**
 * Google SRE workbook multi-window alert. Burn rate = error rate ÷ the SLO's error budget (1 − objective),
 * which is separate from maxErrorRate so that slow burns below the rollback threshold are still caught.
 * The long window proves the burn is sustained, the short window
 * that it is still happening (so the alert resets soon after recovery). Both must burn faster than
 * `factor` and each must hold `minRequests`.
 */
function burnRateAlert(windows: NonNullable<EvaluationInput["burnRate"]>, policy: Policy): BurnRateObservation | null {
  const burnOf = (w: ErrorWindow) =>
    w.requestCount >= policy.minRequests && w.errorRate !== null ? w.errorRate / policy.burnRate.errorBudget : null;
  const longBurn = burnOf(windows.longWindow);
  const shortBurn = burnOf(windows.shortWindow);
  const { factor } = policy.burnRate;
  if (longBurn === null || shortBurn === null || longBurn <= factor || shortBurn <= factor) return null;
  return {
    longBurn,
    shortBurn,
    factor,
    longWindowSeconds: (windows.longWindow.to - windows.longWindow.from) / 1000,
    shortWindowSeconds: (windows.shortWindow.to - windows.shortWindow.from) / 1000,
  };
}

const countFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

const formatCount = (n: number) => countFormat.format(n);
const formatNumber = (n: number) => numberFormat.format(n);

function sloLabel(slo: Slo): string {
  return sloDefinition(slo).label;
}

export function formatDuration(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${formatNumber(seconds)} s`;
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th");
  return `${n}${suffix}`;
}

function joinPhrases(phrases: readonly string[]): string {
  return phrases.length <= 1 ? (phrases[0] ?? "") : `${phrases.slice(0, -1).join(", ")} and ${phrases.at(-1)}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
