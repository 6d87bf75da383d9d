// The incident's milestones: the triggering verdicts, when it was approved, the traffic it reached, and how long
// each stage took from the first violation to recovery.
import { z } from "zod";
import { alertSourceName } from "../alert-sources";
import { verdictSchema, type SloViolation } from "../evaluation";
import { isActive, type RollbackStatus } from "../rollback";
import { formatSloValue, sloDefinition } from "../slo";
import { SECOND } from "./types";
import type {
  IncidentReport,
  IncidentReportInput,
  Milestone,
  MilestoneKey,
  ReportAuditEvent,
  ReportRollback,
  ReportVerdict,
  ReportVerdictRow,
} from "./types";
import { snapshotText, windowText } from "./wording";

// ---------------------------------------------------------------------------------------------------------------
// Rules.

/**
 * A verdict from an external alert source records `source` beside the domain verdict (services/intake: Alertmanager,
 * CloudWatch through SNS); the cycle's verdicts have none. Its name as people know it, or the source as recorded.
 */
const externalSchema = z.object({ source: z.string().min(1) }).loose();

export function externalSource(details: unknown): string | null {
  const parsed = externalSchema.safeParse(details);
  return parsed.success ? alertSourceName(parsed.data.source) : null;
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

export function reportVerdict(row: ReportVerdictRow): ReportVerdict {
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

export function firstViolationMissing(input: IncidentReportInput): string {
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

export function trafficOf(event: ReportAuditEvent): number | null {
  const parsed = afterSchema.safeParse(event.after);
  return parsed.success ? parsed.data.trafficPercent : null;
}

/** The highest share of traffic the rollback reached on the known-good snapshot. */
export function lastTrafficPercent(audit: readonly ReportAuditEvent[]): number | null {
  const shares = audit.map(trafficOf).filter((percent): percent is number => percent !== null && percent > 0);
  return shares.length === 0 ? null : Math.max(...shares);
}
