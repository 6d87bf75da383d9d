// The SLO catalogue: the one place that declares each SLO metric — its reading in a merged window, its
// threshold in the policy, its unit and formatting, how it is merged from buckets and how it is drawn.
// Evaluation, decisions, backtest, verdict text, evidence, charts, the policy editor and the policy in words
// iterate over `slos` instead of naming metrics. Adding a metric: docs/ARCHITECTURE.md ("Adding an SLO").
import { z } from "zod";
import type { LatencySketch } from "./sketch";

export const sloIds = ["ERROR_RATE", "P95_LATENCY", "COST_PER_REQUEST", "TTFT_P95"] as const;
export const sloSchema = z.enum(sloIds);
export type Slo = (typeof sloIds)[number];

/** What a merged window reads for each SLO; null when the window holds nothing to judge it on. */
export interface SloReadings {
  errorRate: number | null;
  p95Ms: number | null;
  costPerRequestUsd: number | null;
  ttftP95Ms: number | null;
}
export type SloReading = keyof SloReadings;

/**
 * The additive data of a bucket or window that the readings come from. `costMicros` is an integer:
 * Number.MAX_SAFE_INTEGER micros is about $9 billion, so sums stay exact. The TTFT sketch is empty when
 * nothing streamed. A metric that needs new raw data adds it here (and to storage: docs/ARCHITECTURE.md).
 */
export interface SloTotals {
  requestCount: number;
  errorCount: number;
  costMicros: number;
  latency: LatencySketch;
  ttft: LatencySketch;
}

export type SloUnit = "ratio" | "ms" | "usd";

function limit(label: string, max: number) {
  return z
    .number({ error: `${label} must be a number` })
    .gt(0, `${label} must be greater than 0`)
    .max(max, `${label} must be at most ${max.toLocaleString("en-US")}`);
}

/**
 * The policy's threshold fields, one per SLO (policySchema spreads this shape). A field without a default
 * is optional: unset, its SLO is not judged (a route that does not stream has no time to first token).
 */
export const sloThresholdShape = {
  maxErrorRate: z
    .number({ error: "Max error rate must be a number" })
    .gt(0, "Max error rate must be greater than 0")
    .max(1, "Max error rate is a fraction and must be at most 1 (100%)")
    .default(0.05),
  maxP95LatencyMs: limit("Max P95 latency", 10 * 60_000).default(8_000),
  maxCostPerRequestUsd: limit("Max cost per request", 100).default(0.05),
  maxTtftP95Ms: limit("Max P95 time to first token", 10 * 60_000).optional(),
};
export type SloThreshold = keyof typeof sloThresholdShape;

export interface SloDefinition {
  id: Slo;
  /** In sentences: "the P95 latency exceeds 8 s". */
  label: string;
  /** Headings, chart titles and table columns. */
  title: string;
  unit: SloUnit;
  /** The window reading judged (WindowMetrics, a verdict's `observed`, a chart point). */
  reading: SloReading;
  /** The policy field holding its limit. */
  threshold: SloThreshold;
  /** Every SLO today is an upper limit: a reading above the threshold violates it. */
  direction: "upper";
  /** How a window's reading comes from its buckets, in words (docs/METRICS.md)… */
  merge:
    | "errors ÷ requests"
    | "P95 of the merged latency sketches"
    | "cost sum ÷ requests"
    | "P95 of the merged TTFT sketches";
  /** …and in code: the reading of merged totals (a window, a chart step, an arm of a rollback). */
  read: (totals: SloTotals) => number | null;
  /** How a rollback step compares two arms of traffic on it (server/domain/step-gate.ts). */
  armTest: ArmTest;
  /** The `rewind_slo` label value of Alertmanager alerts that report it. */
  alertName: string;
  /** Its line on charts; breaches share the catalogue's `breachColors`. */
  color: string;
  /** Chart and table only show it when some traffic carried it (TTFT comes from streaming routes only). */
  shownWithoutData: boolean;
}

/**
 * `proportion`: Fisher's exact test on the arms' counts of `events` among their requests. `quantile`: Mood's
 * quantile test — the requests above the pooled P95 of both arms' `sketch`, then Fisher's exact test. `ratio`:
 * sums carry no variance, so the arms' means are compared by ratio against a margin, with no p-value.
 */
export type ArmTest =
  | { kind: "proportion"; events: (totals: SloTotals) => number }
  | { kind: "quantile"; sketch: (totals: SloTotals) => LatencySketch }
  | { kind: "ratio" };

const perRequest = (value: number, totals: SloTotals) => (totals.requestCount > 0 ? value / totals.requestCount : null);

export const slos: readonly SloDefinition[] = [
  {
    id: "ERROR_RATE",
    label: "error rate",
    title: "Error rate",
    unit: "ratio",
    reading: "errorRate",
    threshold: "maxErrorRate",
    direction: "upper",
    merge: "errors ÷ requests",
    read: (totals) => perRequest(totals.errorCount, totals),
    armTest: { kind: "proportion", events: (totals) => totals.errorCount },
    alertName: "error_rate",
    color: "#4f46e5",
    shownWithoutData: true,
  },
  {
    id: "P95_LATENCY",
    label: "P95 latency",
    title: "P95 latency",
    unit: "ms",
    reading: "p95Ms",
    threshold: "maxP95LatencyMs",
    direction: "upper",
    merge: "P95 of the merged latency sketches",
    read: (totals) => totals.latency.quantile(0.95),
    armTest: { kind: "quantile", sketch: (totals) => totals.latency },
    alertName: "p95_latency",
    color: "#0f766e",
    shownWithoutData: true,
  },
  {
    id: "COST_PER_REQUEST",
    label: "cost per request",
    title: "Cost per request",
    unit: "usd",
    reading: "costPerRequestUsd",
    threshold: "maxCostPerRequestUsd",
    direction: "upper",
    merge: "cost sum ÷ requests",
    read: (totals) => {
      const micros = perRequest(totals.costMicros, totals);
      return micros === null ? null : micros / 1_000_000;
    },
    armTest: { kind: "ratio" },
    alertName: "cost_per_request",
    color: "#7c3aed",
    shownWithoutData: true,
  },
  {
    id: "TTFT_P95",
    label: "P95 time to first token",
    title: "P95 time to first token",
    unit: "ms",
    reading: "ttftP95Ms",
    threshold: "maxTtftP95Ms",
    direction: "upper",
    merge: "P95 of the merged TTFT sketches",
    read: (totals) => totals.ttft.quantile(0.95),
    armTest: { kind: "quantile", sketch: (totals) => totals.ttft },
    alertName: "ttft_p95",
    color: "#b45309",
    shownWithoutData: false,
  },
];

/** Every SLO's reading of merged totals. */
export function readingsOf(totals: SloTotals): SloReadings {
  return Object.fromEntries(slos.map(({ reading, read }) => [reading, read(totals)])) as unknown as SloReadings;
}

/** Just the SLO readings of a window, verdict or point (e.g. to store a verdict's `observed`). */
export function pickReadings(source: SloReadings): SloReadings {
  return Object.fromEntries(slos.map(({ reading }) => [reading, source[reading]])) as unknown as SloReadings;
}

/**
 * The readings as a zod shape, for stored JSON that carries them (a verdict's `observed`, a step baseline):
 * a reading missing from rows stored before its SLO existed reads as null.
 */
export const sloReadingsShape = Object.fromEntries(
  slos.map(({ reading }) => [reading, z.number().nullable().default(null)]),
) as unknown as Record<SloReading, z.ZodDefault<z.ZodNullable<z.ZodNumber>>>;

/** A window with nothing to judge (an external verdict reads no metrics). */
export const noReadings: SloReadings = Object.fromEntries(
  slos.map(({ reading }) => [reading, null]),
) as unknown as SloReadings;

const byId = new Map(slos.map((slo) => [slo.id, slo]));

export function sloDefinition(id: Slo): SloDefinition {
  const definition = byId.get(id);
  if (!definition) throw new RangeError(`Unknown SLO ${id}`);
  return definition;
}

/** The SLO an Alertmanager `rewind_slo` label names, if any. */
export function sloByAlertName(name: string): SloDefinition | undefined {
  return slos.find((slo) => slo.alertName === name);
}

/** One colour per level of trouble, for shading and threshold lines on every chart. */
export const breachColors = { VIOLATION: "#f59e0b", BREACH: "#dc2626", EMERGENCY: "#7f1d1d" } as const;

/** The policy's limit for an SLO; null when the policy leaves it unset (the SLO is not judged). */
export function sloLimit(policy: Partial<Record<SloThreshold, number | undefined>>, slo: Slo): number | null {
  return policy[sloDefinition(slo).threshold] ?? null;
}

/** The SLOs a policy judges, with their limits, in catalogue order. */
export function judgedSlos(
  policy: Partial<Record<SloThreshold, number | undefined>>,
): { slo: SloDefinition; limit: number }[] {
  return slos.flatMap((slo) => {
    const value = policy[slo.threshold];
    return value === undefined ? [] : [{ slo, limit: value }];
  });
}

const MISSING = "—";
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumSignificantDigits: 3 });
const milliseconds = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const seconds = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 3 });
const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumSignificantDigits: 3 });

/**
 * The one formatter per unit, used by every page, chart, message, CSV and verdict text, so one figure reads
 * the same everywhere: "5.23%", "850 ms" / "19 s" (seconds from 1 s up, never both in one column), "$0.0123".
 */
export const unitFormats: Record<SloUnit, (value: number) => string> = {
  ratio: (value) => percent.format(value),
  ms: (value) =>
    Math.abs(Math.round(value)) < 1_000 ? `${milliseconds.format(value)} ms` : `${seconds.format(value / 1_000)} s`,
  usd: (value) => dollars.format(value),
};

export function formatUnit(unit: SloUnit, value: number | null | undefined): string {
  return value == null || Number.isNaN(value) ? MISSING : unitFormats[unit](value);
}

export function formatSloValue(slo: Slo, value: number | null | undefined): string {
  return formatUnit(sloDefinition(slo).unit, value);
}

/**
 * One formatter for a column (or any list read together) of figures of a unit: durations go to seconds for
 * every figure once one reaches 1 s, so "850 ms" and "17.9 s" never share a column ("0.85 s" and "17.9 s" do).
 */
export function columnFormat(
  unit: SloUnit,
  values: readonly (number | null | undefined)[],
): (value: number | null | undefined) => string {
  const inSeconds = unit === "ms" && values.some((value) => value != null && Math.abs(Math.round(value)) >= 1_000);
  if (!inSeconds) return (value) => formatUnit(unit, value);
  return (value) => (value == null || Number.isNaN(value) ? MISSING : `${seconds.format(value / 1_000)} s`);
}
