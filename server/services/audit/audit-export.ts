// The audit log's export (GET /api/export/audit): every matching event, oldest first, read a page at a time by
// sequence and written as it is read, so a million events cost the memory of one page. The JSON carries the
// signed checkpoints too, so an export kept elsewhere can later show a chain cut back or rewritten.
import "server-only";
import type { z } from "zod";
import type { Db, Prisma } from "../../db";
import { auditExportSchema } from "../../domain/audit";
import { csvText, prettyJsonArray, type ExportFormat } from "../../domain/export-stream";
import { parseInput } from "../platform/validation";
import { checkpointLinesForExport } from "./audit-checkpoints";
import { auditEventSelect } from "./audit-log";
import { auditWhere, withActors, type AuditEventDto } from "./audit-reads";

/** Events per query: actors and targets are resolved once per page, in three queries. */
export const AUDIT_EXPORT_PAGE = 2_000;

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
  "targetSlug",
  "targetName",
  "reason",
  "before",
  "after",
] as const;

/** The system's two faces, as the audit page names them: a command run on the host, or Rewind itself. */
function actorNameOfSystem(actorId: string | null): string {
  return actorId?.startsWith("cli:") ? `Command line (${actorId.slice("cli:".length)})` : "Rewind";
}

function csvCells(event: AuditEventDto): Record<(typeof csvColumns)[number], string | number | null> {
  const json = (value: Prisma.JsonValue | null) => (value === null ? null : JSON.stringify(value));
  return {
    sequence: event.sequence,
    at: event.at.toISOString(),
    actorType: event.actorType,
    actorId: event.actorId,
    actorEmail: event.actor?.email ?? null,
    actorName: event.actor?.name ?? actorNameOfSystem(event.actorId),
    action: event.action,
    entityType: event.entityType,
    entityId: event.entityId,
    targetId: event.targetId,
    targetSlug: event.target?.slug ?? null,
    targetName: event.target?.name ?? null,
    reason: event.reason,
    before: json(event.before),
    after: json(event.after),
  };
}

/**
 * Oldest first, keyed by sequence, up to the head when the export began: events appended while it runs are left
 * for the next export rather than making its end a moving target.
 */
async function* eventPages(db: Db, filter: z.output<typeof auditExportSchema>): AsyncGenerator<AuditEventDto[]> {
  const where = auditWhere(filter);
  const head = (await db.auditEvent.aggregate({ _max: { sequence: true } }))._max.sequence ?? 0;
  for (let after = 0; ;) {
    const rows = await db.auditEvent.findMany({
      where: { ...where, sequence: { gt: after, lte: head } },
      orderBy: { sequence: "asc" },
      take: AUDIT_EXPORT_PAGE,
      select: auditEventSelect,
    });
    const last = rows.at(-1);
    if (!last) return;
    yield await withActors(db, rows);
    if (rows.length < AUDIT_EXPORT_PAGE) return;
    after = last.sequence;
  }
}

async function* jsonText(db: Db, filter: z.output<typeof auditExportSchema>): AsyncGenerator<string> {
  yield '{\n  "events": ';
  yield* prettyJsonArray(eventPages(db, filter), 1);
  yield ',\n  "checkpoints": ';
  // A checkpoint every so many events: a few thousand lines where the events are millions, read at once.
  yield* prettyJsonArray([await checkpointLinesForExport(db)], 1);
  yield "\n}";
}

/**
 * CSV (JSON columns as JSON text) or JSON, `{ events, checkpoints }` indented as `JSON.stringify(…, null, 2)`
 * writes it: the text of the whole export, as chunks of a page each. The input is checked before the first
 * chunk is asked for, so a bad filter is refused before anything is sent.
 */
export function exportAuditEvents(
  db: Db,
  input: z.input<typeof auditExportSchema>,
): { format: ExportFormat; chunks: AsyncGenerator<string> } {
  const parsed = parseInput(auditExportSchema, input);
  return {
    format: parsed.format,
    chunks: parsed.format === "json" ? jsonText(db, parsed) : csvText(csvColumns, eventPages(db, parsed), csvCells),
  };
}
