// OpenTelemetry metrics as Rewind reads them: the OTLP metrics data model (OTLP/JSON's camelCase shape, which the
// protobuf decoder produces too) and the GenAI metrics (semantic conventions `gen_ai.*`) picked out of it. Then:
// otlp-histograms.ts (histograms → latency sketch), otlp-temporality.ts (cumulative → delta) and otlp-windows.ts
// (delta points → one window per target, bucket, provider, model and snapshot version).
// Rules and accuracy: docs/INTEGRATIONS.md ("OTLP metrics").
import { z } from "zod";
import { attributesSchema, NOT_MODEL_CALLS, unixNanoSchema, type AttributeValue, type Attributes } from "./genai-spans";
import type { RefusedItem } from "./intake-items";

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

export const sumOf = (counts: readonly number[]) => counts.reduce((total, count) => total + count, 0);

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

export function firstPresent(
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
