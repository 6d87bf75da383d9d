// The audit history's read side: the log with filters and its facets (the export, page by page, is
// audit-export.ts). Writing is audit-log.ts.
import "server-only";
import type { z } from "zod";
import type { Db, Prisma } from "../../db";
import { type auditFilterSchema, auditPageSchema } from "../../domain/audit";
import { parseInput } from "../platform/validation";
import { auditEventSelect } from "./audit-log";
import { personRef, principals } from "./principals";

/**
 * An event as clients see it, no hashes: the user or key behind its actor named (a key by its label, without
 * email), and its target's slug and name (null for events about no target, or a target since deleted).
 */
export type AuditEventDto = Prisma.AuditEventGetPayload<{ select: typeof auditEventSelect }> & {
  actor: { name: string; email: string | null } | null;
  target: { slug: string; name: string } | null;
};

export function auditWhere(filter: z.output<typeof auditFilterSchema>): Prisma.AuditEventWhereInput {
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

/** Actors and targets are referenced by id only (an actor may be a user, a key or the system): looked up in bulk. */
export async function withActors(
  db: Db,
  rows: readonly Prisma.AuditEventGetPayload<{ select: typeof auditEventSelect }>[],
): Promise<AuditEventDto[]> {
  const targetIds = [...new Set(rows.flatMap((row) => (row.targetId ? [row.targetId] : [])))];
  const [principalOf, targets] = await Promise.all([
    principals(
      db,
      rows.map((row) => (row.actorType === "SYSTEM" ? null : row.actorId)),
    ),
    targetIds.length === 0
      ? []
      : db.target.findMany({ where: { id: { in: targetIds } }, select: { id: true, slug: true, name: true } }),
  ]);
  const targetById = new Map(targets.map(({ id, slug, name }) => [id, { slug, name }]));
  return rows.map((row) => {
    const person = row.actorType === "SYSTEM" ? null : personRef(principalOf(row.actorId));
    return {
      ...row,
      actor: person && { name: person.name, email: person.email },
      target: row.targetId ? (targetById.get(row.targetId) ?? null) : null,
    };
  });
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
