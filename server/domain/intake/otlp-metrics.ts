// OpenTelemetry metrics as Rewind reads them: the OTLP metrics data model (OTLP/JSON's camelCase shape, which the
// protobuf decoder produces too), the GenAI metrics (semantic conventions `gen_ai.*`) picked out of it, histograms
// turned into Rewind's latency sketch, cumulative points turned into deltas given the stream's previous point, and
// delta points folded into one window per target, bucket, provider, model and snapshot version.
// Rules and accuracy: docs/INTEGRATIONS.md ("OTLP metrics").
import { z } from "zod";
import { bucketStart } from "../metrics";
import { LatencySketch, SKETCH_RELATIVE_ACCURACY } from "../sketch";
import {
  attributesSchema,
  GENAI_ATTRIBUTES,
  NOT_MODEL_CALLS,
  unixNanoSchema,
  type AttributeValue,
  type Attributes,
} from "./genai-spans";
import { wholeNumberOf, type IntakeWindow, type MappedBatch, type RefusedItem } from "./intake-items";

/** What Rewind takes from each metric it reads. */
export type MetricRole = "duration" | "ttft" | "tokens" | "cost";

/** The metrics read, by name: the GenAI semantic conventions', and OpenLIT's cost (no convention has one). */
export const GENAI_METRICS: Readonly<Record<string, MetricRole>> = {
  "gen_ai.client.operation.duration": "duration",
  "gen_ai.client.operation.time_to_first_chunk": "ttft",
  "gen_ai.server.time_to_first_token": "ttft",
  "gen_ai.client.token.usage": "tokens",
  "gen_ai.usage.cost": "cost",
};

/** A histogram point's buckets as Rewind keeps them (and stores a cumulative stream's last point). */
export type PointValue =
  | {
      kind: "explicit";
      count: number;
      sum: number | null;
      /** Upper bounds, ascending; bucket i holds (bounds[i−1], bounds[i]], the last one (bounds[n−1], +∞). */
      bounds: number[];
      bucketCounts: number[];
      min: number | null;
      max: number | null;
    }
  | {
      kind: "exponential";
      count: number;
      sum: number | null;
      /** Bucket `offset + i` holds (base^(offset+i), base^(offset+i+1)], base = 2^(2^−scale). */
      scale: number;
      zeroCount: number;
      zeroThreshold: number;
      offset: number;
      bucketCounts: number[];
      min: number | null;
      max: number | null;
    }
  | { kind: "number"; value: number };

export type Temporality = "delta" | "cumulative";

/** One data point of a metric Rewind reads, checked and in Rewind's terms. */
export interface MetricPoint {
  /** `resourceMetrics.0.scopeMetrics.1.metrics.2.histogram.dataPoints.3` */
  path: string;
  role: MetricRole;
  temporality: Temporality;
  /** Resource attributes, scope, metric name and point attributes: the stream a cumulative point continues. */
  stream: string;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  attributes: Attributes;
  resourceAttributes: Attributes;
  resourcePath: string;
  /** Values in the metric's unit, times this, are Rewind's: ms for durations, tokens, USD. */
  unitFactor: number;
  value: PointValue;
}

/** A request read: the points of the metrics Rewind reads, those refused, and how many points it does not read. */
export interface MetricPoints {
  points: MetricPoint[];
  refused: RefusedItem[];
  ignored: number;
}

const list = <T extends z.ZodType>(item: T, label: string) =>
  z
    .array(item, { error: `${label} must be a list` })
    .nullish()
    .transform((items) => items ?? []);

/**
 * `ExportMetricsServiceRequest` down to each metric's name, unit and data, which `readMetricPoints` checks point by
 * point (so one bad point is refused, not the request). Unknown fields are ignored, as the spec asks of receivers.
 */
export const exportMetricsRequestSchema = z.object({
  resourceMetrics: list(
    z.object({
      resource: z.object({ attributes: attributesSchema }).nullish(),
      scopeMetrics: list(
        z.object({
          scope: z
            .object({ name: z.string().nullish(), version: z.string().nullish() })
            .nullish()
            .transform((scope) => ({ name: scope?.name ?? "", version: scope?.version ?? "" })),
          metrics: list(
            z.object({
              name: z
                .string()
                .nullish()
                .transform((name) => name ?? ""),
              unit: z
                .string()
                .nullish()
                .transform((unit) => unit ?? ""),
              gauge: z.object({ dataPoints: list(z.unknown(), "Data points") }).nullish(),
              sum: z
                .object({ dataPoints: list(z.unknown(), "Data points"), aggregationTemporality: z.unknown() })
                .nullish(),
              histogram: z
                .object({ dataPoints: list(z.unknown(), "Data points"), aggregationTemporality: z.unknown() })
                .nullish(),
              exponentialHistogram: z
                .object({ dataPoints: list(z.unknown(), "Data points"), aggregationTemporality: z.unknown() })
                .nullish(),
              summary: z.object({ dataPoints: list(z.unknown(), "Data points") }).nullish(),
            }),
            "Metrics",
          ),
        }),
        "Scope metrics",
      ),
    }),
    "Resource metrics",
  ),
});
export type ExportMetricsRequest = z.infer<typeof exportMetricsRequestSchema>;

/** uint64/fixed64 counts: decimal text (OTLP/JSON, the protobuf decoder) or numbers, exact up to 2^53. */
const countSchema = z
  .union([z.string().regex(/^\d{1,16}$/, "Must be a whole number"), z.number().int().nonnegative()], {
    error: "Must be a whole number",
  })
  .transform(Number)
  .refine(Number.isSafeInteger, "Too large to count exactly")
  .nullish()
  .transform((count) => count ?? 0);

/** doubles: numbers, or the text proto3 JSON allows ("1.5", "NaN", "Infinity"). */
const doubleSchema = z.union([z.number(), z.string().transform(Number)], { error: "Must be a number" });

/** Optional doubles; NaN and infinities (which proto3 JSON can spell) read as absent. */
const optionalDouble = doubleSchema
  .nullish()
  .transform((value) => (value !== null && value !== undefined && Number.isFinite(value) ? value : null));

const pointTimes = {
  startTimeUnixNano: unixNanoSchema,
  timeUnixNano: unixNanoSchema,
  attributes: attributesSchema,
  flags: z.number().int().nullish(),
};

const histogramPointSchema = z.object({
  ...pointTimes,
  count: countSchema,
  sum: optionalDouble,
  bucketCounts: list(countSchema, "Bucket counts"),
  explicitBounds: list(doubleSchema, "Explicit bounds"),
  min: optionalDouble,
  max: optionalDouble,
});

const bucketsSchema = z
  .object({
    offset: z
      .number()
      .int()
      .nullish()
      .transform((offset) => offset ?? 0),
    bucketCounts: list(countSchema, "Bucket counts"),
  })
  .nullish()
  .transform((buckets) => buckets ?? { offset: 0, bucketCounts: [] });

const exponentialPointSchema = z.object({
  ...pointTimes,
  count: countSchema,
  sum: optionalDouble,
  scale: z
    .number()
    .int()
    .min(-10, "Scale must be within [-10, 20]")
    .max(20, "Scale must be within [-10, 20]")
    .nullish()
    .transform((scale) => scale ?? 0),
  zeroCount: countSchema,
  zeroThreshold: optionalDouble,
  positive: bucketsSchema,
  negative: bucketsSchema,
  min: optionalDouble,
  max: optionalDouble,
});

const numberPointSchema = z.object({
  ...pointTimes,
  asDouble: optionalDouble,
  asInt: z
    .union([z.string().regex(/^-?\d{1,16}$/), z.number().int()], { error: "Must be a whole number" })
    .transform(Number)
    .nullish(),
});

/** DataPointFlags.FLAG_NO_RECORDED_VALUE: a staleness marker, nothing measured. */
const NO_RECORDED_VALUE = 1;

const TEMPORALITY = new Map<unknown, Temporality>([
  [1, "delta"],
  [2, "cumulative"],
  ["AGGREGATION_TEMPORALITY_DELTA", "delta"],
  ["AGGREGATION_TEMPORALITY_CUMULATIVE", "cumulative"],
]);

/** Durations in seconds (the conventions' unit; also when the unit is left out) or milliseconds. */
const DURATION_UNITS = new Map([
  ["s", 1000],
  ["", 1000],
  ["ms", 1],
]);
const COST_UNITS = new Set(["usd", "{usd}", ""]);

function unitFactorOf(role: MetricRole, unit: string): number | string {
  if (role === "duration" || role === "ttft") {
    return DURATION_UNITS.get(unit) ?? `Unit ${unit} is not a duration Rewind reads: send s (the conventions') or ms`;
  }
  if (role === "cost" && !COST_UNITS.has(unit.toLowerCase())) return `Cost in ${unit}: Rewind reads USD`;
  return 1;
}

const sumOf = (counts: readonly number[]) => counts.reduce((total, count) => total + count, 0);

/** The point's buckets and counts checked against each other: what a histogram must hold to be read at all. */
function explicitValue(raw: z.infer<typeof histogramPointSchema>, role: MetricRole): PointValue | string {
  const { count, bucketCounts, explicitBounds: bounds } = raw;
  if (bounds.some((bound, i) => !Number.isFinite(bound) || (i > 0 && bound <= (bounds[i - 1] ?? bound)))) {
    return "explicitBounds must be finite and strictly ascending";
  }
  if (bucketCounts.length > 0 && bucketCounts.length !== bounds.length + 1) {
    return `bucketCounts has ${bucketCounts.length} buckets for ${bounds.length} bounds (must be one more)`;
  }
  if (bucketCounts.length > 0 && sumOf(bucketCounts) !== count) {
    return `bucketCounts sum to ${sumOf(bucketCounts)}, not the point's count ${count}`;
  }
  if ((role === "duration" || role === "ttft") && bucketCounts.length === 0 && count > 0) {
    return "A latency histogram needs its buckets";
  }
  return { kind: "explicit", count, sum: raw.sum, bounds, bucketCounts, min: raw.min, max: raw.max };
}

function exponentialValue(raw: z.infer<typeof exponentialPointSchema>): PointValue | string {
  const positive = sumOf(raw.positive.bucketCounts);
  const negative = sumOf(raw.negative.bucketCounts);
  if (positive + negative + raw.zeroCount !== raw.count) {
    return `Buckets and zeroCount hold ${positive + negative + raw.zeroCount} values, not the point's count ${raw.count}`;
  }
  if (negative > 0) return "Negative values: a duration, token count or cost is never negative";
  return {
    kind: "exponential",
    count: raw.count,
    sum: raw.sum,
    scale: raw.scale,
    zeroCount: raw.zeroCount,
    zeroThreshold: raw.zeroThreshold ?? 0,
    offset: raw.positive.offset,
    bucketCounts: raw.positive.bucketCounts,
    min: raw.min,
    max: raw.max,
  };
}

/** Stream identity: equal exactly when the points are of one stream (same resource, scope, metric, attributes). */
function streamOf(resource: Attributes, scope: { name: string; version: string }, metric: string, point: Attributes) {
  const sorted = (attributes: Attributes) => [...attributes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([sorted(resource), scope.name, scope.version, metric, sorted(point)]);
}

function firstPresent(
  attributes: Attributes,
  names: readonly string[],
): { name: string; value: AttributeValue } | null {
  for (const name of names) {
    const value = attributes.get(name);
    if (value !== undefined && value !== null && value !== "") return { name, value };
  }
  return null;
}

type MetricData = ExportMetricsRequest["resourceMetrics"][number]["scopeMetrics"][number]["metrics"][number];

function readMetric(
  metric: MetricData,
  role: MetricRole,
  at: { path: string; resource: Attributes; resourcePath: string; scope: { name: string; version: string } },
  out: MetricPoints,
): void {
  const kind = metric.histogram
    ? "histogram"
    : metric.exponentialHistogram
      ? "exponentialHistogram"
      : metric.sum
        ? "sum"
        : metric.gauge
          ? "gauge"
          : metric.summary
            ? "summary"
            : null;
  if (kind === null) return;
  const data = metric[kind];
  const dataPoints = data?.dataPoints ?? [];
  const readable = kind === "histogram" || kind === "exponentialHistogram" || (kind === "sum" && role === "cost");
  if (!readable) {
    const reason = `${metric.name} as a ${kind}: Rewind reads it as a histogram${role === "cost" ? " or a sum" : ""}`;
    dataPoints.forEach((_, i) => out.refused.push({ path: `${at.path}.${kind}.dataPoints.${i}`, reason }));
    return;
  }
  const temporality = TEMPORALITY.get(data && "aggregationTemporality" in data ? data.aggregationTemporality : null);
  const unitFactor = unitFactorOf(role, metric.unit);
  dataPoints.forEach((rawPoint, i) => {
    const path = `${at.path}.${kind}.dataPoints.${i}`;
    const refuse = (reason: string, field?: string) =>
      out.refused.push({ path: field ? `${path}.${field}` : path, reason });
    if (temporality === undefined) return refuse("aggregationTemporality must be DELTA (1) or CUMULATIVE (2)");
    if (typeof unitFactor === "string") return refuse(unitFactor);
    const schema =
      kind === "histogram"
        ? histogramPointSchema
        : kind === "exponentialHistogram"
          ? exponentialPointSchema
          : numberPointSchema;
    const parsed = schema.safeParse(rawPoint);
    if (!parsed.success) {
      const [issue] = parsed.error.issues;
      return refuse(issue?.message ?? "Invalid", issue?.path.join("."));
    }
    const point = parsed.data;
    if (((point.flags ?? 0) & NO_RECORDED_VALUE) !== 0) {
      out.ignored++;
      return;
    }
    const operation = point.attributes.get("gen_ai.operation.name");
    const tokenType = point.attributes.get("gen_ai.token.type");
    if (typeof operation === "string" && NOT_MODEL_CALLS.has(operation)) {
      out.ignored++;
      return;
    }
    if (role === "tokens" && tokenType !== "input" && tokenType !== "output") {
      // Other token types (cached, reasoning…) are parts of these two, or none Rewind keeps.
      if (tokenType !== undefined && tokenType !== null) {
        out.ignored++;
        return;
      }
      return refuse("A token usage point needs gen_ai.token.type input or output", "attributes");
    }
    if (point.timeUnixNano === 0n) return refuse("A data point needs its time", "timeUnixNano");
    if (temporality === "cumulative" && point.startTimeUnixNano === 0n) {
      return refuse("A cumulative point needs its start time", "startTimeUnixNano");
    }
    let value: PointValue | string;
    if ("explicitBounds" in point) value = explicitValue(point, role);
    else if ("scale" in point) value = exponentialValue(point);
    else {
      const number = point.asDouble ?? point.asInt ?? null;
      value =
        number === null || !Number.isFinite(number) || number < 0
          ? "A cost must be a finite, non-negative number (asDouble or asInt)"
          : { kind: "number", value: number };
    }
    if (typeof value === "string") return refuse(value);
    if (value.kind !== "number" && (role === "tokens" || role === "cost") && value.count > 0) {
      if (value.sum === null || !Number.isFinite(value.sum) || value.sum < 0) {
        return refuse(`A ${role === "cost" ? "cost" : "token usage"} histogram needs a non-negative sum`, "sum");
      }
    }
    out.points.push({
      path,
      role,
      temporality,
      stream: streamOf(at.resource, at.scope, metric.name, point.attributes),
      startTimeUnixNano: point.startTimeUnixNano,
      timeUnixNano: point.timeUnixNano,
      attributes: point.attributes,
      resourceAttributes: at.resource,
      resourcePath: at.resourcePath,
      unitFactor,
      value,
    });
  });
}

/**
 * The data points of the GenAI metrics in a request (`GENAI_METRICS`), each checked: a histogram whose buckets do
 * not add up to its count, a latency unit Rewind does not know, negative values, a token point without its type, a
 * metric of the wrong kind, are refused by path. Points of other metrics, staleness markers, and agent or tool
 * operations are counted as ignored.
 */
export function readMetricPoints(request: ExportMetricsRequest): MetricPoints {
  const out: MetricPoints = { points: [], refused: [], ignored: 0 };
  request.resourceMetrics.forEach((resourceMetric, r) => {
    const resource = resourceMetric.resource?.attributes ?? new Map<string, AttributeValue>();
    resourceMetric.scopeMetrics.forEach((scopeMetric, s) => {
      scopeMetric.metrics.forEach((metric, m) => {
        const role = GENAI_METRICS[metric.name];
        const at = {
          path: `resourceMetrics.${r}.scopeMetrics.${s}.metrics.${m}`,
          resource,
          resourcePath: `resourceMetrics.${r}.resource`,
          scope: scopeMetric.scope,
        };
        if (role) readMetric(metric, role, at, out);
        else {
          const data = metric.histogram ?? metric.exponentialHistogram ?? metric.sum ?? metric.gauge ?? metric.summary;
          out.ignored += data?.dataPoints.length ?? 0;
        }
      });
    });
  });
  return out;
}

// ---- Histograms → latency sketch --------------------------------------------------------------------------------

/** Spread positions per explicit bucket at most: finer than this changes a quantile by < 1% of the bucket. */
const MAX_SPREAD_POSITIONS = 100;

/**
 * `count` values spread evenly over (lower, upper] (positions lower + (upper − lower)(j − ½)/count), as linear
 * interpolation inside a bucket reads them; past MAX_SPREAD_POSITIONS values, that many positions share the weight.
 */
function addSpread(sketch: LatencySketch, lower: number, upper: number, count: number): void {
  if (count === 0) return;
  if (!(upper > lower)) {
    sketch.add(Math.max(0, lower), count);
    return;
  }
  const positions = Math.min(count, MAX_SPREAD_POSITIONS);
  for (let j = 1; j <= positions; j++) {
    const weight = Math.floor((j * count) / positions) - Math.floor(((j - 1) * count) / positions);
    if (weight > 0) sketch.add(lower + ((upper - lower) * (j - 0.5)) / positions, weight);
  }
}

/**
 * An explicit-bucket histogram as a sketch of ms (`factor` converts the metric's unit). Each bucket's values are
 * spread evenly over its range (one value: the midpoint), narrowed to the point's min and max where sent; the first
 * bucket starts at 0 (durations are not negative), and the open last bucket ends at max, or without max its values
 * sit at its lower bound (all that is known of them).
 */
export function explicitToSketch(value: Extract<PointValue, { kind: "explicit" }>, factor: number): LatencySketch {
  const sketch = LatencySketch.empty();
  const min = value.min !== null && Number.isFinite(value.min) ? Math.max(0, value.min * factor) : 0;
  const max = value.max !== null && Number.isFinite(value.max) ? value.max * factor : null;
  value.bucketCounts.forEach((count, i) => {
    const bucketLower = i === 0 ? 0 : (value.bounds[i - 1] ?? 0) * factor;
    const bucketUpper = i < value.bounds.length ? (value.bounds[i] ?? 0) * factor : (max ?? bucketLower);
    let lower = Math.max(0, bucketLower, min);
    let upper = max === null ? bucketUpper : Math.min(bucketUpper, max);
    // min and max that contradict the buckets are not trusted.
    if (upper < lower) [lower, upper] = [Math.max(0, bucketLower), Math.max(0, bucketUpper)];
    addSpread(sketch, lower, upper, count);
  });
  return sketch;
}

/**
 * An exponential histogram as a sketch of ms. Each bucket (L, U] goes whole to 2LU/(L + U), the value closest in
 * relative terms to all of the bucket's (within (b − 1)/(b + 1), b = 2^(2^−scale)), kept within the point's min
 * and max; the zero bucket at half its threshold (0 when exact zeros).
 */
export function exponentialToSketch(
  value: Extract<PointValue, { kind: "exponential" }>,
  factor: number,
): LatencySketch {
  const sketch = LatencySketch.empty();
  if (value.zeroCount > 0) sketch.add((value.zeroThreshold * factor) / 2, value.zeroCount);
  const step = 2 ** -value.scale;
  const min = value.min !== null && Number.isFinite(value.min) ? value.min * factor : 0;
  const max = value.max !== null && Number.isFinite(value.max) ? value.max * factor : Infinity;
  value.bucketCounts.forEach((count, i) => {
    if (count === 0) return;
    const index = value.offset + i;
    const lower = 2 ** (index * step) * factor;
    const upper = 2 ** ((index + 1) * step) * factor;
    const representative = (2 * lower * upper) / (lower + upper);
    sketch.add(min <= max ? Math.min(Math.max(representative, min), max) : representative, count);
  });
  return sketch;
}

/**
 * The worst relative error of a quantile read from a sketch built by `exponentialToSketch` at `scale`: the bucket's
 * (b − 1)/(b + 1) compounded with the sketch's own.
 */
export function exponentialSketchAccuracy(scale: number): number {
  const base = 2 ** (2 ** -scale);
  return (1 + (base - 1) / (base + 1)) * (1 + SKETCH_RELATIVE_ACCURACY) - 1;
}

export function pointToSketch(value: PointValue, factor: number): LatencySketch {
  if (value.kind === "explicit") return explicitToSketch(value, factor);
  if (value.kind === "exponential") return exponentialToSketch(value, factor);
  return LatencySketch.empty();
}

// ---- Cumulative → delta -----------------------------------------------------------------------------------------

/** A cumulative stream's last point, as stored. */
export interface StreamState {
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  value: PointValue;
}

/**
 * A point that is not the continuation of a stream Rewind knows (its first point, a new start time, counts that went
 * down) is taken whole when it covers at most this long, as a delta exporter would have sent it; a longer one is
 * kept as the baseline only, so a stream first seen after hours does not pour those hours into one bucket.
 */
export const FIRST_POINT_MAX_SPAN_NS = 5n * 60n * 1_000_000_000n;

export type CumulativeStep =
  { kind: "delta"; value: PointValue } | { kind: "baseline" } | { kind: "stale"; reason: string };

/** `current − previous`, or null when `current` cannot be `previous` plus increments (a reset). */
function subtract(current: PointValue, previous: PointValue): PointValue | null {
  const sum = (a: number | null, b: number | null) => (a === null || b === null ? a : a - b);
  if (current.kind === "number" && previous.kind === "number") {
    return current.value >= previous.value ? { kind: "number", value: current.value - previous.value } : null;
  }
  if (current.kind === "explicit" && previous.kind === "explicit") {
    if (
      current.bounds.length !== previous.bounds.length ||
      current.bounds.some((bound, i) => bound !== previous.bounds[i]) ||
      (previous.bucketCounts.length > 0 && current.bucketCounts.length !== previous.bucketCounts.length)
    ) {
      return null;
    }
    const bucketCounts = current.bucketCounts.map((count, i) => count - (previous.bucketCounts[i] ?? 0));
    const count = current.count - previous.count;
    if (count < 0 || bucketCounts.some((c) => c < 0)) return null;
    return { ...current, count, bucketCounts, sum: sum(current.sum, previous.sum) };
  }
  if (current.kind === "exponential" && previous.kind === "exponential") {
    // An SDK lowers a cumulative stream's scale as its range grows: the previous buckets merge into the current's.
    if (current.scale > previous.scale) return null;
    const shift = previous.scale - current.scale;
    const counts = new Map<number, number>();
    previous.bucketCounts.forEach((count, i) => {
      const index = Math.floor((previous.offset + i) / 2 ** shift);
      counts.set(index, (counts.get(index) ?? 0) + count);
    });
    const bucketCounts = current.bucketCounts.map((count, i) => count - (counts.get(current.offset + i) ?? 0));
    const covered = sumOf(current.bucketCounts.map((_, i) => counts.get(current.offset + i) ?? 0));
    const zeroCount = current.zeroCount - previous.zeroCount;
    const count = current.count - previous.count;
    // Every previous value must lie in a current bucket (or the zero bucket) for the difference to mean anything.
    if (count < 0 || zeroCount < 0 || bucketCounts.some((c) => c < 0) || covered !== sumOf(previous.bucketCounts)) {
      return null;
    }
    return { ...current, count, zeroCount, bucketCounts, sum: sum(current.sum, previous.sum) };
  }
  return null;
}

/**
 * What a cumulative point adds, given its stream's previous point (null: a stream Rewind does not know). A point
 * not newer than the previous one is stale (a duplicate or out of order: refused, counted once already); one with
 * the same start time is the difference; anything else (see FIRST_POINT_MAX_SPAN_NS) is taken whole or kept as
 * the baseline only.
 */
export function cumulativeToDelta(
  previous: StreamState | null,
  current: Pick<MetricPoint, "startTimeUnixNano" | "timeUnixNano" | "value">,
): CumulativeStep {
  if (previous && current.timeUnixNano <= previous.timeUnixNano) {
    return {
      kind: "stale",
      reason: `Not newer than the stream's last point (${previous.timeUnixNano} ns): a duplicate or out of order, already counted`,
    };
  }
  if (previous && current.startTimeUnixNano === previous.startTimeUnixNano) {
    const delta = subtract(current.value, previous.value);
    if (delta) return { kind: "delta", value: delta };
  }
  return current.timeUnixNano - current.startTimeUnixNano <= FIRST_POINT_MAX_SPAN_NS
    ? { kind: "delta", value: current.value }
    : { kind: "baseline" };
}

// ---- Delta points → windows -------------------------------------------------------------------------------------

const NANOS_PER_MS = 1_000_000n;

interface Group {
  target: string | null;
  start: number;
  provider: string | undefined;
  model: string | undefined;
  snapshotVersion: unknown;
  snapshotVersionSource: string | undefined;
  points: MetricPoint[];
}

function countOf(value: PointValue): number {
  return value.kind === "number" ? 0 : value.count;
}

/** Sum of a histogram, value of a sum, in Rewind's unit. */
function totalOf(point: MetricPoint): number {
  const total = point.value.kind === "number" ? point.value.value : (point.value.sum ?? 0);
  return total * point.unitFactor;
}

function windowOf(group: Group, refused: RefusedItem[]): IntakeWindow | null {
  let latency = LatencySketch.empty();
  let ttft = LatencySketch.empty();
  const window = { requestCount: 0, errorCount: 0, costUsd: 0, inputTokens: 0, outputTokens: 0 };
  const sources: IntakeWindow["sources"] = { start: `${group.points[0]?.path ?? ""}.timeUnixNano` };
  const ttftPoints: MetricPoint[] = [];
  let used = 0;
  for (const point of group.points) {
    if (point.role === "duration") {
      const count = countOf(point.value);
      window.requestCount += count;
      if (firstPresent(point.attributes, GENAI_ATTRIBUTES.errorType)) window.errorCount += count;
      latency = LatencySketch.merge([latency, pointToSketch(point.value, point.unitFactor)]);
      sources.requestCount ??= point.path;
      sources.sketch ??= point.path;
      used++;
    } else if (point.role === "ttft") {
      ttftPoints.push(point);
    } else if (point.role === "tokens") {
      const field = point.attributes.get("gen_ai.token.type") === "input" ? "inputTokens" : "outputTokens";
      window[field] += Math.round(totalOf(point));
      sources[field] ??= `${point.path}.sum`;
      used++;
    } else {
      window.costUsd += totalOf(point);
      sources.costUsd ??= point.path;
      used++;
    }
  }
  const ttftCount = ttftPoints.reduce((total, point) => total + countOf(point.value), 0);
  if (ttftCount > window.requestCount) {
    // A bucket's TTFT values are some of its requests' (the SLO reads them so): without those requests they cannot
    // be stored.
    const reason = `${ttftCount} times to first token but ${window.requestCount} requests (gen_ai.client.operation.duration) in this bucket for this target, provider and model: send both metrics`;
    for (const point of ttftPoints) refused.push({ path: point.path, reason });
  } else if (ttftPoints.length > 0) {
    ttft = LatencySketch.merge(ttftPoints.map((point) => pointToSketch(point.value, point.unitFactor)));
    sources.ttftSketch = ttftPoints[0]?.path;
    used += ttftPoints.length;
  }
  if (used === 0) return null;
  return {
    path: group.points[0]?.path ?? "",
    target: group.target,
    points: used,
    sources: { ...sources, ...(group.snapshotVersionSource && { snapshotVersion: group.snapshotVersionSource }) },
    window: {
      start: group.start,
      ...(group.provider !== undefined && { provider: group.provider }),
      ...(group.model !== undefined && { model: group.model }),
      ...window,
      sketch: latency.toData(),
      ...(ttft.count > 0 && { ttftSketch: ttft.toData() }),
      ...(group.snapshotVersion !== undefined && { snapshotVersion: group.snapshotVersion }),
    },
  };
}

/**
 * Delta points as windows (checked later as /ingest checks windows): one per target, bucket, provider, model and
 * snapshot version. A point falls in the bucket of its end time (`timeUnixNano`), however long it spans. Requests
 * and the latency sketch come from the duration histogram (its points with `error.type` are failed requests), TTFT
 * from the TTFT histograms, tokens from the token usage histogram's sums per `gen_ai.token.type`, cost from the
 * cost metric's sum. Provider, model, target and snapshot version are read as from spans (`GENAI_ATTRIBUTES`),
 * target and snapshot version from the point, else its resource.
 */
export function mapMetricPoints(
  read: MetricPoints,
  options: { bucketWidthMs: number },
): MappedBatch & { windows: IntakeWindow[] } {
  const refused = [...read.refused];
  const groups = new Map<string, Group>();
  for (const point of read.points) {
    if (point.role !== "cost" && countOf(point.value) === 0) continue;
    if (point.role === "cost" && totalOf(point) === 0) continue;
    const own = (names: readonly string[]) => firstPresent(point.attributes, names);
    const rewind = (names: readonly string[]) => {
      const found = own(names);
      if (found) return { ...found, source: `${point.path}.attributes.${found.name}` };
      const inResource = firstPresent(point.resourceAttributes, names);
      return inResource && { ...inResource, source: `${point.resourcePath}.attributes.${inResource.name}` };
    };
    const target = rewind(GENAI_ATTRIBUTES.target);
    if (target && typeof target.value !== "string") {
      refused.push({ path: target.source, reason: "rewind.target must be a target's slug (text)" });
      continue;
    }
    const version = rewind(GENAI_ATTRIBUTES.snapshotVersion);
    const provider = own(GENAI_ATTRIBUTES.provider)?.value;
    const model = own(GENAI_ATTRIBUTES.model)?.value;
    const group: Group = {
      target: target ? String(target.value).trim() : null,
      start: bucketStart(Number(point.timeUnixNano / NANOS_PER_MS), options.bucketWidthMs),
      provider: provider === undefined ? undefined : String(provider),
      model: model === undefined ? undefined : String(model),
      snapshotVersion: version ? wholeNumberOf(version.value) : undefined,
      snapshotVersionSource: version?.source,
      points: [],
    };
    const key = JSON.stringify([group.target, group.start, group.provider, group.model, group.snapshotVersion]);
    const existing = groups.get(key);
    if (existing) existing.points.push(point);
    else groups.set(key, { ...group, points: [point] });
  }
  const windows: IntakeWindow[] = [];
  for (const group of groups.values()) {
    const window = windowOf(group, refused);
    if (window) windows.push(window);
  }
  return { items: [], windows, refused, ignored: read.ignored };
}
