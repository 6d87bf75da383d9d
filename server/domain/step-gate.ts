// The statistical gate of a gradual rollback's steps (A/B validation of the rollback): the known-good arm and
// the current arm have served traffic side by side since the step began; each judged SLO of the catalogue is
// compared between them and the step ADVANCEs, HOLDs, FAST_FORWARDs or ABORTs. Why these tests, and the
// false-positive rate and power they reach: docs/ROLLBACKS.md ("The step gate").
import { type MetricTotals } from "./metrics";
import { LatencySketch } from "./sketch";
import { formatSloValue, judgedSlos, sloDefinition, type Slo, type SloThreshold } from "./slo";
import { fisherExactTwoSided, type TwoByTwo } from "./statistics";

export const stepOutcomes = ["ADVANCE", "HOLD", "FAST_FORWARD", "ABORT"] as const;
export type StepOutcome = (typeof stepOutcomes)[number];

export type ArmName = "KNOWN_GOOD" | "CURRENT";

/** A difference of means (cost) counts when one arm's is at least this much above the other's (ratioWorse). */
export const RATIO_MARGIN = 0.2;
/** The latency tests count requests above the pooled P95 of both arms (Mood's quantile test). */
export const POOLED_QUANTILE = 0.95;

export interface SloComparison {
  slo: Slo;
  knownGood: number | null;
  current: number | null;
  /** Two-sided p-value; null when the SLO was not tested (no samples on an arm, or cost: see costComparison). */
  pValue: number | null;
  /** The arm significantly worse on this SLO, if either. */
  worse: ArmName | null;
}

export interface StepGateInput {
  knownGood: MetricTotals;
  current: MetricTotals;
  /** The policy's limits: SLOs without one are not compared. */
  policy: Partial<Record<SloThreshold, number | undefined>>;
  /** Requests each arm needs before anything is tested (policy `stepMinRequests`). */
  minRequests: number;
  /** Family-wise significance over the whole rollback (policy `stepSignificance`). */
  significance: number;
  /** Looks the rollback may take (one per step change): the significance is shared among them. */
  looks: number;
}

export interface StepCheck {
  outcome: StepOutcome;
  /** The level each test was held to: significance ÷ (looks × tests per look). */
  alpha: number;
  comparisons: SloComparison[];
  explanation: string;
}

/**
 * Mood's quantile test: the pooled P95 of both arms splits every request into above and not above; if the
 * arms share one distribution, the requests above it fall into each arm in proportion to its size, which
 * Fisher's exact test checks. It needs only the sketches' bins, and holds at any sample size.
 */
function exceedances(kg: LatencySketch, cur: LatencySketch): TwoByTwo | null {
  if (kg.count === 0 || cur.count === 0) return null;
  const pooled = LatencySketch.merge([kg, cur]).quantile(POOLED_QUANTILE);
  if (pooled === null) return null;
  return { a: kg.countAbove(pooled), aTotal: kg.count, b: cur.countAbove(pooled), bTotal: cur.count };
}

/** Statistically tested SLOs among those the policy judges: fixed by the policy, not by the data. */
function testedSlos(policy: StepGateInput["policy"]): Slo[] {
  return judgedSlos(policy).flatMap(({ slo }) => (slo.armTest.kind === "ratio" ? [] : [slo.id]));
}

export function stepGate(input: StepGateInput): StepCheck {
  const { knownGood, current, minRequests, significance } = input;
  const tested = testedSlos(input.policy);
  const alpha = significance / (Math.max(1, input.looks) * Math.max(1, tested.length));
  const thin = (["KNOWN_GOOD", "CURRENT"] as const).filter(
    (arm) => (arm === "KNOWN_GOOD" ? knownGood : current).requestCount < minRequests,
  );
  const comparisons = judgedSlos(input.policy).map(({ slo, limit }) =>
    compareSlo(slo.id, limit, input, thin.length === 0 ? alpha : null),
  );

  if (thin.length > 0) {
    const counts = `${knownGood.requestCount} on the known-good arm and ${current.requestCount} on the current one`;
    return {
      outcome: "HOLD",
      alpha,
      comparisons,
      explanation: `Not enough traffic to compare the arms: ${counts}; each needs ${minRequests}`,
    };
  }
  const against = (arm: ArmName) => comparisons.filter((c) => c.worse === arm);
  const knownGoodWorse = against("KNOWN_GOOD");
  if (knownGoodWorse.length > 0) {
    return {
      outcome: "ABORT",
      alpha,
      comparisons,
      explanation: `The known-good snapshot is worse than the current one: ${describe(knownGoodWorse, "KNOWN_GOOD")}`,
    };
  }
  const currentWorse = against("CURRENT");
  if (currentWorse.length > 0) {
    return {
      outcome: "FAST_FORWARD",
      alpha,
      comparisons,
      explanation: `The current snapshot is worse than the known-good one: ${describe(currentWorse, "CURRENT")}`,
    };
  }
  return {
    outcome: "ADVANCE",
    alpha,
    comparisons,
    explanation: `The known-good snapshot is not worse on any SLO (${knownGood.requestCount} and ${current.requestCount} requests, each test at ${formatP(alpha)})`,
  };
}

function compareSlo(slo: Slo, limit: number, input: StepGateInput, alpha: number | null): SloComparison {
  const { read, armTest } = sloDefinition(slo);
  const knownGood = read(input.knownGood);
  const current = read(input.current);
  const base = { slo, knownGood, current, pValue: null, worse: null };
  if (alpha === null || knownGood === null || current === null) return base;
  if (armTest.kind === "ratio") return { ...base, worse: ratioWorse(knownGood, current, limit) };
  const table =
    armTest.kind === "proportion"
      ? {
          a: armTest.events(input.knownGood),
          aTotal: input.knownGood.requestCount,
          b: armTest.events(input.current),
          bTotal: input.current.requestCount,
        }
      : exceedances(armTest.sketch(input.knownGood), armTest.sketch(input.current));
  if (table === null || table.aTotal < input.minRequests || table.bTotal < input.minRequests) return base;
  const pValue = fisherExactTwoSided(table);
  const knownGoodShare = table.a / table.aTotal;
  const currentShare = table.b / table.bTotal;
  const worse =
    pValue > alpha || knownGoodShare === currentShare ? null : knownGoodShare > currentShare ? "KNOWN_GOOD" : "CURRENT";
  return { ...base, pValue, worse };
}

/**
 * Compared by ratio (cost): an arm is worse when its mean is at least RATIO_MARGIN above the other's and above
 * the policy's limit. Without per-request variance a smaller difference cannot be told from noise, and a
 * difference within the limit is not worth moving traffic for.
 */
function ratioWorse(knownGood: number, current: number, limit: number): ArmName | null {
  if (knownGood >= current * (1 + RATIO_MARGIN) && knownGood > limit) return "KNOWN_GOOD";
  if (current >= knownGood * (1 + RATIO_MARGIN) && current > limit) return "CURRENT";
  return null;
}

function describe(comparisons: readonly SloComparison[], worse: ArmName): string {
  return comparisons
    .map(({ slo, knownGood, current, pValue }) => {
      const [bad, good] = worse === "KNOWN_GOOD" ? [knownGood, current] : [current, knownGood];
      const p =
        pValue === null ? `more than ${RATIO_MARGIN * 100}% higher and over the limit` : `p = ${formatP(pValue)}`;
      return `${sloDefinition(slo).label} ${formatSloValue(slo, bad)} against ${formatSloValue(slo, good)} (${p})`;
    })
    .join(", ");
}

function formatP(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : p.toPrecision(2);
}

export interface WindowGateInput extends Omit<StepGateInput, "knownGood" | "current"> {
  /** The target's traffic over the interval before the step was taken. */
  before: MetricTotals;
  /** The target's traffic since the step began (after the config pickup grace). */
  since: MetricTotals;
  /** Why there are no arms, opening the explanation (default: a rollback whose sender reports no versions). */
  why?: string;
}

/**
 * The fallback when the sender reports no snapshot versions: the target's whole traffic since the step began
 * against the interval before it, with the same tests, minimum sample and levels. A window worse than the one
 * before FAST_FORWARDs (the incident deepening under the old configuration, as the step rule always assumed);
 * a better one ADVANCEs. It never ABORTs: time windows mix both arms, so they cannot tell a bad known-good
 * snapshot from a worsening incident. In its comparisons `knownGood` holds the reading before the step and
 * `current` the reading since; only `worse: "CURRENT"` (worse since the step) is kept.
 */
export function windowStepGate({ before, since, why, ...input }: WindowGateInput): StepCheck {
  const check = stepGate({ ...input, knownGood: before, current: since });
  const comparisons = check.comparisons.map((c) => ({ ...c, worse: c.worse === "CURRENT" ? c.worse : null }));
  const counts = `${since.requestCount} requests since the step began, ${before.requestCount} in the interval before it`;
  const note = `${why ?? "No snapshot versions reported"}: compared time windows, not arms`;
  if (check.outcome === "HOLD") {
    return {
      ...check,
      comparisons,
      explanation: `${note}. Not enough traffic to compare: ${counts}; each needs ${input.minRequests}`,
    };
  }
  if (check.outcome === "FAST_FORWARD") {
    const worse = comparisons.filter((c) => c.worse === "CURRENT");
    return {
      ...check,
      comparisons,
      explanation: `${note}. The target got worse since the step began: ${describe(worse, "CURRENT")}`,
    };
  }
  return {
    outcome: "ADVANCE",
    alpha: check.alpha,
    comparisons,
    explanation: `${note}. The target is not worse since the step began (${counts}, each test at ${formatP(check.alpha)})`,
  };
}

export interface FlagArms {
  flagKey: string;
  /** The requests the orchestrator reported with the flag on, since the step began (after the pickup grace). */
  on: MetricTotals;
  /** …and with the flag off, over the same time: the control arm. */
  off: MetricTotals;
}

export interface FlagArmsGateInput extends Omit<StepGateInput, "knownGood" | "current"> {
  /** One entry per flag the plan ramps; `looks` already counts every flag's looks (Bonferroni over both). */
  arms: readonly FlagArms[];
}

/**
 * A re-enablement plan's check over all its flags: the first flag whose on arm is worse decides (the plan
 * reverts), else the first thin one (it holds), else all advance.
 */
export function flagArmsGate({ arms, ...input }: FlagArmsGateInput): StepCheck {
  const checks = arms.map((arm) => flagArmGate({ ...input, ...arm }));
  const first = (outcome: StepOutcome) => checks.find((check) => check.outcome === outcome);
  const decisive = first("FAST_FORWARD") ?? first("HOLD");
  if (decisive || checks.length === 1) return decisive ?? (checks[0] as StepCheck);
  return {
    outcome: "ADVANCE",
    alpha: checks[0]?.alpha ?? input.significance,
    comparisons: checks.flatMap((check) => check.comparisons),
    explanation: checks.map((check) => check.explanation).join("; "),
  };
}

/**
 * A re-enablement step's check when the orchestrator reports `flags` per request: the flag-on arm against the
 * flag-off arm over the same time, with the same tests, minimum sample and levels as rollback arms — so an
 * incident that deepens for everyone is not blamed on the flag, as a time window would. Outcomes read like the
 * window gate's: FAST_FORWARD when the flag-on arm is significantly worse (the plan reverts), HOLD when an arm
 * is thin, ADVANCE otherwise — a flag-on arm that is better advances too. In its comparisons `knownGood` holds
 * the flag-off reading and `current` the flag-on one; only `worse: "CURRENT"` (worse with the flag on) is kept.
 */
function flagArmGate({
  flagKey,
  on,
  off,
  ...input
}: FlagArms & Omit<StepGateInput, "knownGood" | "current">): StepCheck {
  const check = stepGate({ ...input, knownGood: off, current: on });
  const comparisons = check.comparisons.map((c) => ({ ...c, worse: c.worse === "CURRENT" ? c.worse : null }));
  const counts = `${on.requestCount} requests with ${flagKey} on and ${off.requestCount} with it off`;
  if (check.outcome === "HOLD") {
    return {
      ...check,
      comparisons,
      explanation: `Not enough traffic to compare ${flagKey} on and off: ${counts}; each needs ${input.minRequests}`,
    };
  }
  const worse = comparisons.filter((c) => c.worse === "CURRENT");
  if (worse.length > 0) {
    return {
      ...check,
      outcome: "FAST_FORWARD",
      comparisons,
      explanation: `Requests with ${flagKey} on are worse than those with it off: ${describe(worse, "CURRENT")}`,
    };
  }
  return {
    ...check,
    outcome: "ADVANCE",
    comparisons,
    explanation: `Requests with ${flagKey} on are not worse than those with it off (${counts}, each test at ${formatP(check.alpha)})`,
  };
}
