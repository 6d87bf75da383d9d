// Rollback history for the dashboard: the list with filters, its summary, the actor filter's choices, and
// the export as CSV or JSON, written page by page.
import "server-only";
import type { z } from "zod";
import type { Db, Prisma } from "../../db";
import { csvText, prettyJsonArray, type ExportFormat } from "../../domain/export-stream";
import {
  rollbackExportSchema,
  rollbackFilterSchema,
  rollbackListSchema,
  type RollbackFilter,
} from "../../domain/rollback-inputs";
import { summarizeRollbacks, type RollbackHistorySummary } from "../../domain/rollback-history";
import { parseInput } from "../platform/validation";
import { rollbackRowSelect } from "./rows";
import { lookups, toSummary, type RollbackSummaryDto, type UserRef } from "./views";

type RollbackFilterInput = z.output<typeof rollbackFilterSchema>;

export function rollbackWhere({ targetId, trigger, status, actorId, from, to }: RollbackFilterInput) {
  return {
    ...(targetId && { targetId }),
    ...(trigger && { trigger }),
    ...(status && { status }),
    ...(actorId && {
      OR: [{ requestedById: actorId }, { endedById: actorId }, { approvals: { some: { userId: actorId } } }],
    }),
    ...((from ?? to) && { requestedAt: { gte: from, lt: to } }),
  } satisfies Prisma.RollbackWhereInput;
}

const newestFirst = [{ requestedAt: "desc" }, { id: "desc" }] satisfies Prisma.RollbackOrderByWithRelationInput[];

/** Newest first, a page at a time. */
export async function listRollbacks(
  db: Db,
  input: z.input<typeof rollbackListSchema>,
): Promise<{ items: RollbackSummaryDto[]; nextCursor: string | null }> {
  const { cursor, limit, ...filter } = parseInput(rollbackListSchema, input);
  const rows = await db.rollback.findMany({
    where: rollbackWhere(filter),
    orderBy: newestFirst,
    ...(cursor && { cursor: { id: cursor }, skip: 1 }),
    take: limit + 1,
    select: rollbackRowSelect,
  });
  const page = rows.slice(0, limit);
  const found = await lookups(db, page);
  return {
    items: page.map((row) => toSummary(row, found)),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** The figures over every rollback the filter matches (domain summarizeRollbacks). */
export async function rollbackSummary(db: Db, input: RollbackFilter): Promise<RollbackHistorySummary> {
  const filter = parseInput(rollbackFilterSchema, input);
  const rows = await db.rollback.findMany({
    where: rollbackWhere(filter),
    select: { trigger: true, requestedAt: true, startedAt: true, verification: true },
  });
  return summarizeRollbacks(rows, filter);
}

/** The people who requested, approved, rejected, cancelled or aborted any rollback: the actor filter's choices. */
export async function listRollbackActors(db: Db): Promise<UserRef[]> {
  const [requested, ended, decided] = await Promise.all([
    db.rollback.findMany({
      where: { requestedById: { not: null } },
      distinct: ["requestedById"],
      select: { requestedById: true },
    }),
    db.rollback.findMany({ where: { endedById: { not: null } }, distinct: ["endedById"], select: { endedById: true } }),
    db.rollbackApproval.findMany({ distinct: ["userId"], select: { userId: true } }),
  ]);
  const ids = new Set([
    ...requested.map((row) => row.requestedById),
    ...ended.map((row) => row.endedById),
    ...decided.map((row) => row.userId),
  ]);
  ids.delete(null);
  if (ids.size === 0) return [];
  return db.user.findMany({
    where: { id: { in: [...ids] as string[] } },
    select: { id: true, name: true, email: true },
    orderBy: [{ name: "asc" }, { email: "asc" }],
  });
}

const EXPORT_PAGE = 2_000;

const csvColumns = [
  "id",
  "targetSlug",
  "targetName",
  "trigger",
  "status",
  "requestedAt",
  "requestedBy",
  "reason",
  "fromVersion",
  "toVersion",
  "steps",
  "trafficPercent",
  "approvalsRequired",
  "approvals",
  "startedAt",
  "timeToActionSeconds",
  "endedAt",
  "endedBy",
  "endReason",
  "aborted",
  "verification",
  "verifiedAt",
] as const;

function csvRow(item: RollbackSummaryDto): Record<(typeof csvColumns)[number], string | number | boolean | null> {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    id: item.id,
    targetSlug: item.target.slug,
    targetName: item.target.name,
    trigger: item.trigger,
    status: item.status,
    requestedAt: item.requestedAt.toISOString(),
    requestedBy: item.requestedBy ? (item.requestedBy.email ?? item.requestedBy.name) : null,
    reason: item.reason,
    fromVersion: item.fromSnapshot.version,
    toVersion: item.toSnapshot.version,
    steps: item.steps.join("/"),
    trafficPercent: item.trafficPercent,
    approvalsRequired: item.approvalsRequired,
    approvals: item.approvalCount,
    startedAt: iso(item.startedAt),
    timeToActionSeconds: item.timeToActionMs === null ? null : item.timeToActionMs / 1000,
    endedAt: iso(item.endedAt),
    endedBy: item.endedBy ? (item.endedBy.email ?? item.endedBy.name) : null,
    endReason: item.endReason,
    aborted: item.aborted,
    verification: item.verification,
    verifiedAt: iso(item.verifiedAt),
  };
}

/**
 * Newest first like the list, keyed by (requestedAt, id) rather than by offset: a rollback requested while the
 * export runs lands before its first page, never shifting one.
 */
async function* rollbackPages(db: Db, filter: RollbackFilterInput): AsyncGenerator<RollbackSummaryDto[]> {
  for (let after: { requestedAt: Date; id: string } | undefined; ;) {
    const rows = await db.rollback.findMany({
      where: {
        AND: [
          rollbackWhere(filter),
          after
            ? {
                OR: [
                  { requestedAt: { lt: after.requestedAt } },
                  { requestedAt: after.requestedAt, id: { lt: after.id } },
                ],
              }
            : {},
        ],
      },
      orderBy: newestFirst,
      take: EXPORT_PAGE,
      select: rollbackRowSelect,
    });
    const last = rows.at(-1);
    if (!last) return;
    const found = await lookups(db, rows);
    yield rows.map((row) => toSummary(row, found));
    if (rows.length < EXPORT_PAGE) return;
    after = last;
  }
}

/**
 * Every rollback the filter matches, newest first like the list, as CSV or a JSON array of list items indented
 * as `JSON.stringify(…, null, 2)` writes it: chunks of a page each (GET /api/export/rollbacks). The input is
 * checked before the first chunk is asked for.
 */
export function exportRollbacks(
  db: Db,
  input: z.input<typeof rollbackExportSchema>,
): { format: ExportFormat; chunks: AsyncGenerator<string> } {
  const { format, ...filter } = parseInput(rollbackExportSchema, input);
  const pages = rollbackPages(db, filter);
  return { format, chunks: format === "json" ? prettyJsonArray(pages, 0) : csvText(csvColumns, pages, csvRow) };
}
