// Rollbacks as charts mark them: each one's timeline from its audit events (requested, approved, traffic steps,
// completion or end, verification), and the incident a target's page opens zoomed on (domain rollback-timeline.ts).
import "server-only";
import type { Db, Prisma } from "../../db";
import { AppError } from "../../domain/errors";
import type { RollbackStatus, RollbackTrigger } from "../../domain/rollback";
import { judgedWindowMs } from "../../domain/verdict-periods";
import {
  INCIDENT_LOOKBACK_MS,
  RECENT_INCIDENT_MS,
  incidentEnd,
  incidentInputSchema,
  incidentRange,
  isRecentIncident,
  rollbackTimeline,
  timelineRangeSchema,
  type TimelineEvent,
} from "../../domain/rollback-timeline";
import { parseInput } from "../platform/validation";
import { stepsSchema } from "./rows";

/** A week's chart marks at most this many rollbacks, the newest. */
const MAX_TIMELINES = 20;

export interface RollbackTimelineDto {
  id: string;
  trigger: RollbackTrigger;
  status: RollbackStatus;
  requestedAt: Date;
  /** Oldest first. */
  events: TimelineEvent[];
}

export interface IncidentDto {
  rollback: RollbackTimelineDto;
  /** The range to zoom on; `to` is null while the rollback or its verification runs (the chart follows now). */
  from: Date;
  to: Date | null;
}

const timelineSelect = {
  id: true,
  targetId: true,
  trigger: true,
  status: true,
  steps: true,
  requestedAt: true,
  startedAt: true,
  endedAt: true,
  aborted: true,
  verification: true,
  verifiedAt: true,
} satisfies Prisma.RollbackSelect;
type TimelineRowData = Prisma.RollbackGetPayload<{ select: typeof timelineSelect }>;

async function timelines(db: Db, rows: readonly TimelineRowData[]): Promise<RollbackTimelineDto[]> {
  if (rows.length === 0) return [];
  const audit = await db.auditEvent.findMany({
    where: { entityType: "Rollback", entityId: { in: rows.map((row) => row.id) } },
    orderBy: { sequence: "asc" },
    select: { entityId: true, at: true, action: true, after: true },
  });
  return rows.map((row) => ({
    id: row.id,
    trigger: row.trigger,
    status: row.status,
    requestedAt: row.requestedAt,
    events: rollbackTimeline(
      { ...row, steps: stepsSchema.catch([100]).parse(row.steps) },
      audit.filter((event) => event.entityId === row.id),
    ),
  }));
}

/** The target's rollbacks whose timeline overlaps [from, to), newest first. */
export async function listRollbackTimelines(db: Db, input: unknown): Promise<RollbackTimelineDto[]> {
  const { targetId, from, to } = parseInput(timelineRangeSchema, input);
  const rows = await db.rollback.findMany({
    where: {
      targetId,
      requestedAt: { lt: to },
      OR: [{ endedAt: null }, { endedAt: { gte: from } }, { verifiedAt: { gte: from } }],
    },
    orderBy: [{ requestedAt: "desc" }, { id: "desc" }],
    take: MAX_TIMELINES,
    select: timelineSelect,
  });
  return timelines(db, rows);
}

/**
 * Where the violation streak that led to the request began: the judged window of its first violation or breach
 * (the first after the last calm verdict), looked for up to a day before the request. Null for none (manual).
 */
async function firstViolationFrom(db: Db, row: TimelineRowData): Promise<Date | null> {
  const since = new Date(row.requestedAt.getTime() - INCIDENT_LOOKBACK_MS);
  const calm = await db.verdictRecord.findFirst({
    where: {
      targetId: row.targetId,
      status: { in: ["HEALTHY", "INSUFFICIENT_DATA"] },
      evaluatedAt: { gte: since, lte: row.requestedAt },
    },
    orderBy: { evaluatedAt: "desc" },
    select: { evaluatedAt: true },
  });
  const first = await db.verdictRecord.findFirst({
    where: {
      targetId: row.targetId,
      status: { in: ["VIOLATION", "BREACH"] },
      evaluatedAt: { gt: calm?.evaluatedAt ?? since, lte: row.requestedAt },
    },
    orderBy: { evaluatedAt: "asc" },
    select: { evaluatedAt: true, details: true },
  });
  if (!first) return null;
  return new Date(first.evaluatedAt.getTime() - (judgedWindowMs(first.details) ?? 0));
}

/**
 * The incident to zoom on: a target's active rollback or its latest one whose story (end, then verification)
 * ended within the last day, else null; or one given rollback, however old.
 */
export async function getIncident(db: Db, input: unknown, now: Date): Promise<IncidentDto | null> {
  const parsed = parseInput(incidentInputSchema, input);
  let row: TimelineRowData | null;
  if ("rollbackId" in parsed) {
    row = await db.rollback.findUnique({ where: { id: parsed.rollbackId }, select: timelineSelect });
    if (!row) throw new AppError("NOT_FOUND", "No such rollback");
  } else {
    const recent = new Date(now.getTime() - RECENT_INCIDENT_MS);
    const candidates = await db.rollback.findMany({
      where: {
        targetId: parsed.targetId,
        OR: [
          { endedAt: null },
          { endedAt: { gte: recent } },
          { verifiedAt: { gte: recent } },
          { verification: "PENDING" },
        ],
      },
      orderBy: [{ requestedAt: "desc" }, { id: "desc" }],
      take: 5,
      select: timelineSelect,
    });
    row = candidates.find((candidate) => isRecentIncident(candidate, now)) ?? null;
    if (!row) return null;
  }
  const [[timeline], violationFrom] = await Promise.all([timelines(db, [row]), firstViolationFrom(db, row)]);
  const range = incidentRange({
    requestedAt: row.requestedAt,
    firstViolationFrom: violationFrom,
    end: incidentEnd(row),
    now,
  });
  return { rollback: timeline!, ...range };
}
