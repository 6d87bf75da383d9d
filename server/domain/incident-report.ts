// The incident report of an ended rollback, as a team lead would write it for the postmortem: what happened
// (target, trigger, snapshots, outcome, verification), how long each stage took from the first violation, the
// timeline, the verdicts that triggered it, who decided, and the target's series around it; and its Markdown.
// Pure: the service (server/services/rollbacks/incident-report.ts) loads the rows, this decides and words them.
import { z } from "zod";
import { verdictSchema, type SloViolation } from "./evaluation";
import { isActive, type RollbackStatus, type RollbackTrigger } from "./rollback";
import {
  columnFormat,
  formatSloValue,
  sloDefinition,
  sloLimit,
  slos,
  type Slo,
  type SloReadings,
  type SloThreshold,
} from "./slo";

export const incidentReportInputSchema = z.object({ rollbackId: z.string().min(1).max(100) });

const SECOND = 1_000;

/** The Markdown's series table has at most this many rows. */
export const REPORT_TABLE_ROWS = 30;
/** Triggering verdicts listed: the first and the last of the streak, this many of each. */
export const STREAK_SHOWN_EACH_END = 10;

// ---------------------------------------------------------------------------------------------------------------
// Input: the rows the service loads, already joined to names.

/** Who acted, as the report names them. A user or key deleted since has no name. */
export type ReportActor =
  | { type: "USER"; name: string | null; email: string | null }
  | { type: "API_KEY"; name: string | null }
  /** A command run on Rewind's host (`cli:alice@host` in the audit): `via` is alice@host. */
  | { type: "COMMAND_LINE"; via: string }
  | { type: "SYSTEM" };

export interface SnapshotRef {
  /** Null when the snapshot was deleted. */
  version: number | null;
  label: string | null;
}

export interface ReportRollback {
  id: string;
  trigger: RollbackTrigger;
  status: RollbackStatus;
  aborted: boolean;
  steps: readonly number[];
  /** 0: started without approval (automatic or emergency). */
  approvalsRequired: number;
  requestedAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  reason: string | null;
  endReason: string | null;
  verification: string | null;
  verifiedAt: Date | null;
  policyVersion: number | null;
  target: { slug: string; name: string };
  fromSnapshot: SnapshotRef;
  toSnapshot: SnapshotRef;
}

/** One of the rollback's audit events, oldest first; `after` holds `trafficPercent` (transitions.ts auditState). */
export interface ReportAuditEvent {
  at: Date;
  action: string;
  actor: ReportActor;
  after: unknown;
  reason: string | null;
}

/** A stored verdict: `details` is the domain Verdict, plus `source` for one from an external alert source. */
export interface ReportVerdictRow {
  evaluatedAt: Date;
  details: unknown;
}

/** A step gate's check as recorded (RollbackStepCheck, parsed). */
export interface ReportStepCheck {
  checkedAt: Date;
  step: number;
  trafficPercent: number;
  outcome: string;
  perArm: boolean;
  arms: readonly { arm: string; version: number | null; requestCount: number; readings: SloReadings }[];
  comparisons: readonly {
    slo: Slo;
    knownGood: number | null;
    current: number | null;
    pValue: number | null;
    worse: "KNOWN_GOOD" | "CURRENT" | null;
  }[];
  explanation: string;
}

export interface ReportNotification {
  at: Date;
  event: string;
  severity: string;
  title: string;
  /** False until the notifier has handed it to the channels configured then. */
  dispatched: boolean;
  /** Each channel lane's delivery: SLACK, PAGERDUTY, WEBHOOK and PENDING, DELIVERED or DEAD. */
  deliveries: readonly { channel: string; status: string }[];
}

export interface ReportSeriesPoint extends SloReadings {
  start: Date;
  requestCount: number;
}

export interface IncidentReportInput {
  rollback: ReportRollback;
  audit: readonly ReportAuditEvent[];
  /**
   * The violating verdicts of the streak that led to the request (after the last calm verdict, within a day before
   * it), oldest first: all of them, or the first and last STREAK_SHOWN_EACH_END when `streakTotal` is larger.
   */
  streak: readonly ReportVerdictRow[];
  streakTotal: number;
  /** The target's oldest verdict still kept (the history keeps the newest 1,000), null for none. */
  verdictsKeptFrom: Date | null;
  /** The first HEALTHY verdict recorded after the rollback completed, null for none (or not completed). */
  firstHealthyAfterCompletion: Date | null;
  stepChecks: readonly ReportStepCheck[];
  notifications: readonly ReportNotification[];
  /** The policy's limits the incident was judged by, null when its policy no longer parses. */
  thresholds: Partial<Record<SloThreshold, number>> | null;
  /** The target's series around the incident, at the step of reportSeriesStep. */
  series: { from: Date; to: Date; stepMs: number; points: readonly ReportSeriesPoint[] };
  generatedAt: Date;
}

// ---------------------------------------------------------------------------------------------------------------
// Output: the report, as the page shows it and the Markdown writes it.

export type MilestoneKey = "REQUESTED" | "APPROVED" | "COMPLETED" | "RECOVERED";

export interface Milestone {
  key: MilestoneKey;
  label: string;
  /** Null when the point is missing: `note` says why. */
  at: Date | null;
  /** From the first violation; null when either point is missing. */
  sinceViolationMs: number | null;
  /** From the request; null when the point is missing. */
  sinceRequestMs: number | null;
  /** What the point is (e.g. which verdict), or why it is missing. */
  note: string | null;
}

export interface ReportVerdict {
  at: Date;
  /** "Violation", "Breach (critical)", "Breach (emergency)". */
  level: string;
  external: boolean;
  /** "1 min", "Alertmanager alert". */
  window: string;
  requestCount: number | null;
  explanation: string;
  violations: { slo: Slo; title: string; observed: string; threshold: string; window: string }[];
}

export interface ReportDecision {
  /** "Requested", "Approved", "Rejected", "Cancelled", "Aborted". */
  role: string;
  who: string;
  /** The user's email, where a user acted. */
  detail: string | null;
  at: Date;
  comment: string | null;
}

export interface ReportTimelineEntry {
  at: Date;
  kind: "EVENT" | "STEP_CHECK" | "NOTIFICATION";
  title: string;
  /** Who acted (events), or null. */
  by: string | null;
  details: string[];
}

export interface ReportSeriesTable {
  from: Date;
  to: Date;
  stepMs: number;
  /** The SLOs with a column: every SLO shown without data, and the others when some row has a reading. */
  slos: Slo[];
  /** Per SLO, its policy limit (null: not judged). */
  limits: Partial<Record<Slo, number | null>>;
  rows: { start: Date; requestCount: number; cells: { slo: Slo; value: string; over: boolean }[] }[];
}

export interface IncidentReport {
  rollbackId: string;
  target: { slug: string; name: string };
  status: RollbackStatus;
  /** What this report is, for this ending (a completed rollback, a failed one, a proposal not carried out…). */
  kind: string;
  /** One sentence on how it ended. */
  outcome: string;
  trigger: { code: RollbackTrigger; external: boolean; label: string };
  from: string;
  to: string;
  verification: { code: string | null; label: string; at: Date | null };
  reason: string | null;
  endReason: string | null;
  policyVersion: number | null;
  firstViolation: { at: Date; judgedFrom: Date } | null;
  /** Why there is no first violation to measure from, when there is none. */
  firstViolationMissing: string | null;
  milestones: Milestone[];
  triggeringVerdicts: { total: number; shown: ReportVerdict[]; omitted: number };
  decisions: ReportDecision[];
  timeline: ReportTimelineEntry[];
  series: ReportSeriesTable;
  generatedAt: Date;
}

// ---------------------------------------------------------------------------------------------------------------
// Words.

/** "2027-05-01 03:02:10 UTC": a postmortem is read across time zones. */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "0 s", "45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h": two units at most; "—" for none. */
export function formatReportDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return "—";
  const seconds = Math.round(Math.abs(ms) / SECOND);
  const units: [number, string][] = [
    [Math.floor(seconds / 86_400), "d"],
    [Math.floor((seconds % 86_400) / 3_600), "h"],
    [Math.floor((seconds % 3_600) / 60), "min"],
    [seconds % 60, "s"],
  ];
  const first = units.findIndex(([value]) => value > 0);
  if (first === -1) return "0 s";
  const text = units
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(" ");
  return ms < 0 ? `−${text}` : text;
}

export function actorName(actor: ReportActor): string {
  switch (actor.type) {
    case "USER":
      return actor.name || actor.email || "A deleted user";
    case "API_KEY":
      return actor.name ? `API key “${actor.name}”` : "A deleted API key";
    case "COMMAND_LINE":
      return "Command line";
    case "SYSTEM":
      return "Rewind";
  }
}

function actorDetail(actor: ReportActor): string | null {
  if (actor.type === "USER") return actor.name ? actor.email : null;
  if (actor.type === "COMMAND_LINE") return actor.via;
  if (actor.type === "SYSTEM") return "automatic";
  return null;
}

export function snapshotText(snapshot: SnapshotRef): string {
  if (snapshot.version === null) return "a deleted snapshot";
  return snapshot.label ? `v${snapshot.version} “${snapshot.label}”` : `v${snapshot.version}`;
}

const triggerLabels: Record<RollbackTrigger, string> = {
  SLO: "SLO breach",
  EMERGENCY: "Emergency",
  MANUAL: "Manual",
};

const verificationLabels: Record<string, string> = {
  EFFECTIVE: "Effective: the known-good snapshot's traffic was judged healthy",
  INEFFECTIVE: "Ineffective: the target still breached on the known-good snapshot",
  INCONCLUSIVE: "Inconclusive: too little traffic to judge",
  PENDING: "Pending: the verification window is still open",
};

/** Audit actions of a rollback, as the timeline names them. */
const actionTitles: Record<string, string> = {
  "rollback.created": "Requested",
  "rollback.approval_added": "Approval added",
  "rollback.approved": "Approved",
  "rollback.rejected": "Rejected",
  "rollback.cancelled": "Cancelled",
  "rollback.started": "Started: traffic moved",
  "rollback.step_advanced": "Next step",
  "rollback.jumped_to_full": "Jumped to 100% (the step check found the current snapshot worse)",
  "rollback.step_held": "Step held: not enough traffic to compare the arms",
  "rollback.advanced_after_holds": "Next step without a comparison (held too long)",
  "rollback.gate_aborted": "Stopped: the known-good snapshot was worse; traffic back to the snapshot from before",
  "rollback.completed": "Completed",
  "rollback.aborted": "Aborted: traffic back to the snapshot from before",
  "rollback.expired": "Expired",
  "rollback.failed": "Failed",
  "rollback.verified": "Verified effective",
  "rollback.ineffective": "Verified ineffective",
  "rollback.inconclusive": "Verification inconclusive",
};

const outcomeLabels: Record<string, string> = {
  ADVANCE: "advance",
  HOLD: "hold (too little traffic)",
  FAST_FORWARD: "jump to 100% (the current snapshot is worse)",
  ABORT: "abort (the known-good snapshot is worse)",
};

const armLabels: Record<string, string> = {
  KNOWN_GOOD: "Known-good",
  CURRENT: "Current",
  BEFORE_STEP: "Before the step",
  SINCE_STEP: "Since the step",
};

/** A window of seconds in words: "1 min", "90 s", "2 h". */
function windowText(seconds: number): string {
  if (seconds >= 3_600 && seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

// ---------------------------------------------------------------------------------------------------------------
// Rules.

/**
 * A verdict from an external alert source records `source` beside the domain verdict (services/intake: Alertmanager,
 * CloudWatch through SNS); the cycle's verdicts have none. Its name as people know it, or the source as recorded.
 */
const externalSchema = z.object({ source: z.string().min(1) }).loose();
const sourceNames: Record<string, string> = { alertmanager: "Alertmanager", cloudwatch: "CloudWatch" };

function externalSource(details: unknown): string | null {
  const parsed = externalSchema.safeParse(details);
  return parsed.success ? (sourceNames[parsed.data.source] ?? parsed.data.source) : null;
}

function violationsOf(details: unknown): { verdict: z.infer<typeof verdictSchema> | null } {
  const parsed = verdictSchema.safeParse(details);
  return { verdict: parsed.success ? parsed.data : null };
}

/** The verdict's judged window starts this long before it was recorded. */
function judgedWindowMs(details: unknown): number {
  const { verdict } = violationsOf(details);
  return verdict ? verdict.observed.windowSeconds * SECOND : 0;
}

function reportVerdict(row: ReportVerdictRow): ReportVerdict {
  const { verdict } = violationsOf(row.details);
  const source = externalSource(row.details);
  const external = source !== null;
  if (!verdict) {
    return {
      at: row.evaluatedAt,
      level: "Unreadable verdict",
      external,
      window: "—",
      requestCount: null,
      explanation: "",
      violations: [],
    };
  }
  const level =
    verdict.status === "BREACH"
      ? `Breach (${verdict.severity.toLowerCase()})`
      : verdict.status === "VIOLATION"
        ? "Violation"
        : verdict.status === "HEALTHY"
          ? "Healthy"
          : "Insufficient data";
  const violations: SloViolation[] = "violations" in verdict ? verdict.violations : [];
  return {
    at: row.evaluatedAt,
    level,
    external,
    window: source !== null ? `${source} alert` : windowText(verdict.observed.windowSeconds),
    requestCount: external ? null : verdict.observed.requestCount,
    explanation: verdict.explanation,
    violations: violations.map((violation) => {
      // An alert rule that passes no value or threshold annotations reports 0 for both: nothing measured.
      const reported = !(external && violation.observed === 0 && violation.threshold === 0);
      return {
        slo: violation.slo,
        title: sloDefinition(violation.slo).title,
        observed: reported ? formatSloValue(violation.slo, violation.observed) : "not reported",
        threshold: reported ? formatSloValue(violation.slo, violation.threshold) : "not reported",
        window:
          violation.windowSeconds > 0 ? `over ${windowText(violation.windowSeconds)}` : "as the alert reported it",
      };
    }),
  };
}

const endingWords: Partial<Record<RollbackStatus, string>> = {
  REJECTED: "it was rejected",
  CANCELLED: "it was cancelled",
  EXPIRED: "it expired waiting for approval",
  FAILED: "it failed",
};

/** Why the rollback has no completion: "it was aborted at 50%", "it was rejected"… */
function notCompleted(rollback: ReportRollback, lastTraffic: number | null): string {
  if (isActive(rollback.status)) return "it has not ended yet";
  if (rollback.aborted) return `it was aborted${lastTraffic ? ` at ${lastTraffic}%` : ""}`;
  return endingWords[rollback.status] ?? "it did not complete";
}

/** The moment the approvals were complete: the `rollback.approved` event (the last approval needed). */
function approvedAt(audit: readonly ReportAuditEvent[]): Date | null {
  return audit.find((event) => event.action === "rollback.approved")?.at ?? null;
}

function firstViolationMissing(input: IncidentReportInput): string {
  const { rollback, verdictsKeptFrom } = input;
  if (rollback.trigger === "MANUAL") {
    return "no violating verdict came before the request: it was requested by hand";
  }
  if (verdictsKeptFrom === null || verdictsKeptFrom.getTime() > rollback.requestedAt.getTime()) {
    return "the target's verdicts from before the request are no longer kept";
  }
  return "no violating verdict was recorded in the day before the request";
}

function recovery(input: IncidentReportInput, lastTraffic: number | null): { at: Date | null; note: string } {
  const { rollback, firstHealthyAfterCompletion } = input;
  const to = snapshotText(rollback.toSnapshot);
  if (rollback.status !== "COMPLETED") {
    return {
      at: null,
      note: `not measured: ${notCompleted(rollback, lastTraffic)}, so no recovery can be credited to it`,
    };
  }
  if (rollback.verification === "INEFFECTIVE") {
    return { at: null, note: `not recovered: the verification found the target still breaching on ${to}` };
  }
  if (firstHealthyAfterCompletion) {
    return { at: firstHealthyAfterCompletion, note: "the first healthy verdict after completion" };
  }
  if (rollback.verification === "EFFECTIVE" && rollback.verifiedAt) {
    return { at: rollback.verifiedAt, note: "the verification's EFFECTIVE verdict (no healthy verdict is kept)" };
  }
  if (rollback.verification === "PENDING") {
    return { at: null, note: "no healthy verdict yet: the verification window is still open" };
  }
  return { at: null, note: "no healthy verdict after completion: too little traffic to judge" };
}

/** The four headline points and their durations from the first violation and from the request. */
export function incidentMilestones(input: IncidentReportInput): {
  firstViolation: IncidentReport["firstViolation"];
  firstViolationMissing: string | null;
  milestones: Milestone[];
} {
  const { rollback, audit } = input;
  const first = input.streak[0];
  const firstViolation = first
    ? { at: first.evaluatedAt, judgedFrom: new Date(first.evaluatedAt.getTime() - judgedWindowMs(first.details)) }
    : null;
  const lastTraffic = lastTrafficPercent(audit);
  const requested = rollback.requestedAt;

  const approved = approvedAt(audit);
  const approvalNote =
    rollback.approvalsRequired === 0
      ? "none needed: Rewind started it without approval (automatic policy or emergency)"
      : approved
        ? `${rollback.approvalsRequired} approval${rollback.approvalsRequired === 1 ? "" : "s"} complete`
        : `never approved: ${notCompleted(rollback, lastTraffic)} before that`;
  const completed = rollback.status === "COMPLETED" ? rollback.endedAt : null;
  const recovered = recovery(input, lastTraffic);

  const point = (key: MilestoneKey, label: string, at: Date | null, note: string | null): Milestone => ({
    key,
    label,
    at,
    sinceViolationMs: at && firstViolation ? at.getTime() - firstViolation.at.getTime() : null,
    sinceRequestMs: at ? at.getTime() - requested.getTime() : null,
    note,
  });
  return {
    firstViolation,
    firstViolationMissing: firstViolation ? null : firstViolationMissing(input),
    milestones: [
      point("REQUESTED", "Rollback requested", requested, null),
      point("APPROVED", "Approved", rollback.approvalsRequired === 0 ? null : approved, approvalNote),
      point(
        "COMPLETED",
        "Rollback completed",
        completed,
        completed
          ? `all traffic on ${snapshotText(rollback.toSnapshot)}`
          : `did not complete: ${notCompleted(rollback, lastTraffic)}`,
      ),
      point("RECOVERED", "Recovered", recovered.at, recovered.note),
    ],
  };
}

const afterSchema = z.object({ trafficPercent: z.number() }).loose();

function trafficOf(event: ReportAuditEvent): number | null {
  const parsed = afterSchema.safeParse(event.after);
  return parsed.success ? parsed.data.trafficPercent : null;
}

/** The highest share of traffic the rollback reached on the known-good snapshot. */
function lastTrafficPercent(audit: readonly ReportAuditEvent[]): number | null {
  const shares = audit.map(trafficOf).filter((percent): percent is number => percent !== null && percent > 0);
  return shares.length === 0 ? null : Math.max(...shares);
}

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
      title: actionTitles[event.action] ?? event.action,
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
