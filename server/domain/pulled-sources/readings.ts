// From a pulled source's answers to a verdict: each value checked against what its reading means, the readings
// made into the evaluation window that `evaluate` judges (so the catalogue, the streak and the emergency
// multiplier apply as to stored buckets), and a failed pull made into INSUFFICIENT_DATA naming the failure.
import { evaluate, type EvaluationInput, type Verdict } from "../evaluation";
import type { WindowMetrics } from "../metrics";
import { noReadings, slos, type SloReadings } from "../slo";
import { metricSourceLabels, pulledKeyLabel, pulledKeys, type MetricSourceKind, type PulledKey } from "./config";

/** The window a pull reads: [from, to) in epoch ms; `sinceChange` when it was cut at a configuration change. */
export interface PullWindow {
  from: number;
  to: number;
  sinceChange: boolean;
}

export interface PulledReadings {
  requestCount: number;
  readings: SloReadings;
}

/** A failure the console and the verdict show as it is: what went wrong, never a secret. */
export class PullFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PullFailure";
  }
}

/** A network error names its cause (ECONNREFUSED, ENOTFOUND, a TLS failure), which fetch hides in `cause`. */
export function pullFailureOf(error: unknown): PullFailure {
  if (error instanceof PullFailure) return error;
  if (!(error instanceof Error)) return new PullFailure(String(error));
  const cause = error.cause instanceof Error ? error.cause : null;
  const code = cause && "code" in cause && typeof cause.code === "string" ? cause.code : null;
  const detail = code ?? cause?.message;
  return new PullFailure(detail && !error.message.includes(detail) ? `${error.message} (${detail})` : error.message);
}

/** Whole seconds of the window (what PromQL's `$window` and CloudWatch's period are made from). */
export function windowSeconds(window: Pick<PullWindow, "from" | "to">): number {
  return Math.max(0, Math.floor((window.to - window.from) / 1000));
}

const readingUnits = new Map(slos.map((slo) => [slo.reading as PulledKey, slo.unit]));

/**
 * The values a source answered, one per configured key (absent: not asked), as readings. NaN is "nothing to
 * judge" for an SLO (0/0 in a quiet window: no reading, as a window without latencies has none) but a failure
 * for the request count, which every verdict needs. Infinite or negative values, and an error rate above 1 (a
 * percentage sent as a fraction would judge 5% as 500%), are failures naming the reading.
 */
export function toPulledReadings(values: Partial<Record<PulledKey, number>>): PulledReadings {
  const readings: SloReadings = { ...noReadings };
  let requestCount: number | null = null;
  for (const key of pulledKeys) {
    const value = values[key];
    if (value === undefined) continue;
    const label = pulledKeyLabel(key);
    if (Number.isNaN(value)) {
      if (key === "requestCount") throw new PullFailure(`${label}: the query answered NaN`);
      continue;
    }
    if (!Number.isFinite(value))
      throw new PullFailure(
        `${label}: the query answered ${value > 0 ? "+Inf" : "-Inf"}` +
          (readingUnits.get(key) === "ms" ? " (a quantile beyond the histogram's highest finite bucket?)" : ""),
      );
    if (value < 0) throw new PullFailure(`${label}: the query answered ${value}, below 0`);
    if (key === "requestCount") {
      requestCount = Math.round(value);
      continue;
    }
    if (readingUnits.get(key) === "ratio" && value > 1)
      throw new PullFailure(
        `${label}: the query answered ${value}; it must be a fraction 0–1 (divide a percentage by 100)`,
      );
    readings[key] = value;
  }
  if (requestCount === null) throw new PullFailure("Request count: no query answered it");
  return { requestCount, readings };
}

/**
 * The readings as the window `evaluate` judges. Counts and sums that only buckets hold (tokens) are 0; the error
 * count and cost are what the readings imply, for pages that show them.
 */
export function pulledWindow(pulled: PulledReadings, window: Pick<PullWindow, "from" | "to">): WindowMetrics {
  const { requestCount, readings } = pulled;
  return {
    from: window.from,
    to: window.to,
    requestCount,
    errorCount: Math.round((readings.errorRate ?? 0) * requestCount),
    costMicros: Math.round((readings.costPerRequestUsd ?? 0) * requestCount * 1_000_000),
    inputTokens: 0,
    outputTokens: 0,
    ...readings,
  };
}

export type PullOutcome =
  | { kind: MetricSourceKind; window: PullWindow; readings: PulledReadings }
  | { kind: MetricSourceKind; window: PullWindow; error: string };

/**
 * A target's verdict from its pulled source: the readings judged by `evaluate` (no burn-rate pair: the source
 * answers one window), or INSUFFICIENT_DATA with the failure when the pull failed, which ends a streak as thin
 * data does and never starts a rollback. The explanation names the source.
 */
export function pulledVerdict(
  outcome: PullOutcome,
  input: Pick<EvaluationInput, "policy" | "recentVerdicts">,
): Verdict {
  const source = metricSourceLabels[outcome.kind];
  const seconds = (outcome.window.to - outcome.window.from) / 1000;
  if ("error" in outcome) {
    return {
      status: "INSUFFICIENT_DATA",
      observed: { windowSeconds: seconds, requestCount: 0, ...noReadings, pulledFrom: source },
      explanation: `Could not pull the readings from ${source}: ${outcome.error}`,
    };
  }
  const verdict = evaluate({
    ...input,
    window: pulledWindow(outcome.readings, outcome.window),
    scope: { sinceChange: outcome.window.sinceChange },
  });
  return {
    ...verdict,
    observed: { ...verdict.observed, pulledFrom: source },
    explanation: `${verdict.explanation} (pulled from ${source})`,
  };
}
