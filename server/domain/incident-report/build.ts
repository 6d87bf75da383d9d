// The report itself: who decided, the step checks, the timeline, the series table, and the outcome in words.
// Pure: the service (server/services/rollbacks/incident-report.ts) loads the rows, this decides and words them.
import { columnFormat, formatSloValue, sloDefinition, sloLimit, slos, type Slo } from "../slo";
import { REPORT_TABLE_ROWS, SECOND } from "./types";
import type {
  IncidentReport,
  IncidentReportInput,
  ReportAuditEvent,
  ReportDecision,
  ReportRollback,
  ReportSeriesTable,
  ReportStepCheck,
  ReportTimelineEntry,
} from "./types";
import {
  rollbackActionTitles,
  actorDetail,
  actorName,
  armLabels,
  outcomeLabels,
  snapshotText,
  triggerLabels,
  verificationLabels,
} from "./wording";
import { externalSource, incidentMilestones, lastTrafficPercent, reportVerdict, trafficOf } from "./milestones";

const decisionRoles: Record<string, string> = {
  "rollback.created": "Requested",
  "rollback.approval_added": "Approved",
  "rollback.approved": "Approved",
  "rollback.rejected": "Rejected",
  "rollback.cancelled": "Cancelled",
  "rollback.aborted": "Aborted",
};

function decisions(audit: readonly ReportAuditEvent[]): ReportDecision[] {
  return audit.flatMap((event) => {
    const role = decisionRoles[event.action];
    if (!role) return [];
    return [
      {
        role,
        who: actorName(event.actor),
        detail: actorDetail(event.actor),
        at: event.at,
        // The request's reason is the rollback's, shown in the summary; a decision's comment is its own.
        comment: event.action === "rollback.created" ? null : event.reason,
      },
    ];
  });
}

function armLine(arm: ReportStepCheck["arms"][number]): string {
  const readings = slos
    .filter((slo) => slo.shownWithoutData || arm.readings[slo.reading] !== null)
    .map((slo) => `${slo.label} ${formatSloValue(slo.id, arm.readings[slo.reading])}`)
    .join(", ");
  const name = `${armLabels[arm.arm] ?? arm.arm}${arm.version === null ? "" : ` (v${arm.version})`}`;
  return `${name}: ${arm.requestCount.toLocaleString("en-US")} requests, ${readings}`;
}

function comparisonLine(comparison: ReportStepCheck["comparisons"][number]): string {
  const title = sloDefinition(comparison.slo).title;
  const pValue = comparison.pValue === null ? "" : `, p = ${comparison.pValue.toPrecision(2)}`;
  const worse =
    comparison.worse === "KNOWN_GOOD"
      ? "known-good worse"
      : comparison.worse === "CURRENT"
        ? "current worse"
        : "no significant difference";
  return (
    `${title}: known-good ${formatSloValue(comparison.slo, comparison.knownGood)} against current ` +
    `${formatSloValue(comparison.slo, comparison.current)} (${worse}${pValue})`
  );
}

function timeline(input: IncidentReportInput): ReportTimelineEntry[] {
  const { rollback } = input;
  const to = snapshotText(rollback.toSnapshot);
  let traffic = 0;
  const events = input.audit.map((event): ReportTimelineEntry => {
    const percent = trafficOf(event);
    const details: string[] = [];
    if (percent !== null && percent !== traffic) details.push(`Traffic on ${to}: ${traffic}% → ${percent}%`);
    if (percent !== null) traffic = percent;
    if (event.reason) details.push(event.reason);
    return {
      at: event.at,
      kind: "EVENT",
      title: rollbackActionTitles[event.action] ?? event.action,
      by: actorName(event.actor),
      details,
    };
  });
  const checks = input.stepChecks.map((check): ReportTimelineEntry => ({
    at: check.checkedAt,
    kind: "STEP_CHECK",
    title: `Step check at ${check.trafficPercent}%: ${outcomeLabels[check.outcome] ?? check.outcome}`,
    by: null,
    details: [
      ...check.arms.map(armLine),
      ...check.comparisons.map(comparisonLine),
      ...(check.explanation ? [check.explanation] : []),
    ],
  }));
  const notifications = input.notifications.map((notification): ReportTimelineEntry => ({
    at: notification.at,
    kind: "NOTIFICATION",
    title: `Notified (${notification.severity.toLowerCase()}): ${notification.title}`,
    by: null,
    details: !notification.dispatched
      ? ["Not sent to the channels yet"]
      : notification.deliveries.length === 0
        ? ["No channel was configured to receive it"]
        : [
            notification.deliveries
              .map(
                (delivery) => `${channelNames[delivery.channel] ?? delivery.channel} ${delivery.status.toLowerCase()}`,
              )
              .join(", "),
          ],
  }));
  // Stable: an event and the check or notification it caused share a time; the event comes first.
  const order = { EVENT: 0, STEP_CHECK: 1, NOTIFICATION: 2 } as const;
  return [...events, ...checks, ...notifications].sort(
    (a, b) => a.at.getTime() - b.at.getTime() || order[a.kind] - order[b.kind],
  );
}

const channelNames: Record<string, string> = { SLACK: "Slack", PAGERDUTY: "PagerDuty", WEBHOOK: "Webhook" };

/**
 * The step of the Markdown's series table: the shortest of 10 s, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6, 12 h
 * and 1 d that is a whole number of buckets and keeps the range within `maxRows` rows; else whole buckets.
 */
export function reportSeriesStep(
  range: { from: number; to: number },
  bucketWidthMs: number,
  maxRows = REPORT_TABLE_ROWS,
) {
  const candidates = [10, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400].map(
    (seconds) => seconds * SECOND,
  );
  const rows = (stepMs: number) => Math.ceil((range.to - Math.floor(range.from / stepMs) * stepMs) / stepMs);
  const fits = candidates.find((stepMs) => stepMs % bucketWidthMs === 0 && rows(stepMs) <= maxRows);
  if (fits !== undefined) return fits;
  let stepMs = Math.max(1, Math.ceil((range.to - range.from) / bucketWidthMs / maxRows)) * bucketWidthMs;
  while (rows(stepMs) > maxRows) stepMs += bucketWidthMs;
  return stepMs;
}

function seriesTable(input: IncidentReportInput): ReportSeriesTable {
  const { series, thresholds } = input;
  const shown = slos.filter(
    (slo) => slo.shownWithoutData || series.points.some((point) => point[slo.reading] !== null),
  );
  const limits = Object.fromEntries(
    shown.map((slo) => [slo.id, thresholds ? sloLimit(thresholds, slo.id) : null]),
  ) as Partial<Record<Slo, number | null>>;
  const formats = new Map(
    shown.map((slo) => [
      slo.id,
      columnFormat(slo.unit, [...series.points.map((point) => point[slo.reading]), limits[slo.id] ?? null]),
    ]),
  );
  return {
    from: series.from,
    to: series.to,
    stepMs: series.stepMs,
    slos: shown.map((slo) => slo.id),
    limits,
    rows: series.points.map((point) => ({
      start: point.start,
      requestCount: point.requestCount,
      cells: shown.map((slo) => {
        const value = point[slo.reading];
        const limit = limits[slo.id] ?? null;
        return {
          slo: slo.id,
          value: formats.get(slo.id)!(value),
          over: value !== null && limit !== null && value > limit,
        };
      }),
    })),
  };
}

function kindOf(rollback: ReportRollback, from: string, to: string): string {
  switch (rollback.status) {
    case "COMPLETED":
      return (
        `A completed rollback: all traffic moved from ${from} to the known-good ${to}. ` +
        "It covers the incident from the first violation to the verification of the rollback."
      );
    case "FAILED":
      return (
        `A failed rollback: traffic went back to ${from}, so the incident was not resolved by it. ` +
        "It records what was tried and why it stopped."
      );
    case "CANCELLED":
      return rollback.aborted
        ? `An aborted rollback: stopped while in progress, with all traffic back on ${from}. It records how far it went and why it stopped.`
        : `A cancelled rollback: withdrawn before any traffic moved, so ${from} stayed current. It records the proposal and why it was dropped.`;
    case "REJECTED":
      return `A rejected proposal: an approver turned it down and ${from} stayed current. It records the evidence and the decision.`;
    case "EXPIRED":
      return `An expired proposal: no one approved it in time and ${from} stayed current. It records the evidence and the wait.`;
    default:
      return "A rollback still in progress: the report is provisional until it ends.";
  }
}

function outcomeOf(rollback: ReportRollback, from: string, to: string, lastTraffic: number | null): string {
  switch (rollback.status) {
    case "COMPLETED":
      return `Completed: ${to} became the current configuration and ${from} was marked failed.`;
    case "FAILED":
      return `Failed${rollback.endReason ? ` (${rollback.endReason})` : ""}: all traffic went back to ${from}.`;
    case "CANCELLED":
      return rollback.aborted
        ? `Aborted${lastTraffic ? ` at ${lastTraffic}%` : ""}: all traffic went back to ${from}.`
        : `Cancelled before any traffic moved: ${from} stayed current.`;
    case "REJECTED":
      return `Rejected: ${from} stayed current.`;
    case "EXPIRED":
      return `Expired waiting for approval: ${from} stayed current.`;
    default:
      return "Still in progress.";
  }
}

export function buildIncidentReport(input: IncidentReportInput): IncidentReport {
  const { rollback } = input;
  const from = snapshotText(rollback.fromSnapshot);
  const to = snapshotText(rollback.toSnapshot);
  const latest = input.streak.at(-1);
  const source = rollback.trigger !== "MANUAL" && latest !== undefined ? externalSource(latest.details) : null;
  const external = source !== null;
  const shown = input.streak.map(reportVerdict);
  return {
    rollbackId: rollback.id,
    target: rollback.target,
    status: rollback.status,
    kind: kindOf(rollback, from, to),
    outcome: outcomeOf(rollback, from, to, lastTrafficPercent(input.audit)),
    trigger: {
      code: rollback.trigger,
      external,
      label: external
        ? `${rollback.trigger === "EMERGENCY" ? "Emergency, from an external alert" : "External alert"} (${source})`
        : triggerLabels[rollback.trigger],
    },
    from,
    to,
    verification: {
      code: rollback.verification,
      label: rollback.verification
        ? (verificationLabels[rollback.verification] ?? rollback.verification)
        : rollback.status === "COMPLETED"
          ? "Not verified"
          : "Not verified: the rollback did not complete",
      at: rollback.verifiedAt,
    },
    reason: rollback.reason,
    endReason: rollback.endReason,
    policyVersion: rollback.policyVersion,
    ...incidentMilestones(input),
    triggeringVerdicts: {
      total: Math.max(input.streakTotal, shown.length),
      shown,
      omitted: Math.max(0, input.streakTotal - shown.length),
    },
    decisions: decisions(input.audit),
    timeline: timeline(input),
    series: seriesTable(input),
    generatedAt: input.generatedAt,
  };
}
