// The machine API's rollback DTOs (docs/API.md, "Rollbacks"): shaped here once, from the dashboard's DTOs, for the
// list, the detail and the answers to a key's changes (rollbacks-api.ts).
import "server-only";
import type { Db } from "../../db";
import { listAuditEvents, type AuditEventDto } from "../audit/audit-reads";
import { principals, type PersonRef, type PrincipalDto } from "../audit/principals";
import { stepGateStatus, type ArmStatus, type StepCheckDto } from "../rollbacks/step-checks";
import type { RollbackPolicyContext, RollbackSummaryDto, RollbackViewDto } from "../rollbacks/views";

/**
 * Who did something: a person, a machine client's key, or Rewind itself. Rollback columns hold a user's or a
 * key's id (`actorIdOf`); one that is neither any more is UNKNOWN.
 */
export type { PrincipalDto } from "../audit/principals";

export interface RollbackApiSummary {
  id: string;
  target: { slug: string; name: string };
  trigger: RollbackSummaryDto["trigger"];
  status: RollbackSummaryDto["status"];
  steps: number[];
  currentStep: number;
  trafficPercent: number;
  approvalsRequired: number;
  approvalCount: number;
  fromSnapshot: { id: string; version: number | null };
  toSnapshot: { id: string; version: number | null };
  requestedBy: PrincipalDto;
  requestedAt: Date;
  reason: string | null;
  startedAt: Date | null;
  timeToActionMs: number | null;
  endedAt: Date | null;
  /** Null until it ends; SYSTEM when Rewind ended it (completed, expired, failed, withdrawn). */
  endedBy: PrincipalDto | null;
  endReason: string | null;
  aborted: boolean;
  verification: string | null;
  verifiedAt: Date | null;
}

/** A recorded step check, named as the status endpoint names `lastStepCheck` (a superset of it). */
export interface StepCheckApiDto {
  step: number;
  trafficPercent: number;
  outcome: StepCheckDto["outcome"];
  perArm: boolean;
  checkedAt: Date;
  windowFrom: Date;
  alpha: number;
  explanation: string;
  arms: ({ arm: StepCheckDto["arms"][number]["arm"]; version: number | null; requests: number } & Omit<
    ArmStatus,
    "arm" | "version" | "requests"
  >)[];
  slos: StepCheckDto["comparisons"];
}

export interface TimelineEntryDto {
  sequence: number;
  at: Date;
  /** The audit action: rollback.created, rollback.approved, rollback.step_advanced, rollback.cancelled, … */
  action: string;
  actor: PrincipalDto;
  reason: string | null;
  before: unknown;
  after: unknown;
}

export interface RollbackApiDetail extends RollbackApiSummary {
  lastStepAt: Date | null;
  stepHolds: number;
  policyVersion: number | null;
  evidence: RollbackViewDto["evidence"];
  /** What config delivery serves while it runs: weights per snapshot, summing to 100. */
  trafficSplit: { snapshotId: string; version: number | null; weight: number }[];
  /** People only: approval is never a machine's act. */
  approvals: {
    user: PersonRef | null;
    decision: string;
    comment: string | null;
    at: Date;
  }[];
  /** Thresholds judged, approval deadline, next step, end of verification, the step gate's settings. */
  policy: RollbackPolicyContext;
  /** Each arm's traffic in the current step's window so far; empty unless in progress. */
  arms: ArmStatus[];
  /** Oldest first. */
  stepChecks: StepCheckApiDto[];
  /** Its audit events, oldest first: what the dashboard's timeline shows. */
  timeline: TimelineEntryDto[];
}

/** Users and keys behind stored ids, in two queries whatever the count. */
export interface StoredActors {
  requestedById: string | null;
  endedById: string | null;
}

export function toApiSummary(
  summary: RollbackSummaryDto,
  actors: StoredActors,
  principalOf: (id: string | null) => PrincipalDto,
): RollbackApiSummary {
  return {
    id: summary.id,
    target: { slug: summary.target.slug, name: summary.target.name },
    trigger: summary.trigger,
    status: summary.status,
    steps: summary.steps,
    currentStep: summary.currentStep,
    trafficPercent: summary.trafficPercent,
    approvalsRequired: summary.approvalsRequired,
    approvalCount: summary.approvalCount,
    fromSnapshot: summary.fromSnapshot,
    toSnapshot: summary.toSnapshot,
    requestedBy: principalOf(actors.requestedById),
    requestedAt: summary.requestedAt,
    reason: summary.reason,
    startedAt: summary.startedAt,
    timeToActionMs: summary.timeToActionMs,
    endedAt: summary.endedAt,
    endedBy: summary.endedAt ? principalOf(actors.endedById) : null,
    endReason: summary.endReason,
    aborted: summary.aborted,
    verification: summary.verification,
    verifiedAt: summary.verifiedAt,
  };
}

function toApiStepCheck(check: StepCheckDto): StepCheckApiDto {
  return {
    step: check.step,
    trafficPercent: check.trafficPercent,
    outcome: check.outcome,
    perArm: check.perArm,
    checkedAt: check.checkedAt,
    windowFrom: check.windowFrom,
    alpha: check.alpha,
    explanation: check.explanation,
    arms: check.arms.map(({ arm, version, requestCount, readings }) => ({
      arm,
      version,
      requests: requestCount,
      errorRate: readings.errorRate,
      p95LatencyMs: readings.p95Ms,
      costPerRequestUsd: readings.costPerRequestUsd,
      ttftP95Ms: readings.ttftP95Ms,
    })),
    slos: check.comparisons,
  };
}

/** Every audit event of the rollback, oldest first (a page of the log at a time). */
async function auditOf(db: Db, rollbackId: string): Promise<AuditEventDto[]> {
  const events: AuditEventDto[] = [];
  for (let cursor: number | undefined; ;) {
    const page = await listAuditEvents(db, {
      filter: { entityType: "Rollback", entityId: rollbackId },
      limit: 200,
      ...(cursor !== undefined && { cursor }),
    });
    events.push(...page.events);
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  return events.reverse();
}

export async function toApiDetail(
  db: Db,
  view: RollbackViewDto,
  actors: StoredActors,
  now: Date,
): Promise<RollbackApiDetail> {
  const [audit, gate] = await Promise.all([auditOf(db, view.id), stepGateStatus(db, view, now)]);
  const principalOf = await principals(db, [
    actors.requestedById,
    actors.endedById,
    ...audit.flatMap((event) => (event.actorType === "SYSTEM" ? [] : [event.actorId])),
  ]);
  const versionOf = (snapshotId: string) =>
    [view.fromSnapshot, view.toSnapshot].find((snapshot) => snapshot.id === snapshotId)?.version ?? null;
  return {
    ...toApiSummary(view, actors, principalOf),
    lastStepAt: view.lastStepAt,
    stepHolds: view.stepHolds,
    policyVersion: view.policyVersion,
    evidence: view.evidence,
    trafficSplit: view.trafficSplit.map(({ snapshotId, weight }) => ({
      snapshotId,
      version: versionOf(snapshotId),
      weight,
    })),
    approvals: view.approvals.map(({ user, decision, comment, at }) => ({ user, decision, comment, at })),
    policy: view.policy,
    arms: gate.arms,
    stepChecks: view.stepChecks.map(toApiStepCheck),
    timeline: audit.map((event) => ({
      sequence: event.sequence,
      at: event.at,
      action: event.action,
      actor: event.actorType === "SYSTEM" ? { type: "SYSTEM" } : principalOf(event.actorId),
      reason: event.reason,
      before: event.before,
      after: event.after,
    })),
  };
}
