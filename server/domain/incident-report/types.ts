// The incident report's input (the rows the service loads, already joined to names) and its output.
import { z } from "zod";
import type { RollbackStatus, RollbackTrigger } from "../rollback";
import type { Slo, SloReadings, SloThreshold } from "../slo";

export const incidentReportInputSchema = z.object({ rollbackId: z.string().min(1).max(100) });

export const SECOND = 1_000;

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
