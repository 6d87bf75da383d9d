// The hash-chained audit history. Call appendAudit with the transaction that makes the change it
// records, so the change and its record commit (or roll back) together; read and export below. Verification
// is audit-chain.ts, checkpoints audit-checkpoints.ts.
import "server-only";
import type { z } from "zod";
import type { Db, Prisma, Tx } from "../../db";
import { auditExportSchema, type auditFilterSchema, auditPageSchema } from "../../domain/audit";
import { linkAuditEvent, type AuditActorType } from "../../domain/audit-chain";
import { storableJson, type JsonValue } from "../../domain/canonical-json";
import { parseInput } from "../platform/validation";
import { auditChainKeyring, type AuditChainKeyring } from "./audit-chain-key";
import { checkpointLinesForExport } from "./audit-checkpoints";

/**
 * Who made a change: a signed-in user, a machine client's API key, or Rewind itself. A command run on Rewind's
 * host (`npm run user:create`, `apikey:create`) acts as the system but names who ran it in `via`, stored as
 * the event's actorId (`cli:alice@host`): no session or key vouches for that name, so it says where the change
 * came from without making anyone a user. Everything that checks `type` treats it as the system.
 */
export type Actor = { type: "USER"; id: string } | { type: "API_KEY"; id: string } | { type: "SYSTEM"; via?: string };

export const systemActor: Actor = { type: "SYSTEM" };

/** A command line run by `who` (an OS user and host, e.g. alice@rewind-1). */
export function commandLineActor(who: string): Actor {
  return { type: "SYSTEM", via: `cli:${who}` };
}

export function userActor(id: string): Actor {
  return { type: "USER", id };
}

export interface AuditEntry {
  actor: Actor;
  /** `<entity>.<verb>`, e.g. rollback.approved, snapshot.published, user.role_changed. */
  action: string;
  entityType: string;
  entityId: string;
  targetId?: string | null;
  before?: JsonValue | null;
  after?: JsonValue | null;
  reason?: string | null;
}

/**
 * Links the entry to the last event and inserts it, keyed under the current chain key. Two transactions
 * appending at once compute the same next sequence; the unique index on `sequence` makes one of them fail, and
 * callers run their whole transaction under retryOnConflict (server/services/platform/retry.ts), which repeats
 * it on top of the winner.
 */
export async function appendAudit(
  tx: Tx,
  entry: AuditEntry,
  now: Date,
  options: { keyring?: AuditChainKeyring } = {},
): Promise<void> {
  const key = (options.keyring ?? auditChainKeyring()).current;
  const last = await tx.auditEvent.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true, hash: true } });
  const actorType: AuditActorType = entry.actor.type;
  const linked = linkAuditEvent(
    last,
    {
      at: now.toISOString(),
      actorType,
      actorId: entry.actor.type === "SYSTEM" ? (entry.actor.via ?? null) : entry.actor.id,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      targetId: entry.targetId ?? null,
      // Hashed as it will read back (storableJson): a long float would otherwise read back 1 ulp off.
      before: storableJson(entry.before ?? null),
      after: storableJson(entry.after ?? null),
      reason: entry.reason ?? null,
    },
    key,
  );
  await tx.auditEvent.create({
    data: {
      ...linked,
      at: now,
      // Prisma stores JSON null as a JSON value; a missing before/after is a database NULL.
      before: linked.before ?? undefined,
      after: linked.after ?? undefined,
    },
    select: { id: true },
  });
}

/** The id stored with a change: the user's or key's, none for Rewind itself. */
export function actorIdOf(actor: Actor): string | null {
  return actor.type === "SYSTEM" ? null : actor.id;
}

/** A service's input: the fields it validates, and who asks (trusted, never taken from a request body). */
export type WithActor<Input = Record<string, unknown>> = Input & { actor: Actor };

/**
 * The fields `change` sets to a new value, as an audit event's before and after; null when it changes
 * nothing, so a save that changes nothing records nothing.
 */
export function changedFields<Row extends object>(
  row: Row,
  change: Partial<Row>,
): { before: { [field: string]: JsonValue }; after: { [field: string]: JsonValue } } | null {
  const keys = (Object.keys(change) as (keyof Row & string)[]).filter(
    (key) => change[key] !== undefined && change[key] !== row[key],
  );
  if (keys.length === 0) return null;
  const pick = (source: Partial<Row>) => Object.fromEntries(keys.map((key) => [key, source[key] as JsonValue]));
  return { before: pick(row), after: pick(change) };
}

/** For notification texts: "Ana (ana@example.com)", "API key k1", "Rewind". */
export async function describeActor(db: Db | Tx, actor: Actor): Promise<string> {
  if (actor.type === "SYSTEM") return actor.via ? `the command line (${actor.via.replace(/^cli:/, "")})` : "Rewind";
  if (actor.type === "API_KEY") return `API key ${actor.id}`;
  const user = await db.user.findUnique({ where: { id: actor.id }, select: { name: true, email: true } });
  return user ? `${user.name} (${user.email})` : `user ${actor.id}`;
}

// The read side: the log with filters, chain verification, export.

const auditEventSelect = {
  id: true,
  sequence: true,
  at: true,
  actorType: true,
  actorId: true,
  action: true,
  entityType: true,
  entityId: true,
  targetId: true,
  before: true,
  after: true,
  reason: true,
} satisfies Prisma.AuditEventSelect;

/** An event as clients see it: the users behind user actors resolved, no hashes. */
export type AuditEventDto = Prisma.AuditEventGetPayload<{ select: typeof auditEventSelect }> & {
  actor: { name: string; email: string } | null;
};

function auditWhere(filter: z.output<typeof auditFilterSchema>): Prisma.AuditEventWhereInput {
  return {
    ...(filter.targetId && { targetId: filter.targetId }),
    ...(filter.actorId && { actorId: filter.actorId }),
    ...(filter.actorType && { actorType: filter.actorType }),
    ...(filter.action && { action: { startsWith: filter.action } }),
    ...(filter.entityType && { entityType: filter.entityType }),
    ...(filter.entityId && { entityId: filter.entityId }),
    ...((filter.from ?? filter.to) && { at: { gte: filter.from, lte: filter.to } }),
  };
}

/** Users are referenced by id only (an actor may also be a key or the system), so names are looked up. */
async function withActors(
  db: Db,
  rows: readonly Prisma.AuditEventGetPayload<{ select: typeof auditEventSelect }>[],
): Promise<AuditEventDto[]> {
  const ids = [...new Set(rows.flatMap((row) => (row.actorType === "USER" && row.actorId ? [row.actorId] : [])))];
  const users =
    ids.length === 0
      ? []
      : await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, email: true } });
  const byId = new Map(users.map((user) => [user.id, { name: user.name, email: user.email }]));
  return rows.map((row) => ({
    ...row,
    actor: row.actorType === "USER" && row.actorId ? (byId.get(row.actorId) ?? null) : null,
  }));
}

/**
 * Newest first. `nextCursor` is the cursor of the next (older) page, null on the last one; `newerCursor` is the
 * `newerThan` of the page before (newer), null when nothing newer matches. A `newerThan` page is the `limit`
 * events just above that sequence.
 */
export async function listAuditEvents(
  db: Db,
  input: z.input<typeof auditPageSchema>,
): Promise<{ events: AuditEventDto[]; nextCursor: number | null; newerCursor: number | null }> {
  const { filter, cursor, newerThan, limit } = parseInput(auditPageSchema, input);
  const where = auditWhere(filter);
  if (newerThan === undefined) {
    const rows = await db.auditEvent.findMany({
      where: { ...where, ...(cursor !== undefined && { sequence: { lt: cursor } }) },
      orderBy: { sequence: "desc" },
      take: limit + 1,
      select: auditEventSelect,
    });
    const page = rows.slice(0, limit);
    // The first page is the newest; below a cursor, look above the page (or above the cursor when it is empty).
    const top = cursor === undefined ? null : (page[0]?.sequence ?? cursor - 1);
    const newer = top !== null && (await exists(db, { ...where, sequence: { gt: top } }));
    return {
      events: await withActors(db, page),
      nextCursor: rows.length > limit ? (page.at(-1)?.sequence ?? null) : null,
      newerCursor: newer ? top : null,
    };
  }
  const rows = await db.auditEvent.findMany({
    where: { ...where, sequence: { gt: newerThan } },
    orderBy: { sequence: "asc" },
    take: limit + 1,
    select: auditEventSelect,
  });
  const page = rows.slice(0, limit).reverse();
  const bottom = page.at(-1)?.sequence ?? newerThan + 1;
  const older = await exists(db, { ...where, sequence: { lt: bottom } });
  return {
    events: await withActors(db, page),
    nextCursor: older ? bottom : null,
    newerCursor: rows.length > limit ? (page[0]?.sequence ?? null) : null,
  };
}

async function exists(db: Db, where: Prisma.AuditEventWhereInput): Promise<boolean> {
  return (await db.auditEvent.findFirst({ where, select: { id: true } })) !== null;
}

/** What the log holds, with counts, for the filters' choices: actions, entity types and the actors behind them. */
export interface AuditFacets {
  actions: { action: string; count: number }[];
  entityTypes: { entityType: string; count: number }[];
  /** Users and API keys that acted, by name (a deleted key or user keeps its id only); the system is implied. */
  actors: { type: "USER" | "API_KEY"; id: string; name: string | null; email: string | null; count: number }[];
}

export async function auditFacets(db: Db): Promise<AuditFacets> {
  const [actions, entityTypes, actorRows] = await Promise.all([
    db.auditEvent.groupBy({ by: ["action"], _count: { _all: true }, orderBy: { action: "asc" } }),
    db.auditEvent.groupBy({ by: ["entityType"], _count: { _all: true }, orderBy: { entityType: "asc" } }),
    // By id alone the (actorId, at) index covers the count; ids are cuids, so the users and keys tables tell the type.
    db.auditEvent.groupBy({ by: ["actorId"], where: { actorId: { not: null } }, _count: { _all: true } }),
  ]);
  const ids = actorRows.flatMap((row) => (row.actorId ? [row.actorId] : []));
  const [users, keys] = await Promise.all([
    db.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, email: true } }),
    db.apiKey.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } }),
  ]);
  const actors: AuditFacets["actors"] = [];
  for (const row of actorRows) {
    if (!row.actorId) continue;
    const count = row._count._all;
    const user = users.find((candidate) => candidate.id === row.actorId);
    const key = keys.find((candidate) => candidate.id === row.actorId);
    if (user) actors.push({ type: "USER", id: user.id, name: user.name, email: user.email, count });
    else if (key) actors.push({ type: "API_KEY", id: key.id, name: key.name, email: null, count });
    else {
      // Neither exists any more (or never did): the events still say which kind of actor it was.
      const event = await db.auditEvent.findFirst({ where: { actorId: row.actorId }, select: { actorType: true } });
      if (event?.actorType === "USER" || event?.actorType === "API_KEY") {
        actors.push({ type: event.actorType, id: row.actorId, name: null, email: null, count });
      }
    }
  }
  actors.sort(
    (a, b) =>
      a.type.localeCompare(b.type) || (a.name ?? a.id).localeCompare(b.name ?? b.id) || a.id.localeCompare(b.id),
  );
  return {
    actions: actions.map((row) => ({ action: row.action, count: row._count._all })),
    entityTypes: entityTypes.map((row) => ({ entityType: row.entityType, count: row._count._all })),
    actors,
  };
}

const EXPORT_PAGE = 1_000;

const csvColumns = [
  "sequence",
  "at",
  "actorType",
  "actorId",
  "actorEmail",
  "actorName",
  "action",
  "entityType",
  "entityId",
  "targetId",
  "reason",
  "before",
  "after",
] as const;

/**
 * RFC 4180: a cell holding a quote, comma or line break is quoted, its quotes doubled. Text a spreadsheet
 * would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe, since reasons are free text.
 */
function csvCell(value: string | number | null): string {
  if (value === null) return "";
  const text = typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvRow(event: AuditEventDto): string {
  const json = (value: Prisma.JsonValue | null) => (value === null ? null : JSON.stringify(value));
  const cells: Record<(typeof csvColumns)[number], string | number | null> = {
    sequence: event.sequence,
    at: event.at.toISOString(),
    actorType: event.actorType,
    actorId: event.actorId,
    actorEmail: event.actor?.email ?? null,
    actorName: event.actor?.name ?? null,
    action: event.action,
    entityType: event.entityType,
    entityId: event.entityId,
    targetId: event.targetId,
    reason: event.reason,
    before: json(event.before),
    after: json(event.after),
  };
  return csvColumns.map((column) => csvCell(cells[column])).join(",");
}

/**
 * Every matching event, oldest first, as CSV (JSON columns as JSON text) or JSON: `{ events, checkpoints }`,
 * the checkpoints being every signed checkpoint of the chain (oldest first, as the checkpoint file has them), so
 * an export kept elsewhere can later show a chain cut back or rewritten.
 */
export async function exportAuditEvents(db: Db, input: z.input<typeof auditExportSchema>): Promise<string> {
  const { filter, format } = parseInput(auditExportSchema, input);
  const events: AuditEventDto[] = [];
  for (let after = 0; ;) {
    const page = await db.auditEvent.findMany({
      where: { ...auditWhere(filter), sequence: { gt: after } },
      orderBy: { sequence: "asc" },
      take: EXPORT_PAGE,
      select: auditEventSelect,
    });
    events.push(...(await withActors(db, page)));
    const last = page.at(-1);
    if (!last || page.length < EXPORT_PAGE) break;
    after = last.sequence;
  }
  if (format === "json") return JSON.stringify({ events, checkpoints: await checkpointLinesForExport(db) }, null, 2);
  return [csvColumns.join(","), ...events.map(csvRow)].join("\r\n") + "\r\n";
}
