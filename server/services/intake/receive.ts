// Receiving one intake request, whatever its format: media type and gzip, the adapter's decode and mapping, the
// checks ingest makes (per item, so a partial-success format can refuse items one by one), then the accepted
// events written per target through ingestMetrics (recordMetrics and event-driven action, as for /api/v1/ingest).
import "server-only";
import { gunzipSync } from "node:zlib";
import { Prisma, type Db } from "../../db";
import { AppError, type FieldIssues } from "../../domain/errors";
import {
  describeRefusals,
  refusalOf,
  screenItems,
  type RefusedItem,
  type ScreenedItem,
} from "../../domain/intake/intake-items";
import { TargetRuleSet } from "../../domain/intake/target-rules";
import type { MetricEvent, MetricWindow } from "../../domain/metrics";
import { slugSchema } from "../../domain/targets";
import { assertKeyMayUseTarget, type ApiKeyDto } from "../access/api-keys";
import {
  ingestCheckedMetrics,
  MAX_EVENTS_PER_REQUEST,
  MAX_FUTURE_SKEW_MS,
  type IngestResult,
  type IngestTarget,
} from "../machine/ingest";
import { log } from "../platform/log";
import type { RegisteredIntakeAdapter } from "./adapters";
import { loadTargetRules } from "./target-rules";
import { IntakeError, type IntakeOutcome, type IntakeReply } from "./types";

/** A gzip body may inflate to this much: far above 10,000 spans, far below what would strain the server. */
export const MAX_DECODED_BYTES = 32 * 1024 * 1024;
/** Issues listed in a 422 of an all-or-nothing format; the message counts them all. */
const MAX_LISTED_ISSUES = 100;

export const TARGET_HEADER = "X-Rewind-Target";

export interface IntakeRequest {
  key: Pick<ApiKeyDto, "prefix" | "targetSlugs">;
  body: Buffer;
  /** Content-Type as sent (parameters and case are ignored). */
  contentType: string | null;
  contentEncoding: string | null;
  /** X-Rewind-Target: the request's target, for items that name none. */
  target: string | null;
}

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaTypeOf(contentType: string | null): string | null {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  return type ? type : null;
}

function decompress(body: Buffer, contentEncoding: string | null): Buffer {
  const encoding = contentEncoding?.trim().toLowerCase() ?? "";
  if (encoding === "" || encoding === "identity") return body;
  if (encoding !== "gzip" && encoding !== "x-gzip") {
    throw new IntakeError(415, `Content-Encoding ${encoding} is not supported: send gzip or no encoding`);
  }
  try {
    return gunzipSync(body, { maxOutputLength: MAX_DECODED_BYTES });
  } catch (error) {
    if (error instanceof RangeError) {
      throw new AppError(
        "PAYLOAD_TOO_LARGE",
        `Body inflates past ${MAX_DECODED_BYTES / 1024 / 1024} MB: send smaller batches`,
      );
    }
    throw new IntakeError(400, `Body is not valid gzip: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The request's target: X-Rewind-Target (checked like a path slug), else the key's one target, else none. */
function defaultTargetOf(request: IntakeRequest): { slug: string; fromHeader: boolean } | null {
  if (request.target !== null && request.target.trim() !== "") {
    const parsed = slugSchema.safeParse(request.target);
    if (!parsed.success) {
      const message = parsed.error.issues[0]?.message ?? "Not a target slug";
      throw new AppError("VALIDATION", `Invalid input: ${TARGET_HEADER}: ${message}`, {
        issues: { [TARGET_HEADER]: message },
      });
    }
    assertKeyMayUseTarget(request.key, parsed.data);
    return { slug: parsed.data, fromHeader: true };
  }
  const [only, ...others] = request.key.targetSlugs ?? [];
  return only !== undefined && others.length === 0 ? { slug: only, fromHeader: false } : null;
}

interface Resolved {
  item: ScreenedItem;
  slug: string;
}

interface TargetGroup {
  target: IngestTarget;
  items: ScreenedItem[];
}

function noTargetReason(adapter: Pick<RegisteredIntakeAdapter, "targetRules">): string {
  const ways = [`set the rewind.target attribute, send ${TARGET_HEADER}`, "use a key limited to one target"];
  if (adapter.targetRules) ways.push("add a target mapping rule for its service.name (Settings → Integrations)");
  return `No target: ${ways.slice(0, -1).join(", ")}, or ${ways.at(-1)}`;
}

/**
 * Items grouped by the target they go to: their own (`rewind.target`, or a target mapping rule's, set by the
 * adapter), else the request's. Items whose target is missing, unknown or not the key's are refused.
 */
async function resolveTargets(
  db: Db,
  items: readonly ScreenedItem[],
  request: IntakeRequest,
  defaultTarget: ReturnType<typeof defaultTargetOf>,
  adapter: Pick<RegisteredIntakeAdapter, "targetRules">,
): Promise<{ byTarget: Map<string, TargetGroup>; refused: RefusedItem[] }> {
  const refused: RefusedItem[] = [];
  const resolved: Resolved[] = [];
  for (const item of items) {
    const slug = item.target ?? defaultTarget?.slug ?? null;
    if (slug === null) {
      refused.push(refusalOf(item, noTargetReason(adapter)));
    } else if (!slugSchema.safeParse(slug).success) {
      refused.push(refusalOf(item, `rewind.target '${slug}' is not a target slug`));
    } else if (request.key.targetSlugs !== null && !request.key.targetSlugs.includes(slug)) {
      const via = item.targetRule === undefined ? "" : ` (${item.targetRule})`;
      refused.push(refusalOf(item, `API key ${request.key.prefix}… may not use target ${slug}${via}`));
    } else {
      resolved.push({ item, slug });
    }
  }
  const slugs = [...new Set([...resolved.map(({ slug }) => slug), ...(defaultTarget ? [defaultTarget.slug] : [])])];
  // Raw SQL, as ingest's own lookup: the intake path is as hot as /api/v1/ingest.
  const rows =
    slugs.length === 0
      ? []
      : await db.$queryRaw<IngestTarget[]>`
          SELECT "id", "slug", "monitoringEnabled" FROM "Target" WHERE "slug" IN (${Prisma.join(slugs)})`;
  // SQLite's driver reads booleans as 0/1.
  const ids = new Map(rows.map((row) => [row.slug, { ...row, monitoringEnabled: Boolean(row.monitoringEnabled) }]));
  // A target the request names (X-Rewind-Target), or the key's one target when an item needs it, that does not
  // exist is a setup error, not a span's: 404 for the whole request.
  if (defaultTarget?.fromHeader && !ids.has(defaultTarget.slug)) {
    throw new AppError("NOT_FOUND", `No such target: ${defaultTarget.slug}`);
  }
  const byTarget = new Map<string, TargetGroup>();
  for (const { item, slug } of resolved) {
    const target = ids.get(slug);
    if (target === undefined) {
      if (item.target === null) throw new AppError("NOT_FOUND", `No such target: ${slug}`);
      refused.push(refusalOf(item, `No such target: ${slug}`));
      continue;
    }
    const group = byTarget.get(slug);
    if (group) group.items.push(item);
    else byTarget.set(slug, { target, items: [item] });
  }
  return { byTarget, refused };
}

/** Items reporting a snapshot version their target does not have are refused (ingest would refuse the batch). */
async function refuseUnknownVersions(db: Db, byTarget: Map<string, TargetGroup>): Promise<RefusedItem[]> {
  const refused: RefusedItem[] = [];
  for (const [slug, group] of byTarget) {
    const versions = [
      ...new Set(
        group.items.flatMap(({ snapshotVersion }) => (snapshotVersion === undefined ? [] : [snapshotVersion])),
      ),
    ];
    if (versions.length === 0) continue;
    const rows = await db.$queryRaw<{ version: number | bigint }[]>`
      SELECT "version" FROM "ConfigSnapshot" WHERE "targetId" = ${group.target.id} AND "version" IN (${Prisma.join(versions)})`;
    const known = new Set(rows.map((row) => Number(row.version)));
    group.items = group.items.filter((item) => {
      const version = item.snapshotVersion;
      if (version === undefined || known.has(version)) return true;
      refused.push(
        refusalOf(
          item,
          `Snapshot version ${version} is not a snapshot of target ${slug}`,
          item.snapshotVersionSource ?? item.path,
        ),
      );
      return false;
    });
  }
  return refused;
}

function refuseAll(refused: readonly RefusedItem[], noun: string): never {
  const issues: FieldIssues = {};
  for (const { path, reason } of refused.slice(0, MAX_LISTED_ISSUES)) issues[path] ??= reason;
  throw new AppError("VALIDATION", describeRefusals(refused, noun), { issues });
}

/**
 * Reads the request with the adapter and writes what it may. With a partial-success adapter every item that cannot
 * be written (invalid field, outside the retention, no or unknown target, unknown snapshot version) is refused by
 * path and the rest is written; otherwise any such item refuses the request with 422 and nothing is written.
 * A target named by X-Rewind-Target (or the key's one target) that does not exist is 404, one the key may not use
 * 403, either way for the whole request.
 */
export async function receiveIntake(
  db: Db,
  adapter: RegisteredIntakeAdapter,
  request: IntakeRequest,
  options: { now: Date; bucketWidthMs: number; retentionMs: number },
): Promise<IntakeReply> {
  const contentType = mediaTypeOf(request.contentType);
  if (contentType === null || !adapter.contentTypes.includes(contentType)) {
    throw new IntakeError(
      415,
      `Content-Type ${contentType ?? "(none)"} is not accepted here: send ${adapter.contentTypes.join(" or ")}`,
    );
  }
  const defaultTarget = defaultTargetOf(request);
  const body = decompress(request.body, request.contentEncoding);
  const targetRules = adapter.targetRules ? await loadTargetRules(db) : TargetRuleSet.empty;
  const batch = await adapter.read(body, contentType, {
    db,
    now: options.now,
    bucketWidthMs: options.bucketWidthMs,
    targetRules,
  });
  try {
    return await writeBatch(db, { adapter, request, batch, contentType, defaultTarget }, options);
  } catch (error) {
    // The request writes nothing and its sender may retry it: what reading it wrote (a stream's state) goes back.
    await batch
      .undo()
      .catch((undoError: unknown) => log.error("intake.undo_failed", { adapter: adapter.name, error: undoError }));
    throw error;
  }
}

async function writeBatch(
  db: Db,
  {
    adapter,
    request,
    batch,
    contentType,
    defaultTarget,
  }: {
    adapter: RegisteredIntakeAdapter;
    request: IntakeRequest;
    batch: Awaited<ReturnType<RegisteredIntakeAdapter["read"]>>;
    contentType: string;
    defaultTarget: ReturnType<typeof defaultTargetOf>;
  },
  options: { now: Date; bucketWidthMs: number; retentionMs: number },
): Promise<IntakeReply> {
  const windows = batch.windows ?? [];
  if (batch.items.length + windows.length > MAX_EVENTS_PER_REQUEST) {
    throw new AppError(
      "PAYLOAD_TOO_LARGE",
      `At most ${MAX_EVENTS_PER_REQUEST.toLocaleString("en-US")} model calls (or windows) per request; this one has ${(batch.items.length + windows.length).toLocaleString("en-US")}: send smaller batches`,
    );
  }
  if (!adapter.partialSuccess && defaultTarget === null && batch.items.length > 0) {
    const message = `Send ${TARGET_HEADER}: <target slug>, or use an API key limited to one target`;
    throw new AppError("VALIDATION", `Invalid input: ${TARGET_HEADER}: ${message}`, {
      issues: { [TARGET_HEADER]: message },
    });
  }

  const screened = screenItems(batch.items, { ...options, maxFutureSkewMs: MAX_FUTURE_SKEW_MS }, windows);
  const targets = await resolveTargets(db, screened.accepted, request, defaultTarget, adapter);
  const refused = [
    ...batch.refused,
    ...screened.refused,
    ...targets.refused,
    ...(await refuseUnknownVersions(db, targets.byTarget)),
  ];
  if (!adapter.partialSuccess && refused.length > 0) refuseAll(refused, adapter.itemNoun);

  const results: IngestResult[] = [];
  let accepted = 0;
  for (const [slug, group] of targets.byTarget) {
    if (group.items.length === 0) continue;
    try {
      // Screened already: each item checked against its schema and the time range.
      results.push(
        await ingestCheckedMetrics(
          db,
          { key: request.key, target: group.target, ...eventsAndWindows(group.items) },
          options,
        ),
      );
      accepted += group.items.length;
    } catch (error) {
      // Retrying a request that already wrote another target would count that target twice: once something is
      // written, a failing target's items are refused instead (reported, not retried).
      const refusable = error instanceof AppError && !isTransientFailure(error);
      const partial = adapter.partialSuccess && (refusable || results.length > 0);
      if (!partial) throw error;
      let reason: string;
      if (error instanceof AppError) reason = error.message;
      else {
        log.error("intake.target_failed", { adapter: adapter.name, target: slug, error });
        reason = "Internal error while writing (see the server log)";
      }
      refused.push(...group.items.map((item) => refusalOf(item, reason)));
    }
  }
  const outcome: IntakeOutcome = {
    target: defaultTarget?.slug ?? null,
    accepted,
    refused,
    ignored: batch.ignored,
    results,
  };
  return adapter.reply(outcome, contentType);
}

/** A target's items as ingest's batch: one pass, no array per item (a request holds up to 10,000). */
function eventsAndWindows(items: readonly ScreenedItem[]) {
  const events: MetricEvent[] = [];
  const windows: MetricWindow[] = [];
  for (const { event, window } of items) {
    if (event) events.push(event);
    else windows.push(window);
  }
  return { events, windows };
}

/** Failures a sender should retry later (503): writes that kept conflicting, a database that cannot be reached. */
export function isTransientFailure(error: unknown): boolean {
  if (error instanceof AppError) return error.code === "CONFLICT";
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  return (
    error instanceof Prisma.PrismaClientKnownRequestError && ["P1001", "P1002", "P1017", "P2024"].includes(error.code)
  );
}
