// Metric ingestion from machine clients: the request's limits, the time range events may fall in, the
// batch written through recordMetrics, then event-driven action when the batch makes an emergency.
import "server-only";
import { z } from "zod";
import type { Db, Tx } from "../../db";
import type { ApiKeyDto } from "../access/api-keys";
import { assertKeyMayUseTarget } from "../access/api-keys";
import { AppError, type FieldIssues } from "../../domain/errors";
import { bucketStart, type MetricEvent, type MetricWindow } from "../../domain/metrics";
import { slugSchema } from "../../domain/targets";
import { recordCheckedMetrics, recordMetrics, type RecordMetricsResult } from "../metrics/buckets";
import { countIngested } from "../platform/own-metrics";
import { actOnEmergency, type TargetAction } from "../monitoring/act-on-target";
import { parseInput } from "../platform/validation";

export const MAX_EVENTS_PER_REQUEST = 10_000;
export const MAX_WINDOWS_PER_REQUEST = 10_000;
/** Clocks differ: events up to this far ahead of the server's clock are accepted. */
export const MAX_FUTURE_SKEW_MS = 60_000;
/** Issues listed per refused batch; the message counts them all. */
const MAX_LISTED_ISSUES = 100;

/** The batch's envelope as this service parses it (the items are `recordMetrics`'s); the OpenAPI document's too. */
export const ingestEnvelopeSchema = z.object({
  target: slugSchema,
  events: z.array(z.unknown(), { error: "Events must be a list" }).optional(),
  windows: z.array(z.unknown(), { error: "Windows must be a list" }).optional(),
});

export interface IngestResult {
  target: string;
  events: number;
  windows: number;
  buckets: number;
  /** Set when the batch made an emergency-level breach and Rewind acted on it at once. */
  action: TargetAction | null;
}

function epochMs(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed;
  }
  return null;
}

/**
 * Timestamps outside [now − retention, now + 1 min] would be pruned at once or judged before they happen.
 * Checked on the raw items (malformed ones are left to the schema), so a batch is parsed once.
 */
function outOfRange(
  items: readonly unknown[],
  field: "ts" | "start",
  list: "events" | "windows",
  bounds: { oldest: number; latest: number; retentionDays: number },
): FieldIssues {
  const issues: FieldIssues = {};
  items.forEach((item, i) => {
    const ts = epochMs(typeof item === "object" && item !== null ? (item as Record<string, unknown>)[field] : null);
    if (ts === null) return;
    if (ts < bounds.oldest) issues[`${list}.${i}.${field}`] = `Older than the ${bounds.retentionDays}-day retention`;
    else if (ts > bounds.latest) issues[`${list}.${i}.${field}`] = "More than 1 minute in the future";
  });
  return issues;
}

/**
 * Validates and stores a batch for the target it names (404 unknown, 403 not allowed for the key).
 * `inTransaction` runs in the transaction that writes the batch, with the result as of that commit (no action yet):
 * the machine API stores the Idempotency-Key's response there (machine/replay-protection.ts).
 */
export async function ingestMetrics(
  db: Db,
  input: { key: Pick<ApiKeyDto, "prefix" | "targetSlugs">; body: unknown },
  options: {
    now: Date;
    bucketWidthMs: number;
    retentionMs: number;
    inTransaction?: (tx: Tx, committed: IngestResult) => Promise<void>;
  },
): Promise<IngestResult> {
  const { now, bucketWidthMs, retentionMs } = options;
  const body = input.body as { events?: unknown; windows?: unknown } | null;
  for (const [list, max] of [
    ["events", MAX_EVENTS_PER_REQUEST],
    ["windows", MAX_WINDOWS_PER_REQUEST],
  ] as const) {
    const items = body?.[list];
    if (Array.isArray(items) && items.length > max) {
      throw new AppError(
        "PAYLOAD_TOO_LARGE",
        `At most ${max.toLocaleString("en-US")} ${list} per request; this one has ${items.length.toLocaleString("en-US")}: split it`,
      );
    }
  }
  const { target: slug, events = [], windows = [] } = parseInput(ingestEnvelopeSchema, input.body);
  assertKeyMayUseTarget(input.key, slug);
  // Raw SQL, as in recordMetrics: a model query costs this hot path more than its result is worth.
  const [row] = await db.$queryRaw<{ id: string; monitoringEnabled: boolean }[]>`
    SELECT "id", "monitoringEnabled" FROM "Target" WHERE "slug" = ${slug}`;
  if (!row) throw new AppError("NOT_FOUND", `No such target: ${slug}`);
  const target = { ...row, slug };

  const bounds = {
    oldest: now.getTime() - retentionMs,
    latest: now.getTime() + MAX_FUTURE_SKEW_MS,
    retentionDays: retentionMs / 86_400_000,
  };
  const issues = { ...outOfRange(events, "ts", "events", bounds), ...outOfRange(windows, "start", "windows", bounds) };
  const count = Object.keys(issues).length;
  if (count > 0) {
    const listed = Object.fromEntries(Object.entries(issues).slice(0, MAX_LISTED_ISSUES));
    throw new AppError(
      "VALIDATION",
      `${count} item${count === 1 ? "" : "s"} outside the accepted time range (the last ${bounds.retentionDays} days up to 1 minute ahead): ` +
        Object.entries(listed)
          .slice(0, 5)
          .map(([path, message]) => `${path}: ${message}`)
          .join("; ") +
        (count > 5 ? "; …" : ""),
      { issues: listed },
    );
  }

  const { inTransaction } = options;
  const stored = await recordMetrics(
    db,
    { targetId: target.id, events, windows },
    {
      bucketWidthMs,
      now,
      ...(inTransaction && {
        inTransaction: (tx, result) => inTransaction(tx, { target: slug, ...result, action: null }),
      }),
    },
  );
  return afterRecording(db, target, stored, [...events, ...windows], options);
}

/** A target as ingestion acts on it. */
export interface IngestTarget {
  id: string;
  slug: string;
  monitoringEnabled: boolean;
}

/**
 * Ingestion of items an intake adapter already screened (server/domain/intake/intake-items.ts: each event and window
 * checked against its schema and the time range) for a target it already looked up: the same writes and event-driven
 * action as `ingestMetrics`, without checking them a second time.
 */
export async function ingestCheckedMetrics(
  db: Db,
  input: {
    key: Pick<ApiKeyDto, "prefix" | "targetSlugs">;
    target: IngestTarget;
    events: MetricEvent[];
    windows: MetricWindow[];
  },
  options: { now: Date; bucketWidthMs: number },
): Promise<IngestResult> {
  const { target, events, windows } = input;
  assertKeyMayUseTarget(input.key, target.slug);
  const stored = await recordCheckedMetrics(db, { targetId: target.id, events, windows }, options);
  return afterRecording(db, target, stored, [...events, ...windows], options);
}

async function afterRecording(
  db: Db,
  target: IngestTarget,
  stored: RecordMetricsResult,
  items: readonly unknown[],
  { now, bucketWidthMs }: { now: Date; bucketWidthMs: number },
): Promise<IngestResult> {
  countIngested(stored);
  let action: TargetAction | null = null;
  if (stored.events + stored.windows > 0 && windowMayHaveChanged(target.id, items, now, bucketWidthMs)) {
    action = await actOnEmergency(db, target, { now, bucketWidthMs });
    emergencyCheckedUpTo.set(target.id, bucketStart(now.getTime(), bucketWidthMs));
  }
  return { target: target.slug, ...stored, action };
}

/**
 * Per target, the end of the window this process last checked for an emergency. The check judges complete
 * buckets only, so a batch whose items all fall in the current bucket (or later) changes nothing it reads
 * until that bucket ends: checking once per target per bucket, not once per batch, is the same judgement.
 * Writes into complete buckets (late or backfilled events, windows) check at once; so does this process's
 * first batch after a bucket ends, whatever it holds. A change the memo cannot see (a policy edit, a
 * rollback cancelled, another instance's late writes) is checked at the next bucket's end at the latest,
 * and the cycle judges every target anyway.
 */
const emergencyCheckedUpTo = new Map<string, number>();

function windowMayHaveChanged(targetId: string, items: readonly unknown[], now: Date, bucketWidthMs: number): boolean {
  const end = bucketStart(now.getTime(), bucketWidthMs);
  if (emergencyCheckedUpTo.get(targetId) !== end) return true;
  return items.some((item) => {
    const record = item as Record<string, unknown>;
    const ts = epochMs(record.ts ?? record.start);
    return ts === null || ts < end;
  });
}
