// Metric buckets: per-request events folded into fixed-width time buckets, and buckets merged into windows.
// Times are epoch milliseconds; money is integer micro-dollars so sums never accumulate float error.
import { z } from "zod";
import { AppError } from "./errors";
import { flagKeySchema } from "./flags";
import { MAX_EXACT_SUM, MAX_INT_COLUMN, metricBounds, safeText } from "./input-bounds";
import { LatencySketch, SKETCH_RELATIVE_ACCURACY, sketchDataSchema } from "./sketch";
import { roundStepToRollups } from "./rollups";
import { readingsOf, type SloReadings, type SloTotals } from "./slo";

const toEpochMs = (value: number | string) => (typeof value === "number" ? value : Date.parse(value));

/**
 * The `version` of the ConfigSnapshot that served the traffic, as config delivery served it (`snapshot.version`,
 * `rollback.split[].version`). Optional; the service checks that the target has that snapshot.
 */
const snapshotVersionSchema = z
  .number()
  .int("Snapshot version must be a whole number")
  .positive("Snapshot version must be 1 or more")
  .optional();

/** Flags may name at most this many flags per request: more is a sender sending every flag it knows. */
export const MAX_FLAGS_PER_EVENT = 50;

/**
 * The feature flags as the orchestrator evaluated them for this request (`{ "chat.streaming": true }`).
 * Optional. Only flags in a running re-enablement plan of the target are stored (as that flag's on/off arms,
 * which the plan's steps compare); other keys are accepted and ignored.
 */
const eventFlagsSchema = z
  .record(flagKeySchema, z.boolean({ error: "A flag is true (on for this request) or false" }), {
    error: (issue) =>
      issue.code === "invalid_key"
        ? "Not a flag key: lowercase letters, digits, dots, dashes and underscores"
        : undefined,
  })
  .refine((flags) => Object.keys(flags).length <= MAX_FLAGS_PER_EVENT, {
    message: `At most ${MAX_FLAGS_PER_EVENT} flags per event`,
  })
  .optional();

const timestampSchema = z
  .union([
    z
      .number()
      .nonnegative("Timestamp must not be negative")
      .max(metricBounds.timestampMs, "Timestamp must be before the year 10000")
      .int("Timestamp must be whole epoch milliseconds"),
    z.iso.datetime({ offset: true, error: "Timestamp must be epoch ms or an ISO 8601 date-time" }),
  ])
  .transform(toEpochMs);

const LATENCY_HOURS = metricBounds.latencyMs / 3_600_000;
const LATENCY_LIMIT = `${LATENCY_HOURS} hour${LATENCY_HOURS === 1 ? "" : "s"}`;

function latencySchema(label: string) {
  return z
    .number({ error: `${label} must be a number of milliseconds` })
    .finite()
    .nonnegative(`${label} must not be negative`)
    .max(
      metricBounds.latencyMs,
      `${label} must be at most ${LATENCY_LIMIT} (${metricBounds.latencyMs.toLocaleString("en-US")} ms)`,
    );
}

function countSchema(label: string, max: number) {
  return z
    .number({ error: `${label} must be a number` })
    .nonnegative(`${label} must not be negative`)
    .max(max, `${label} must be at most ${max.toLocaleString("en-US")}`)
    .int(`${label} must be a whole number`);
}

/** Provider and model name rows of the breakdown: stored and shown as sent. */
const providerSchema = safeText().trim().min(1).max(100);
const modelSchema = safeText().trim().min(1).max(200);

export const metricEventSchema = z
  .object({
    ts: timestampSchema,
    latencyMs: latencySchema("Latency"),
    /** Time to first token of a streamed response; absent for routes that do not stream. */
    ttftMs: latencySchema("Time to first token").optional(),
    ok: z.boolean(),
    costUsd: z
      .number()
      .finite()
      .nonnegative("Cost must not be negative")
      .max(metricBounds.eventCostUsd, "Cost above $1,000 for one request")
      .optional(),
    provider: providerSchema.optional(),
    model: modelSchema.optional(),
    inputTokens: countSchema("Input tokens", metricBounds.eventTokens).optional(),
    outputTokens: countSchema("Output tokens", metricBounds.eventTokens).optional(),
    snapshotVersion: snapshotVersionSchema,
    flags: eventFlagsSchema,
  })
  .refine((event) => event.ttftMs === undefined || event.ttftMs <= event.latencyMs, {
    message: "Time to first token must not exceed the latency",
    path: ["ttftMs"],
    when: ({ issues }) => issues.length === 0,
  });
export type MetricEvent = z.infer<typeof metricEventSchema>;

/** The highest value a sketch's top bin may stand for: within the sketch's accuracy of the latency bound. */
const MAX_SKETCH_VALUE_MS = metricBounds.latencyMs * (1 + SKETCH_RELATIVE_ACCURACY);

/** A window's sketch, decoded; its bins end at the latency bound, as events' latencies do. */
function windowSketchSchema(label: string) {
  return sketchDataSchema
    .transform((data) => LatencySketch.fromData(data))
    .refine((sketch) => (sketch.quantile(1) ?? 0) <= MAX_SKETCH_VALUE_MS, {
      message: `${label} must be at most ${LATENCY_LIMIT}: the sketch's highest bin is above it`,
    });
}

/**
 * A window the sender aggregated itself, covering exactly one bucket: `start` must be a bucket boundary
 * (the service checks it against the configured width). With provider and/or model it adds to that
 * breakdown row and to the all-traffic series; without, to the all-traffic series only.
 */
export const metricWindowSchema = z
  .object({
    start: timestampSchema,
    provider: providerSchema.optional(),
    model: modelSchema.optional(),
    requestCount: countSchema("Request count", metricBounds.windowRequests),
    errorCount: countSchema("Error count", metricBounds.windowRequests),
    costUsd: z
      .number()
      .finite()
      .nonnegative("Cost must not be negative")
      .max(metricBounds.windowCostUsd, "Cost above $1,000,000,000 for one window"),
    inputTokens: countSchema("Input tokens", metricBounds.windowTokens).optional(),
    outputTokens: countSchema("Output tokens", metricBounds.windowTokens).optional(),
    sketch: windowSketchSchema("Latencies"),
    /** Times to first token of the window's streamed requests, in the latency sketch's encoding. */
    ttftSketch: windowSketchSchema("Times to first token").optional(),
    snapshotVersion: snapshotVersionSchema,
  })
  .refine((w) => w.errorCount <= w.requestCount, {
    message: "Error count must not exceed request count",
    path: ["errorCount"],
  })
  .refine((w) => w.sketch.count <= w.requestCount, {
    message: "Sketch holds more latencies than the window has requests",
    path: ["sketch"],
    when: ({ issues }) => issues.length === 0,
  })
  .refine((w) => (w.ttftSketch?.count ?? 0) <= w.requestCount, {
    message: "TTFT sketch holds more values than the window has requests",
    path: ["ttftSketch"],
    when: ({ issues }) => issues.length === 0,
  });
export type MetricWindow = z.infer<typeof metricWindowSchema>;

/** What a sender posts: per-request events and/or pre-aggregated windows. */
export const metricBatchSchema = z.object({
  events: z.array(metricEventSchema).max(10_000, "Send at most 10,000 events per batch").default([]),
  windows: z.array(metricWindowSchema).max(10_000, "Send at most 10,000 windows per batch").default([]),
});
export type MetricBatch = z.infer<typeof metricBatchSchema>;

/** Adds the rules of a time range [from, to) at most `maxDays` long to an object schema with from/to. */
export function limitRange<Schema extends z.ZodType<{ from: Date; to: Date }>>(schema: Schema, maxDays: number) {
  return schema
    .refine((range) => range.to > range.from, { message: "End must be after start", path: ["to"] })
    .refine((range) => range.to.getTime() - range.from.getTime() <= maxDays * 86_400_000, {
      message: `Choose a range of at most ${maxDays} day${maxDays === 1 ? "" : "s"}`,
      path: ["to"],
      when: ({ issues }) => issues.length === 0,
    });
}

export const targetRangeShape = { targetId: z.string().min(1, "Target is required"), from: z.date(), to: z.date() };

/** What the SLOs read (counters, latency and TTFT sketches: slo.ts) plus token counts, all additive. */
export interface MetricTotals extends SloTotals {
  inputTokens: number;
  outputTokens: number;
}

/** `provider`/`model` are null in the all-traffic series and set in a per-provider/model breakdown. */
export interface MetricBucket extends MetricTotals {
  start: number;
  provider: string | null;
  model: string | null;
}

/**
 * Totals of a time range and the SLO readings the catalogue takes from them (null without requests: no data
 * is not a 0% error rate; null TTFT when no request of the window reported one).
 */
export interface WindowMetrics extends SloReadings {
  from: number;
  to: number;
  requestCount: number;
  errorCount: number;
  costMicros: number;
  inputTokens: number;
  outputTokens: number;
}

export function usdToMicros(usd: number): number {
  return Math.round(usd * 1_000_000);
}

export function bucketStart(ts: number, widthMs: number): number {
  if (!Number.isInteger(widthMs) || widthMs <= 0)
    throw new RangeError(`Bucket width must be a positive integer, got ${widthMs}`);
  return ts - (((ts % widthMs) + widthMs) % widthMs);
}

export function emptyTotals(): MetricTotals {
  return {
    requestCount: 0,
    errorCount: 0,
    costMicros: 0,
    inputTokens: 0,
    outputTokens: 0,
    latency: LatencySketch.empty(),
    ttft: LatencySketch.empty(),
  };
}

/** Pure: a new totals object and a new sketch; ingest uses it to fold a batch into a stored bucket. */
export function combineTotals(a: MetricTotals, b: MetricTotals): MetricTotals {
  return {
    requestCount: a.requestCount + b.requestCount,
    errorCount: a.errorCount + b.errorCount,
    costMicros: a.costMicros + b.costMicros,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    latency: LatencySketch.merge([a.latency, b.latency]),
    ttft: LatencySketch.merge([a.ttft, b.ttft]),
  };
}

/** The bucket columns a batch adds to, the most each may hold, and the field of an item that adds to it. */
const bucketColumnLimits = [
  { column: "requestCount", max: MAX_INT_COLUMN, what: "requests", windowField: "requestCount", eventField: null },
  {
    column: "costMicros",
    max: MAX_EXACT_SUM,
    what: "micro-dollars of cost",
    windowField: "costUsd",
    eventField: "costUsd",
  },
  {
    column: "inputTokens",
    max: MAX_EXACT_SUM,
    what: "input tokens",
    windowField: "inputTokens",
    eventField: "inputTokens",
  },
  {
    column: "outputTokens",
    max: MAX_EXACT_SUM,
    what: "output tokens",
    windowField: "outputTokens",
    eventField: "outputTokens",
  },
] as const;

/**
 * Refuses with a 422 the totals a bucket row would hold after a batch (its stored totals merged with the batch's)
 * when a column cannot hold them on both databases. Windows are bounded one by one; this catches many of them,
 * or a bucket filled by earlier batches. The issue names the batch's first window in that bucket, else its first
 * event there.
 */
export function assertBucketFits(
  totals: MetricTotals,
  start: number,
  batch: { events: readonly MetricEvent[]; windows: readonly MetricWindow[]; bucketWidthMs: number },
): void {
  const over = bucketColumnLimits.find((limit) => totals[limit.column] > limit.max);
  if (!over) return;
  const window = batch.windows.findIndex((item) => item.start === start);
  const event = batch.events.findIndex((item) => bucketStart(item.ts, batch.bucketWidthMs) === start);
  const path =
    window !== -1
      ? `windows.${window}.${over.windowField}`
      : `events.${event === -1 ? 0 : event}${over.eventField ? `.${over.eventField}` : ""}`;
  const message =
    `The bucket starting ${new Date(start).toISOString()} would hold more than ` +
    `${over.max.toLocaleString("en-US")} ${over.what} with this batch`;
  throw new AppError("VALIDATION", `Invalid input: ${path}: ${message}`, { issues: { [path]: message } });
}

/**
 * Buckets sorted by start, then provider, then model. With `breakdown`, each event lands in its
 * provider/model bucket only; callers wanting both series aggregate twice.
 */
export function aggregateEvents(
  events: readonly MetricEvent[],
  options: { widthMs: number; breakdown?: boolean },
): MetricBucket[] {
  const buckets = new Map<string, MetricBucket>();
  for (const event of events) {
    const start = bucketStart(event.ts, options.widthMs);
    const provider = options.breakdown ? (event.provider ?? null) : null;
    const model = options.breakdown ? (event.model ?? null) : null;
    const key = JSON.stringify([start, provider, model]);
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { start, provider, model, ...emptyTotals() };
      buckets.set(key, bucket);
    }
    bucket.requestCount += 1;
    if (!event.ok) bucket.errorCount += 1;
    bucket.costMicros += usdToMicros(event.costUsd ?? 0);
    bucket.inputTokens += event.inputTokens ?? 0;
    bucket.outputTokens += event.outputTokens ?? 0;
    bucket.latency.add(event.latencyMs);
    if (event.ttftMs !== undefined) bucket.ttft.add(event.ttftMs);
  }
  return [...buckets.values()].sort(
    (a, b) => a.start - b.start || compareNullable(a.provider, b.provider) || compareNullable(a.model, b.model),
  );
}

function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/** Merges the buckets whose start lies in [from, to); the caller passes one series (one provider/model). */
export function mergeWindow(buckets: readonly MetricBucket[], range: { from: number; to: number }): WindowMetrics {
  const inRange = buckets.filter((bucket) => bucket.start >= range.from && bucket.start < range.to);
  return toWindowMetrics(
    {
      requestCount: sum(inRange, (b) => b.requestCount),
      errorCount: sum(inRange, (b) => b.errorCount),
      costMicros: sum(inRange, (b) => b.costMicros),
      inputTokens: sum(inRange, (b) => b.inputTokens),
      outputTokens: sum(inRange, (b) => b.outputTokens),
      latency: LatencySketch.merge(inRange.map((b) => b.latency)),
      ttft: LatencySketch.merge(inRange.map((b) => b.ttft)),
    },
    range,
  );
}

/**
 * Request and error counts over [from, to) without merging latency sketches: all the burn-rate windows
 * need, and an hour of sketches is most of an evaluation's cost.
 */
export function errorWindow(
  buckets: readonly Pick<MetricBucket, "start" | "requestCount" | "errorCount">[],
  range: { from: number; to: number },
): Pick<WindowMetrics, "from" | "to" | "requestCount" | "errorCount" | "errorRate"> {
  let requestCount = 0;
  let errorCount = 0;
  for (const bucket of buckets) {
    if (bucket.start < range.from || bucket.start >= range.to) continue;
    requestCount += bucket.requestCount;
    errorCount += bucket.errorCount;
  }
  return { ...range, requestCount, errorCount, errorRate: requestCount > 0 ? errorCount / requestCount : null };
}

/** The one place where totals become rates; mergeWindow and the backtest both go through it. */
export function toWindowMetrics(totals: MetricTotals, range: { from: number; to: number }): WindowMetrics {
  return {
    from: range.from,
    to: range.to,
    requestCount: totals.requestCount,
    errorCount: totals.errorCount,
    costMicros: totals.costMicros,
    inputTokens: totals.inputTokens,
    outputTokens: totals.outputTokens,
    ...readingsOf(totals),
  };
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}

/** Charts draw at most this many points per series, whatever the range (a 7-day window of 10 s buckets is 60,480). */
export const MAX_CHART_POINTS = 1_000;
/** The longest range the target page charts (read through 10-minute rollups, server/domain/rollups.ts). */
export const MAX_CHART_RANGE_DAYS = 30;

/**
 * The smallest step that keeps a range within `maxPoints` points and is a whole number of buckets, and past a
 * minute a whole number of the widest rollups it spans (1 or 10 minutes): those steps are read from rollups.
 */
export function chartStepMs(range: { from: number; to: number }, bucketWidthMs: number, maxPoints: number): number {
  return roundStepToRollups((range.to - range.from) / maxPoints, bucketWidthMs);
}

/**
 * Buckets sorted by start, merged into consecutive steps of `stepMs` from `range.from` (aligned to the
 * step, so a refreshed chart keeps its points still). Every step is present: a step without traffic is a
 * point with nulls, so the chart shows a gap instead of joining across silence.
 */
export function downsampleSeries(
  buckets: readonly MetricBucket[],
  range: { from: number; to: number },
  stepMs: number,
): WindowMetrics[] {
  const points: WindowMetrics[] = [];
  let index = 0;
  for (let from = bucketStart(range.from, stepMs); from < range.to; from += stepMs) {
    const to = from + stepMs;
    while (index < buckets.length && (buckets[index] as MetricBucket).start < from) index++;
    const inStep: MetricBucket[] = [];
    while (index < buckets.length && (buckets[index] as MetricBucket).start < to)
      inStep.push(buckets[index++] as MetricBucket);
    points.push(mergeWindow(inStep, { from, to }));
  }
  return points;
}
