// What every intake adapter (OTLP spans, LiteLLM payloads…) hands on: one item per model call, mapped to a Rewind
// metric event and remembering where each field came from, so a refusal names the sender's own field.
import { metricBounds, textProblem } from "../input-bounds";
import { metricEventSchema, metricWindowSchema, type MetricEvent, type MetricWindow } from "../metrics";

/** One model call of an intake request, mapped to the input of a metric event (validated by `screenItems`). */
export interface IntakeItem {
  /** Where the item sits in the request body: `resourceSpans.0.scopeSpans.1.spans.4`, `3`. */
  path: string;
  /** The target slug the item names itself (a span attribute) or a target mapping rule gives it; null: the request's. */
  target: string | null;
  /** Set when `target` came from a target mapping rule: the rule, as refusals name it. */
  targetRule?: string;
  /** Metric event fields as the sender gave them: `metricEventSchema` decides what is acceptable. */
  event: Record<string, unknown>;
  /**
   * Per event field, the full path of the sender's field it was read from
   * (`resourceSpans.0.scopeSpans.0.spans.4.attributes.gen_ai.usage.input_tokens`); unset: `<path>.<event field>`.
   */
  sources: Partial<Record<keyof MetricEvent, string>>;
}

/**
 * What a format that sends aggregates (OTLP metrics) hands on instead: one window of one bucket, checked as
 * `/ingest` checks windows, made of several of the sender's items (data points).
 */
export interface IntakeWindow {
  /** The first of its data points. */
  path: string;
  target: string | null;
  targetRule?: string;
  /** Metric window fields (`metricWindowSchema`), sketches in their data form. */
  window: Record<string, unknown>;
  /** Per window field, the sender's field it was read from. */
  sources: Partial<Record<keyof MetricWindow, string>>;
  /** The sender's items it holds: what refusing it counts. */
  points: number;
}

export interface RefusedItem {
  path: string;
  reason: string;
  /** The sender's items the refusal stands for (the data points of a window); 1 when unset. */
  count?: number;
}

/** An adapter's reading of a request: the model calls, what it could not map, and how many items were not model calls. */
export interface MappedBatch {
  items: IntakeItem[];
  /** Aggregates, from formats that send them. */
  windows?: IntakeWindow[];
  refused: RefusedItem[];
  /** Items that are not model calls (OTLP spans without gen_ai.* attributes, agent and tool spans): counted, not stored. */
  ignored: number;
}

interface ScreenedBase {
  path: string;
  target: string | null;
  targetRule?: string;
  snapshotVersion: number | undefined;
  /** Where the snapshot version came from, for a refusal once the target's snapshots are known. */
  snapshotVersionSource: string | undefined;
  /** The sender's items it stands for, when more than one. */
  count?: number;
}

/** An item that passed: a checked event or window, as its schema returns it (ingestion checks neither again). */
export type ScreenedItem = ScreenedBase &
  ({ event: MetricEvent; window?: undefined } | { window: MetricWindow; event?: undefined });

/** An item's refusal, counting the sender's items it stands for. */
export function refusalOf(item: { path: string; count?: number }, reason: string, path = item.path): RefusedItem {
  return item.count === undefined || item.count === 1 ? { path, reason } : { path, reason, count: item.count };
}

/** How many of the sender's items some refusals stand for. */
export function countRefused(refused: readonly RefusedItem[]): number {
  return refused.reduce((total, item) => total + (item.count ?? 1), 0);
}

/** The field a refusal names: the sender's own field where the event field came from one. */
export function sourcePath(item: Pick<IntakeItem, "path" | "sources">, field: keyof MetricEvent): string {
  return item.sources[field] ?? (item.path === "" ? field : `${item.path}.${field}`);
}

const PLAIN_EVENT_FIELDS: ReadonlySet<string> = new Set([
  "ts",
  "latencyMs",
  "ttftMs",
  "ok",
  "costUsd",
  "provider",
  "model",
  "inputTokens",
  "outputTokens",
  "snapshotVersion",
]);

const isCount = (value: unknown, max: number): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max;
const isLatency = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= metricBounds.latencyMs;
const isName = (value: unknown, max: number): boolean =>
  typeof value === "string" &&
  value.length >= 1 &&
  value.length <= max &&
  value.trim().length === value.length &&
  textProblem(value) === null;

/**
 * The event exactly as `metricEventSchema` would return it, when it plainly passes: the schema's own bounds on
 * numbers, text that its trim leaves as it is, no flags and no other fields. A batch's events are nearly all such, and
 * checking them here costs a fraction of the schema's run per event; null sends the event through the schema, which
 * says what is wrong. test/unit/domain/intake/screen-items.test.ts holds it to the schema.
 */
export function plainEvent(event: Record<string, unknown>): MetricEvent | null {
  for (const key in event) if (!PLAIN_EVENT_FIELDS.has(key)) return null;
  const { ts, latencyMs, ttftMs, ok, costUsd, provider, model, inputTokens, outputTokens, snapshotVersion } = event;
  const plain =
    typeof ok === "boolean" &&
    isCount(ts, metricBounds.timestampMs) &&
    isLatency(latencyMs) &&
    (ttftMs === undefined || (isLatency(ttftMs) && ttftMs <= latencyMs)) &&
    (costUsd === undefined ||
      (typeof costUsd === "number" &&
        Number.isFinite(costUsd) &&
        costUsd >= 0 &&
        costUsd <= metricBounds.eventCostUsd)) &&
    (provider === undefined || isName(provider, 100)) &&
    (model === undefined || isName(model, 200)) &&
    (inputTokens === undefined || isCount(inputTokens, metricBounds.eventTokens)) &&
    (outputTokens === undefined || isCount(outputTokens, metricBounds.eventTokens)) &&
    (snapshotVersion === undefined || (Number.isSafeInteger(snapshotVersion) && (snapshotVersion as number) >= 1));
  return plain ? (event as MetricEvent) : null;
}

/**
 * Each item checked as ingest checks an event (`metricEventSchema`, and a timestamp within the retention up to
 * `maxFutureSkewMs` ahead), so items that pass are written as sent and the others are refused by path, one reason
 * each (the first problem found).
 */
export function screenItems(
  items: readonly IntakeItem[],
  bounds: { now: Date; retentionMs: number; maxFutureSkewMs: number },
  windows: readonly IntakeWindow[] = [],
): { accepted: ScreenedItem[]; refused: RefusedItem[] } {
  const oldest = bounds.now.getTime() - bounds.retentionMs;
  const latest = bounds.now.getTime() + bounds.maxFutureSkewMs;
  const retentionDays = bounds.retentionMs / 86_400_000;
  const accepted: ScreenedItem[] = [];
  const refused: RefusedItem[] = [];
  for (const item of items) {
    let event = plainEvent(item.event);
    if (event === null) {
      const parsed = metricEventSchema.safeParse(item.event);
      if (!parsed.success) {
        const [issue] = parsed.error.issues;
        const field = (issue?.path[0] ?? "ts") as keyof MetricEvent;
        refused.push({ path: sourcePath(item, field), reason: issue?.message ?? "Invalid" });
        continue;
      }
      event = parsed.data;
    }
    if (event.ts < oldest || event.ts > latest) {
      refused.push({
        path: sourcePath(item, "ts"),
        reason:
          event.ts < oldest ? `Older than the ${retentionDays}-day retention` : "More than 1 minute in the future",
      });
      continue;
    }
    accepted.push({
      path: item.path,
      target: item.target,
      ...(item.targetRule !== undefined && { targetRule: item.targetRule }),
      event,
      snapshotVersion: event.snapshotVersion,
      snapshotVersionSource: event.snapshotVersion === undefined ? undefined : sourcePath(item, "snapshotVersion"),
    });
  }
  for (const item of windows) {
    const count = item.points;
    const source = (field: keyof MetricWindow) => item.sources[field] ?? `${item.path}.${field}`;
    const parsed = metricWindowSchema.safeParse(item.window);
    if (!parsed.success) {
      const [issue] = parsed.error.issues;
      const field = (issue?.path[0] ?? "start") as keyof MetricWindow;
      refused.push(refusalOf({ path: source(field), count }, issue?.message ?? "Invalid"));
      continue;
    }
    const window = parsed.data;
    const { start, snapshotVersion } = window;
    if (start < oldest || start > latest) {
      const reason =
        start < oldest ? `Older than the ${retentionDays}-day retention` : "More than 1 minute in the future";
      refused.push(refusalOf({ path: source("start"), count }, reason));
      continue;
    }
    accepted.push({
      path: item.path,
      target: item.target,
      ...(item.targetRule !== undefined && { targetRule: item.targetRule }),
      window,
      snapshotVersion,
      snapshotVersionSource: snapshotVersion === undefined ? undefined : source("snapshotVersion"),
      ...(count > 1 && { count }),
    });
  }
  return { accepted, refused };
}

/** A whole number from a number or a decimal string (OTEL_RESOURCE_ATTRIBUTES values are always strings). */
export function wholeNumberOf(value: unknown): unknown {
  if (typeof value === "string" && /^\s*\d+\s*$/.test(value)) return Number(value);
  return value;
}

/** At most `limit` refusals spelled out, for a response message; the count says how many there were. */
export function describeRefusals(refused: readonly RefusedItem[], noun: string, limit = 5): string {
  const listed = refused
    .slice(0, limit)
    .map(({ path, reason }) => `${path}: ${reason}`)
    .join("; ");
  const more = refused.length > limit ? `; and ${refused.length - limit} more` : "";
  const total = countRefused(refused);
  return `${total} ${noun}${total === 1 ? "" : "s"} refused: ${listed}${more}`;
}
