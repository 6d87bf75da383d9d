// The incident report of an ended rollback (rules and words: server/domain/incident-report.ts, Markdown:
// incident-report/markdown.ts): everything it needs read in a fixed number of queries, with explicit selects, and
// the target's series over the incident for the page's charts and the Markdown's table.
import "server-only";
import type { Db, Prisma } from "../../db";
import { AppError } from "../../domain/errors";
import {
  buildIncidentReport,
  incidentReportFileName,
  incidentReportInputSchema,
  renderIncidentMarkdown,
  reportSeriesStep,
  STREAK_SHOWN_EACH_END,
  type IncidentReport,
  type ReportActor,
  type ReportSeriesPoint,
} from "../../domain/incident-report";
import { bucketStart, chartStepMs, downsampleSeries } from "../../domain/metrics";
import { defaultPolicy, policySchema } from "../../domain/policy";
import { isActive } from "../../domain/rollback";
import {
  INCIDENT_LOOKBACK_MS,
  incidentEnd,
  incidentRange,
  rollbackTimeline,
  type TimelineEvent,
} from "../../domain/rollback-timeline";
import { pickReadings, slos, sloLimit, type Slo } from "../../domain/slo";
import { judgedPeriods, judgedWindowMs, type VerdictPeriod } from "../../domain/verdict-periods";
import { principals } from "../audit/principals";
import { loadStepSeries } from "../metrics/chart-series";
import { parseInput } from "../platform/validation";
import { stepsSchema } from "./rows";
import { loadStepChecks } from "./step-checks";

/** The page's charts draw at most this many points (the rollback page's evidence chart draws as many). */
const CHART_POINTS = 240;
/** A verdict recorded this long after the range may still have judged some of it (the longest window allowed). */
const MAX_WINDOW_MS = 86_400_000;

const reportRollbackSelect = {
  id: true,
  targetId: true,
  trigger: true,
  status: true,
  aborted: true,
  steps: true,
  approvalsRequired: true,
  requestedAt: true,
  startedAt: true,
  endedAt: true,
  reason: true,
  endReason: true,
  verification: true,
  verifiedAt: true,
  policyVersion: true,
  fromSnapshotId: true,
  toSnapshotId: true,
  target: { select: { id: true, slug: true, name: true } },
} satisfies Prisma.RollbackSelect;

const auditSelect = {
  at: true,
  action: true,
  actorType: true,
  actorId: true,
  after: true,
  reason: true,
} satisfies Prisma.AuditEventSelect;

const verdictSelect = { evaluatedAt: true, details: true } satisfies Prisma.VerdictRecordSelect;

export interface IncidentChartDto {
  from: Date;
  to: Date;
  stepMs: number;
  points: ReportSeriesPoint[];
  /** Violation and breach periods over the range, from the verdicts' judged windows. */
  periods: VerdictPeriod[];
  /** The rollback's moments, for the charts' markers (rollback-markers.ts timelineMarkers). */
  rollback: {
    id: string;
    trigger: IncidentReport["trigger"]["code"];
    status: IncidentReport["status"];
    requestedAt: Date;
    events: TimelineEvent[];
  };
  /** Each SLO's policy limit; null where the policy does not judge it. */
  limits: Partial<Record<Slo, number | null>>;
}

export interface IncidentReportDto {
  report: IncidentReport;
  markdown: string;
  /** incident-<target slug>-<rollback id>.md */
  fileName: string;
  chart: IncidentChartDto;
}

/** Audit actors with names (audit/principals.ts resolves users and keys in bulk); the command line by who ran it. */
async function actorsOf(
  db: Db,
  events: readonly { actorType: string; actorId: string | null }[],
): Promise<(event: { actorType: string; actorId: string | null }) => ReportActor> {
  const principalOf = await principals(
    db,
    events.map((event) => (event.actorType === "SYSTEM" ? null : event.actorId)),
  );
  return ({ actorType, actorId }) => {
    const principal = actorType === "SYSTEM" ? null : principalOf(actorId);
    if (actorType === "USER") {
      return principal?.type === "USER"
        ? { type: "USER", name: principal.name, email: principal.email }
        : { type: "USER", name: null, email: null };
    }
    if (actorType === "API_KEY")
      return { type: "API_KEY", name: principal?.type === "API_KEY" ? principal.name : null };
    if (actorId?.startsWith("cli:")) return { type: "COMMAND_LINE", via: actorId.slice("cli:".length) };
    return { type: "SYSTEM" };
  };
}

/** The target's all-traffic series over the range at `stepMs`, as chart points (metrics.series' shape). */
async function seriesOf(
  db: Db,
  targetId: string,
  range: { from: number; to: number },
  steps: { stepMs: number; bucketWidthMs: number },
) {
  const { stepMs } = steps;
  const buckets =
    (
      await loadStepSeries(db, {
        targetIds: [targetId],
        from: new Date(bucketStart(range.from, stepMs)),
        to: new Date(range.to),
        ...steps,
      })
    ).get(targetId) ?? [];
  return downsampleSeries(buckets, range, stepMs).map((point): ReportSeriesPoint => ({
    start: new Date(point.from),
    requestCount: point.requestCount,
    ...pickReadings(point),
  }));
}

/**
 * The report of an ended rollback (completed, failed, cancelled, rejected or expired). NOT_FOUND for an unknown
 * id; CONFLICT while it is still active, since its durations and outcome are not known yet.
 */
export async function getIncidentReport(
  db: Db,
  input: unknown,
  { now, bucketWidthMs }: { now: Date; bucketWidthMs: number },
): Promise<IncidentReportDto> {
  const { rollbackId } = parseInput(incidentReportInputSchema, input);
  const row = await db.rollback.findUnique({ where: { id: rollbackId }, select: reportRollbackSelect });
  if (!row) throw new AppError("NOT_FOUND", "No such rollback");
  if (isActive(row.status)) {
    throw new AppError("CONFLICT", "This rollback has not ended: its incident report is written once it ends");
  }
  const { targetId, requestedAt } = row;
  const since = new Date(requestedAt.getTime() - INCIDENT_LOOKBACK_MS);

  const [snapshots, audit, stepChecks, notifications, calm, oldest, policyRow, firstHealthy] = await Promise.all([
    db.configSnapshot.findMany({
      where: { id: { in: [row.fromSnapshotId, row.toSnapshotId] } },
      select: { id: true, version: true, label: true },
    }),
    db.auditEvent.findMany({
      where: { entityType: "Rollback", entityId: row.id },
      orderBy: { sequence: "asc" },
      select: auditSelect,
    }),
    loadStepChecks(db, [row.id]),
    db.notification.findMany({
      // config.changed tells orchestrators to re-read their configuration: the steps already say it to people.
      where: { rollbackId: row.id, event: { not: "config.changed" } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: {
        createdAt: true,
        event: true,
        severity: true,
        title: true,
        dispatchedAt: true,
        deliveries: { select: { channel: true, status: true }, orderBy: { createdAt: "asc" } },
      },
    }),
    // The streak that led to the request began after the last calm verdict before it (timeline.ts does the same).
    db.verdictRecord.findFirst({
      where: {
        targetId,
        status: { in: ["HEALTHY", "INSUFFICIENT_DATA"] },
        evaluatedAt: { gte: since, lte: requestedAt },
      },
      orderBy: { evaluatedAt: "desc" },
      select: { evaluatedAt: true },
    }),
    db.verdictRecord.findFirst({ where: { targetId }, orderBy: { evaluatedAt: "asc" }, select: { evaluatedAt: true } }),
    db.policy.findFirst({
      where: { targetId, ...(row.policyVersion === null ? {} : { version: row.policyVersion }) },
      orderBy: { version: "desc" },
      select: { config: true },
    }),
    row.status === "COMPLETED" && row.endedAt
      ? db.verdictRecord.findFirst({
          where: { targetId, status: "HEALTHY", evaluatedAt: { gte: row.endedAt } },
          orderBy: { evaluatedAt: "asc" },
          select: { evaluatedAt: true },
        })
      : null,
  ]);

  const streakWhere = {
    targetId,
    status: { in: ["VIOLATION", "BREACH"] },
    evaluatedAt: { gt: calm?.evaluatedAt ?? since, lte: requestedAt },
  } satisfies Prisma.VerdictRecordWhereInput;
  const [streakTotal, streakFirst, streakLast] = await Promise.all([
    db.verdictRecord.count({ where: streakWhere }),
    db.verdictRecord.findMany({
      where: streakWhere,
      orderBy: { evaluatedAt: "asc" },
      take: STREAK_SHOWN_EACH_END,
      select: verdictSelect,
    }),
    db.verdictRecord.findMany({
      where: streakWhere,
      orderBy: { evaluatedAt: "desc" },
      take: STREAK_SHOWN_EACH_END,
      select: verdictSelect,
    }),
  ]);
  // The first and last ten, each verdict once.
  const streak = [...streakFirst, ...streakLast.reverse()].filter(
    (verdict, index, all) =>
      all.findIndex((other) => other.evaluatedAt.getTime() === verdict.evaluatedAt.getTime()) === index,
  );

  const firstViolation = streak[0];
  const zoom = incidentRange({
    requestedAt,
    firstViolationFrom: firstViolation
      ? new Date(firstViolation.evaluatedAt.getTime() - (judgedWindowMs(firstViolation.details) ?? 0))
      : null,
    end: incidentEnd(row),
    now,
  });
  // Never past now: a story that ended moments ago has a margin still to come.
  const to = Math.min(zoom.to?.getTime() ?? now.getTime(), now.getTime());
  const range = { from: zoom.from.getTime(), to: Math.max(to, zoom.from.getTime() + bucketWidthMs) };
  const tableStep = reportSeriesStep(range, bucketWidthMs);
  const chartStep = chartStepMs(range, bucketWidthMs, CHART_POINTS);

  const [actorOf, tablePoints, chartPoints, judged] = await Promise.all([
    actorsOf(db, audit),
    seriesOf(db, targetId, range, { stepMs: tableStep, bucketWidthMs }),
    seriesOf(db, targetId, range, { stepMs: chartStep, bucketWidthMs }),
    db.verdictRecord.findMany({
      where: {
        targetId,
        status: { in: ["VIOLATION", "BREACH"] },
        evaluatedAt: { gt: new Date(range.from), lt: new Date(range.to + MAX_WINDOW_MS) },
      },
      orderBy: { evaluatedAt: "asc" },
      select: { evaluatedAt: true, status: true, severity: true, details: true },
    }),
  ]);

  const parsedPolicy = policyRow ? policySchema.safeParse(policyRow.config) : null;
  const policy = parsedPolicy === null ? defaultPolicy : parsedPolicy.success ? parsedPolicy.data : null;
  const snapshotOf = (id: string) => {
    const snapshot = snapshots.find((candidate) => candidate.id === id);
    return { version: snapshot?.version ?? null, label: snapshot?.label ?? null };
  };
  const steps = stepsSchema.catch([100]).parse(row.steps);

  const report = buildIncidentReport({
    rollback: {
      ...row,
      steps,
      target: { slug: row.target.slug, name: row.target.name },
      fromSnapshot: snapshotOf(row.fromSnapshotId),
      toSnapshot: snapshotOf(row.toSnapshotId),
    },
    audit: audit.map((event) => ({
      at: event.at,
      action: event.action,
      actor: actorOf(event),
      after: event.after,
      reason: event.reason,
    })),
    streak,
    streakTotal,
    verdictsKeptFrom: oldest?.evaluatedAt ?? null,
    firstHealthyAfterCompletion: firstHealthy?.evaluatedAt ?? null,
    stepChecks: stepChecks.get(row.id) ?? [],
    notifications: notifications.map((notification) => ({
      at: notification.createdAt,
      event: notification.event,
      severity: notification.severity,
      title: notification.title,
      dispatched: notification.dispatchedAt !== null,
      deliveries: notification.deliveries,
    })),
    thresholds: policy,
    series: { from: new Date(range.from), to: new Date(range.to), stepMs: tableStep, points: tablePoints },
    generatedAt: now,
  });

  return {
    report,
    markdown: renderIncidentMarkdown(report),
    fileName: incidentReportFileName(row.target.slug, row.id),
    chart: {
      from: new Date(range.from),
      to: new Date(range.to),
      stepMs: chartStep,
      points: chartPoints,
      periods: judgedPeriods(
        judged.flatMap(({ details, ...verdict }) => {
          const windowMs = judgedWindowMs(details);
          return windowMs === null ? [] : [{ ...verdict, windowMs }];
        }),
        { from: new Date(range.from), to: new Date(range.to) },
      ),
      rollback: {
        id: row.id,
        trigger: row.trigger,
        status: row.status,
        requestedAt,
        events: rollbackTimeline({ ...row, steps }, audit),
      },
      limits: Object.fromEntries(slos.map((slo) => [slo.id, policy ? sloLimit(policy, slo.id) : null])),
    },
  };
}
