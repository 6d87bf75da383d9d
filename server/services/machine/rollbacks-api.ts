// Rollbacks over the machine API (docs/API.md, "Rollbacks"): the list with filters and cursor pages, one rollback
// with its steps, step checks, arms, approvals, verification and timeline, and what a key may ask for (a manual
// request, cancel, abort). Approval stays a person's act. A key limited to targets sees and acts on those targets'
// rollbacks only: another target's rollback is NOT_FOUND, as if it did not exist.
import "server-only";
import { z } from "zod";
import type { Db, Prisma, Tx } from "../../db";
import { reasonSchema } from "../../domain/audit";
import { AppError } from "../../domain/errors";
import { rollbackStatuses, rollbackTriggers } from "../../domain/rollback";
import { slugSchema } from "../../domain/targets";
import { apiKeyActor, assertKeyMayUseTarget, type ApiKeyDto } from "../access/api-keys";
import { principals } from "../audit/principals";
import { getTargetBySlug } from "../config/targets";
import { parseInput } from "../platform/validation";
import { abortRollback, cancelRollback, requestManualRollback, type ChangeOptions } from "../rollbacks/commands";
import { rollbackRowSelect } from "../rollbacks/rows";
import { loadRow } from "../rollbacks/transitions";
import { getRollbackView, lookups, toSummary } from "../rollbacks/views";
import {
  toApiDetail,
  toApiSummary,
  type RollbackApiDetail,
  type RollbackApiSummary,
  type StoredActors,
} from "./rollbacks-api-dto";

type Key = Pick<ApiKeyDto, "id" | "prefix" | "targetSlugs">;

export const ROLLBACK_PAGE_MAX = 100;
const ROLLBACK_PAGE_DEFAULT = 50;

// ---- Reading ----

/** Rollback ids are cuids: anything else (a NUL, a kilobyte of text) is simply not one. */
const rollbackIdPattern = /^[A-Za-z0-9_-]{1,100}$/;

function keyMaySee(key: Key, slug: string): boolean {
  return key.targetSlugs === null || key.targetSlugs.includes(slug);
}

/** The rollback's stored actors, if it exists and the key may see its target; NOT_FOUND otherwise. */
async function visibleRollback(db: Db, key: Key, rollbackId: string): Promise<StoredActors> {
  const row = rollbackIdPattern.test(rollbackId)
    ? await db.rollback.findUnique({
        where: { id: rollbackId },
        select: { requestedById: true, endedById: true, target: { select: { slug: true } } },
      })
    : null;
  if (!row || !keyMaySee(key, row.target.slug)) throw new AppError("NOT_FOUND", "No such rollback");
  return { requestedById: row.requestedById, endedById: row.endedById };
}

export async function getRollbackForKey(
  db: Db,
  input: { key: Key; rollbackId: string },
  now: Date,
): Promise<RollbackApiDetail> {
  const actors = await visibleRollback(db, input.key, input.rollbackId);
  return toApiDetail(db, await getRollbackView(db, input.rollbackId), actors, now);
}

/** A comma-separated list of known values, in one query parameter (or the parameter repeated). */
function valuesOf<T extends string>(values: readonly T[], what: string) {
  return z.union([z.string(), z.array(z.string())]).transform((given, context): T[] => {
    const items = [given]
      .flat()
      .flatMap((text) => text.split(","))
      .map((item) => item.trim())
      .filter((item) => item !== "");
    if (items.length === 0 || items.some((item) => !values.includes(item as T))) {
      context.addIssue({ code: "custom", message: `${what} are ${values.join(", ")} (comma-separated)` });
      return z.NEVER;
    }
    return [...new Set(items as T[])];
  });
}

const single = (message: string) => z.string({ error: `${message}; give it once` });

/** "n.<epoch ms>.<id>", base64url: opaque to clients, the position after the last item of a page. */
function encodeCursor(row: { requestedAt: Date; id: string }): string {
  return Buffer.from(`n.${row.requestedAt.getTime()}.${row.id}`, "utf8").toString("base64url");
}

const cursorSchema = single("cursor is the nextCursor of a page").transform((text, context) => {
  const match = /^n\.(\d{1,16})\.([A-Za-z0-9_-]{1,100})$/.exec(Buffer.from(text, "base64url").toString("utf8"));
  const at = match ? new Date(Number(match[1])) : null;
  if (!match || !at || Number.isNaN(at.getTime())) {
    context.addIssue({ code: "custom", message: "Not a cursor of this list: pass a page's nextCursor as it came" });
    return z.NEVER;
  }
  return { requestedAt: at, id: match[2]! };
});

/** ISO 8601 (2026-05-01T12:00:00Z) or epoch milliseconds, up to the year 9999. */
const sinceSchema = single("since is a time").transform((text, context) => {
  const at = /^\d{1,15}$/.test(text) ? new Date(Number(text)) : new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}|^\d{1,15}$/.test(text) || Number.isNaN(at.getTime()) || at.getUTCFullYear() > 9999) {
    context.addIssue({
      code: "custom",
      message: "since is an ISO 8601 time (2026-05-01T12:00:00Z) or epoch milliseconds",
    });
    return z.NEVER;
  }
  return at;
});

const limitSchema = single("limit is a number")
  .regex(/^\d{1,3}$/, `limit is a whole number from 1 to ${ROLLBACK_PAGE_MAX}`)
  .transform(Number)
  .pipe(
    z
      .number()
      .min(1, `limit is a whole number from 1 to ${ROLLBACK_PAGE_MAX}`)
      .max(ROLLBACK_PAGE_MAX, `limit is at most ${ROLLBACK_PAGE_MAX}`),
  );

export const listQueryShape = {
  target: single("target is a slug").pipe(slugSchema).optional(),
  status: valuesOf(rollbackStatuses, "Statuses").optional(),
  trigger: valuesOf(rollbackTriggers, "Triggers").optional(),
  since: sinceSchema.optional(),
  cursor: cursorSchema.optional(),
  limit: limitSchema.optional(),
};
/** The list's parameters; each unknown one is refused by name, so a misspelt filter never silently lists all. */
function listQuerySchema(query: Record<string, unknown>) {
  const unknown = Object.keys(query).filter((name) => !Object.hasOwn(listQueryShape, name));
  const refused = z.never({ error: `Unknown parameter: the list takes ${Object.keys(listQueryShape).join(", ")}` });
  return z.object({ ...listQueryShape, ...Object.fromEntries(unknown.map((name) => [name, refused])) });
}

/** Query parameters as an object: a repeated one becomes a list (which only status and trigger take). */
function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    query[name] = values.length === 1 ? values[0]! : values;
  }
  return query;
}

const newestFirst = [{ requestedAt: "desc" }, { id: "desc" }] satisfies Prisma.RollbackOrderByWithRelationInput[];

/**
 * Newest first (requested), `limit` at a time; `nextCursor` continues after the page's last item, null on the
 * last page. Pages are keyed by position, not offset: rollbacks requested meanwhile never shift a page.
 */
export async function listRollbacksForKey(
  db: Db,
  input: { key: Key; query: URLSearchParams },
): Promise<{ items: RollbackApiSummary[]; nextCursor: string | null }> {
  const { key } = input;
  const query = queryObject(input.query);
  const {
    target: slug,
    status,
    trigger,
    since,
    cursor,
    limit = ROLLBACK_PAGE_DEFAULT,
  } = parseInput(listQuerySchema(query), query);
  let targetWhere: Prisma.RollbackWhereInput;
  if (slug !== undefined) {
    assertKeyMayUseTarget(key, slug);
    targetWhere = { targetId: (await getTargetBySlug(db, slug)).id };
  } else {
    targetWhere = key.targetSlugs === null ? {} : { target: { slug: { in: key.targetSlugs } } };
  }
  const rows = await db.rollback.findMany({
    where: {
      AND: [
        targetWhere,
        status ? { status: { in: status } } : {},
        trigger ? { trigger: { in: trigger } } : {},
        since ? { requestedAt: { gte: since } } : {},
        cursor
          ? {
              OR: [
                { requestedAt: { lt: cursor.requestedAt } },
                { requestedAt: cursor.requestedAt, id: { lt: cursor.id } },
              ],
            }
          : {},
      ],
    },
    orderBy: newestFirst,
    take: limit + 1,
    select: rollbackRowSelect,
  });
  const page = rows.slice(0, limit);
  const [found, principalOf] = await Promise.all([
    lookups(db, page),
    principals(
      db,
      page.flatMap((row) => [row.requestedById, row.endedById]),
    ),
  ]);
  const last = page.at(-1);
  return {
    items: page.map((row) => toApiSummary(toSummary(row, found), row, principalOf)),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}

// ---- Changes a key may ask for ----

/**
 * `inTransaction` runs in the transaction that makes the change, with the rollback as the list shows it as of that
 * commit (the detail's step checks, arms and timeline are read after the commit, outside it): the machine API stores
 * its Idempotency-Key response there (machine/replay-protection.ts), so a retry after a crash past the commit replays
 * that summary instead of applying the change a second time.
 */
export interface KeyChangeOptions {
  inTransaction?: (tx: Tx, committed: RollbackApiSummary) => Promise<void>;
}

function withSummaryInTransaction({ inTransaction }: KeyChangeOptions): ChangeOptions {
  if (!inTransaction) return {};
  return {
    inTransaction: async (tx, rollbackId) => {
      const row = await loadRow(tx, rollbackId);
      const [found, principalOf] = await Promise.all([
        lookups(tx, [row]),
        principals(tx, [row.requestedById, row.endedById]),
      ]);
      await inTransaction(tx, toApiSummary(toSummary(row, found), row, principalOf));
    },
  };
}

export const reasonBodySchema = z.object({ reason: reasonSchema }, { error: 'Send a JSON object: { "reason": "…" }' });

/** Cancel (pending or approved) or abort (in progress) as the key, with a reason; audited with the key. */
export async function endRollbackForKey(
  db: Db,
  input: { key: Key; rollbackId: string; action: "cancel" | "abort"; body: unknown },
  now: Date,
  options: KeyChangeOptions = {},
): Promise<RollbackApiDetail> {
  const { key, rollbackId } = input;
  const { reason } = parseInput(reasonBodySchema, input.body);
  await visibleRollback(db, key, rollbackId);
  const command = input.action === "cancel" ? cancelRollback : abortRollback;
  await command(db, { actor: apiKeyActor(key), rollbackId, reason }, now, withSummaryInTransaction(options));
  return getRollbackForKey(db, { key, rollbackId }, now);
}

export const manualRequestSchema = z
  .object(
    {
      /** The snapshot version to roll back to; or its id; neither: the target's known-good snapshot. */
      toVersion: z
        .number({ error: "toVersion is a snapshot version number" })
        .int("toVersion is a whole number")
        .min(1, "toVersion is 1 or more")
        .max(2_147_483_647, "toVersion is a snapshot version number")
        .optional(),
      toSnapshotId: z.string().regex(rollbackIdPattern, "toSnapshotId is a snapshot's id").optional(),
      reason: reasonSchema,
    },
    { error: 'Send a JSON object: { "toVersion": 5, "reason": "…" }' },
  )
  .refine((body) => body.toVersion === undefined || body.toSnapshotId === undefined, {
    message: "Name the snapshot by toVersion or by toSnapshotId, not both",
    path: ["toSnapshotId"],
  });

/**
 * A manual rollback requested by the key: pending until a person approves it, as every manual request. The
 * target snapshot is named by version or id, else it is the target's known-good snapshot.
 */
export async function requestRollbackForKey(
  db: Db,
  input: { key: Key; slug: string; body: unknown },
  now: Date,
  options: KeyChangeOptions = {},
): Promise<RollbackApiDetail> {
  const { key } = input;
  const body = parseInput(manualRequestSchema, input.body);
  const target = await getTargetBySlug(db, input.slug);
  let toSnapshotId = body.toSnapshotId ?? target.knownGoodSnapshotId;
  if (body.toVersion !== undefined) {
    const snapshot = await db.configSnapshot.findUnique({
      where: { targetId_version: { targetId: target.id, version: body.toVersion } },
      select: { id: true },
    });
    if (!snapshot) {
      throw new AppError("VALIDATION", `Invalid input: toVersion: ${target.slug} has no snapshot v${body.toVersion}`, {
        issues: { toVersion: `${target.slug} has no snapshot v${body.toVersion}` },
      });
    }
    toSnapshotId = snapshot.id;
  }
  if (!toSnapshotId) {
    throw new AppError("PRECONDITION_FAILED", `${target.slug} has no known-good snapshot: name one with toVersion`, {
      issues: { toVersion: "No known-good snapshot to default to: name the version to roll back to" },
    });
  }
  const requested = await requestManualRollback(
    db,
    { actor: apiKeyActor(key), targetId: target.id, toSnapshotId, reason: body.reason },
    now,
    withSummaryInTransaction(options),
  );
  return getRollbackForKey(db, { key, rollbackId: requested.id }, now);
}
