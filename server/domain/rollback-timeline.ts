// A rollback's timeline as charts mark it (requested, approved, each traffic step, completion or end,
// verification), built from its audit events, and the incident range a chart zooms on: from the first violation
// before the request to the verification's end (or now while it runs).
import { z } from "zod";
import { limitRange, MAX_CHART_RANGE_DAYS, targetRangeShape } from "./metrics";
import type { RollbackStatus } from "./rollback";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How long after it ended (or its verification did) a rollback still opens its target's page zoomed on it. */
export const RECENT_INCIDENT_MS = DAY;
/** How far before the request the first violation of its streak is looked for. */
export const INCIDENT_LOOKBACK_MS = DAY;
/** Charts read ranges of at most 7 days (metrics.series, evaluation.periods). */
const MAX_RANGE_MS = 7 * DAY;

export const timelineRangeSchema = limitRange(z.object(targetRangeShape), MAX_CHART_RANGE_DAYS);
export const incidentInputSchema = z.union([
  z.object({ targetId: z.string().min(1).max(100) }),
  z.object({ rollbackId: z.string().min(1).max(100) }),
]);

export type TimelineEventKind = "REQUESTED" | "APPROVED" | "STEP" | "COMPLETED" | "ENDED" | "VERIFIED";

export interface TimelineEvent {
  at: Date;
  kind: TimelineEventKind;
  /** STEP: the share of traffic on the known-good snapshot from then on. */
  trafficPercent?: number;
  /** ENDED: how it ended (cancelled, aborted, rejected, expired, failed). */
  ending?: "ABORTED" | Exclude<RollbackStatus, "PENDING_APPROVAL" | "APPROVED" | "IN_PROGRESS" | "COMPLETED">;
  /** VERIFIED: EFFECTIVE, INEFFECTIVE or INCONCLUSIVE. */
  verification?: string;
}

/** The rollback's own columns the timeline falls back on, and where it ends. */
export interface TimelineRow {
  status: RollbackStatus;
  steps: readonly number[];
  requestedAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  aborted: boolean;
  verification: string | null;
  verifiedAt: Date | null;
}

/** An audit event of the rollback, as stored: `after` holds `trafficPercent` (transitions.ts auditState). */
export interface TimelineAuditEvent {
  at: Date;
  action: string;
  after: unknown;
}

const afterSchema = z.object({ trafficPercent: z.number() }).loose();

const endings: Partial<Record<string, NonNullable<TimelineEvent["ending"]>>> = {
  "rollback.cancelled": "CANCELLED",
  "rollback.aborted": "ABORTED",
  "rollback.rejected": "REJECTED",
  "rollback.expired": "EXPIRED",
  "rollback.failed": "FAILED",
  "rollback.gate_aborted": "FAILED",
};

/**
 * Oldest first. Every audit event that changed the traffic share is a STEP (a return to 0% is the end event's,
 * not a step of its own); without audit events (rows older than the audit log) the row's columns stand in.
 */
export function rollbackTimeline(row: TimelineRow, audit: readonly TimelineAuditEvent[]): TimelineEvent[] {
  const events: TimelineEvent[] = [{ at: row.requestedAt, kind: "REQUESTED" }];
  if (audit.length > 0) {
    let traffic = 0;
    for (const event of [...audit].sort((a, b) => a.at.getTime() - b.at.getTime())) {
      const after = afterSchema.safeParse(event.after);
      const percent = after.success ? after.data.trafficPercent : traffic;
      if (percent !== traffic && percent > 0) events.push({ at: event.at, kind: "STEP", trafficPercent: percent });
      traffic = percent;
      if (event.action === "rollback.approved") events.push({ at: event.at, kind: "APPROVED" });
      else if (event.action === "rollback.completed") events.push({ at: event.at, kind: "COMPLETED" });
      else if (endings[event.action]) events.push({ at: event.at, kind: "ENDED", ending: endings[event.action] });
    }
  } else {
    if (row.startedAt) events.push({ at: row.startedAt, kind: "STEP", trafficPercent: row.steps[0] ?? 100 });
    if (row.endedAt) {
      events.push(
        row.status === "COMPLETED"
          ? { at: row.endedAt, kind: "COMPLETED" }
          : {
              at: row.endedAt,
              kind: "ENDED",
              ending: row.aborted ? "ABORTED" : (row.status as NonNullable<TimelineEvent["ending"]>),
            },
      );
    }
  }
  if (row.verifiedAt && row.verification && row.verification !== "PENDING") {
    events.push({ at: row.verifiedAt, kind: "VERIFIED", verification: row.verification });
  }
  return events.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** When the rollback's story ends: its verification verdict, else its end; null while either is to come. */
export function incidentEnd(row: Pick<TimelineRow, "status" | "endedAt" | "verification" | "verifiedAt">): Date | null {
  if (row.status === "COMPLETED") {
    if (row.verification === "PENDING") return null;
    return row.verifiedAt ?? row.endedAt;
  }
  return row.endedAt;
}

/** Still to be zoomed on at `now`: running, or its story ended within RECENT_INCIDENT_MS. */
export function isRecentIncident(
  row: Pick<TimelineRow, "status" | "endedAt" | "verification" | "verifiedAt">,
  now: Date,
): boolean {
  const end = incidentEnd(row);
  return end === null || now.getTime() - end.getTime() <= RECENT_INCIDENT_MS;
}

export interface IncidentRangeInput {
  requestedAt: Date;
  /** The start of the window judged by the first violation of the streak that led to the request, if any. */
  firstViolationFrom: Date | null;
  /** incidentEnd: null while the rollback or its verification runs. */
  end: Date | null;
  now: Date;
}

/**
 * The range a chart zooms on: from the first violation's judged window (or the request) to the story's end, with a
 * margin of a tenth of it (2 min to 1 h) on each side, at least 5 min before so the normal before shows. `to` is
 * null while the story runs: the chart follows now. A `to` after now (the story ended moments ago) is for the chart
 * to stop at as now reaches it: charts never draw past now. Never over 7 days.
 */
export function incidentRange({ requestedAt, firstViolationFrom, end, now }: IncidentRangeInput): {
  from: Date;
  to: Date | null;
} {
  const requested = requestedAt.getTime();
  const start = Math.max(
    requested - INCIDENT_LOOKBACK_MS,
    Math.min(requested, firstViolationFrom?.getTime() ?? requested),
  );
  const stop = end?.getTime() ?? now.getTime();
  const margin = Math.min(HOUR, Math.max(2 * MINUTE, (stop - start) / 10));
  // Whole minutes, so a shared link reads well and stays the same link; a chart draws no further than now.
  const to = end === null ? null : Math.ceil((stop + margin) / MINUTE) * MINUTE;
  const earliest = (to ?? now.getTime()) - MAX_RANGE_MS;
  const from = Math.max(
    Math.ceil(earliest / MINUTE) * MINUTE,
    Math.floor((start - Math.max(5 * MINUTE, margin)) / MINUTE) * MINUTE,
  );
  return { from: new Date(from), to: to === null ? null : new Date(to) };
}
