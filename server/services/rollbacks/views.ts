// Reading one rollback or the approvals queue as the dashboard and config delivery show it: the DTOs, with
// users and snapshot versions looked up, and for the dashboard the policy context (thresholds, deadlines).
import "server-only";
import type { Db, Tx } from "../../db";
import { AppError } from "../../domain/errors";
import { defaultPolicy, policySchema, type Policy } from "../../domain/policy";
import { nextStepDueAt, trafficSplit, type RollbackState, type RollbackTrigger } from "../../domain/rollback";
import { timeToActionMs } from "../../domain/rollback-history";
import { slos, type SloThreshold } from "../../domain/slo";
import { personRef, principals, type PersonRef } from "../audit/principals";
import { loadLatestPolicies } from "../config/policies";
import { evidenceSchema, rollbackRowSelect, stepsSchema, type RollbackEvidence, type RollbackRow } from "./rows";
import { loadStepChecks, type StepCheckDto } from "./step-checks";

/** A user, or the API key that acted (named, without email); null is Rewind itself. */
export type UserRef = PersonRef;

async function usersById(db: Db | Tx, ids: readonly (string | null)[]): Promise<(id: string | null) => UserRef | null> {
  const principalOf = await principals(db, ids);
  return (id) => personRef(principalOf(id));
}

export interface RollbackSummaryDto {
  id: string;
  target: { id: string; slug: string; name: string };
  trigger: RollbackTrigger;
  status: RollbackState["status"];
  steps: number[];
  currentStep: number;
  trafficPercent: number;
  /** 0: started without approval (automatic or emergency). */
  approvalsRequired: number;
  approvalCount: number;
  fromSnapshot: { id: string; version: number | null };
  toSnapshot: { id: string; version: number | null };
  requestedBy: UserRef | null;
  requestedAt: Date;
  reason: string | null;
  /** The first traffic switch. */
  startedAt: Date | null;
  /** Breach to action (domain timeToActionMs): null until traffic moved. */
  timeToActionMs: number | null;
  endedAt: Date | null;
  endedBy: UserRef | null;
  endReason: string | null;
  aborted: boolean;
  verification: string | null;
  verifiedAt: Date | null;
}

export interface RollbackDetailDto extends RollbackSummaryDto {
  version: number;
  lastStepAt: Date | null;
  policyVersion: number | null;
  evidence: RollbackEvidence | null;
  approvals: { user: UserRef | null; decision: string; comment: string | null; at: Date }[];
  /** What config delivery serves: weights per snapshot, summing to 100. */
  trafficSplit: { snapshotId: string; weight: number }[];
  /** Step checks that held the current step for lack of traffic. */
  stepHolds: number;
}

/** The timing rules the cycle applies to a rollback, and the thresholds its evidence was judged against. */
export interface RollbackPolicyContext {
  /**
   * The SLO thresholds of the policy version stored with the rollback (the one its verdict was judged by),
   * else the target's current policy; null when the stored policy no longer parses.
   */
  thresholds: ({ policyVersion: number | null } & Pick<Policy, SloThreshold>) | null;
  /** Pending: when the cycle expires it (the current policy's approval timeout, as the cycle applies it). */
  approvalDeadline: Date | null;
  /** In progress: when the next step is due (the cycle takes it on its first run from then). */
  nextStepDueAt: Date | null;
  /** Completed and not yet judged: when the verification window ends. */
  verificationEndsAt: Date | null;
  /** The step gate's settings as the cycle applies them (the current policy's); null when it does not parse. */
  stepGate: Pick<Policy, "stepMinRequests" | "stepSignificance" | "stepMaxHoldIntervals"> | null;
}

export type RollbackViewDto = RollbackDetailDto & {
  policy: RollbackPolicyContext;
  /** The step gate's checks, oldest first (docs/ROLLBACKS.md, "The step gate"). */
  stepChecks: StepCheckDto[];
};

export interface Lookups {
  userOf: (id: string | null) => UserRef | null;
  snapshotOf: (id: string) => { id: string; version: number | null };
}

export async function lookups(db: Db | Tx, rows: readonly RollbackRow[]): Promise<Lookups> {
  const userOf = await usersById(
    db,
    rows.flatMap((row) => [row.requestedById, row.endedById, ...row.approvals.map((approval) => approval.userId)]),
  );
  const snapshots = await db.configSnapshot.findMany({
    where: { id: { in: rows.flatMap((row) => [row.fromSnapshotId, row.toSnapshotId]) } },
    select: { id: true, version: true },
  });
  const versions = new Map(snapshots.map((snapshot) => [snapshot.id, snapshot.version]));
  return { userOf, snapshotOf: (id) => ({ id, version: versions.get(id) ?? null }) };
}

export function toSummary(row: RollbackRow, { userOf, snapshotOf }: Lookups): RollbackSummaryDto {
  return {
    id: row.id,
    target: row.target,
    trigger: row.trigger,
    status: row.status,
    steps: stepsSchema.parse(row.steps),
    currentStep: row.currentStep,
    trafficPercent: row.trafficPercent,
    approvalsRequired: row.approvalsRequired,
    approvalCount: row.approvals.filter((approval) => approval.decision === "APPROVE").length,
    fromSnapshot: snapshotOf(row.fromSnapshotId),
    toSnapshot: snapshotOf(row.toSnapshotId),
    requestedBy: userOf(row.requestedById),
    requestedAt: row.requestedAt,
    reason: row.reason,
    startedAt: row.startedAt,
    timeToActionMs: timeToActionMs(row),
    endedAt: row.endedAt,
    endedBy: userOf(row.endedById),
    endReason: row.endReason,
    aborted: row.aborted,
    verification: row.verification,
    verifiedAt: row.verifiedAt,
  };
}

function toDetail(row: RollbackRow, found: Lookups): RollbackDetailDto {
  const evidence = evidenceSchema.safeParse(row.evidence);
  return {
    ...toSummary(row, found),
    version: row.version,
    lastStepAt: row.lastStepAt,
    policyVersion: row.policyVersion,
    evidence: evidence.success ? evidence.data : null,
    approvals: row.approvals.map((approval) => ({
      user: found.userOf(approval.userId),
      decision: approval.decision,
      comment: approval.comment,
      at: approval.createdAt,
    })),
    trafficSplit: trafficSplit({
      trafficPercent: row.trafficPercent,
      fromSnapshotId: row.fromSnapshotId,
      toSnapshotId: row.toSnapshotId,
    }),
    stepHolds: row.stepHolds,
  };
}

/** What config delivery and the mutations return: no policy lookups, so serving config stays cheap. */
export async function getRollback(db: Db, rollbackId: string): Promise<RollbackDetailDto> {
  const row = await db.rollback.findUnique({ where: { id: rollbackId }, select: rollbackRowSelect });
  if (!row) throw new AppError("NOT_FOUND", "No such rollback");
  return toDetail(row, await lookups(db, [row]));
}

const thresholdsOf = (policyVersion: number | null, config: unknown): RollbackPolicyContext["thresholds"] => {
  const parsed = policySchema.safeParse(config);
  if (!parsed.success) return null;
  // Every threshold of the catalogue; an optional one the policy leaves unset (not judged) stays absent.
  const thresholds = Object.fromEntries(
    slos.flatMap(({ threshold }) =>
      parsed.data[threshold] === undefined ? [] : [[threshold, parsed.data[threshold]]],
    ),
  ) as Pick<Policy, SloThreshold>;
  return { policyVersion, ...thresholds };
};

/**
 * Details with their policy context and step checks, for the dashboard: two policy queries and one of step
 * checks for any number of rollbacks.
 */
async function views(db: Db, rows: readonly RollbackRow[]): Promise<RollbackViewDto[]> {
  if (rows.length === 0) return [];
  const pinned = rows.flatMap((row) =>
    row.policyVersion === null ? [] : [{ targetId: row.targetId, version: row.policyVersion }],
  );
  const [found, latest, stored, checks] = await Promise.all([
    lookups(db, rows),
    loadLatestPolicies(db, { id: { in: rows.map((row) => row.targetId) } }),
    pinned.length === 0
      ? []
      : db.policy.findMany({ where: { OR: pinned }, select: { targetId: true, version: true, config: true } }),
    loadStepChecks(
      db,
      rows.map((row) => row.id),
    ),
  ]);
  return rows.map((row) => {
    const current = latest.get(row.targetId);
    const currentPolicy = current ? policySchema.safeParse(current.config) : null;
    const timing = currentPolicy === null ? defaultPolicy : currentPolicy.success ? currentPolicy.data : null;
    const pinnedRow = stored.find((policy) => policy.targetId === row.targetId && policy.version === row.policyVersion);
    const after = (start: Date | null, seconds: number | undefined) =>
      start && seconds !== undefined ? new Date(start.getTime() + seconds * 1000) : null;
    return {
      ...toDetail(row, found),
      policy: {
        thresholds: pinnedRow
          ? thresholdsOf(pinnedRow.version, pinnedRow.config)
          : thresholdsOf(current?.version ?? null, current?.config ?? defaultPolicy),
        approvalDeadline:
          row.status === "PENDING_APPROVAL" ? after(row.requestedAt, timing?.approvalTimeoutSeconds) : null,
        nextStepDueAt:
          row.status === "IN_PROGRESS" && row.lastStepAt && timing
            ? nextStepDueAt({
                lastStepAt: row.lastStepAt,
                stepIntervalSeconds: timing.stepIntervalSeconds,
                stepHolds: row.stepHolds,
              })
            : null,
        verificationEndsAt:
          row.status === "COMPLETED" && row.verification === "PENDING"
            ? after(row.endedAt, timing?.verificationWindowSeconds)
            : null,
        stepGate: timing && {
          stepMinRequests: timing.stepMinRequests,
          stepSignificance: timing.stepSignificance,
          stepMaxHoldIntervals: timing.stepMaxHoldIntervals,
        },
      },
      stepChecks: checks.get(row.id) ?? [],
    };
  });
}

/** One rollback for its page: the details and the policy context (thresholds, deadlines). */
export async function getRollbackView(db: Db, rollbackId: string): Promise<RollbackViewDto> {
  const row = await db.rollback.findUnique({ where: { id: rollbackId }, select: rollbackRowSelect });
  if (!row) throw new AppError("NOT_FOUND", "No such rollback");
  const [view] = await views(db, [row]);
  return view!;
}

/** The approvals queue: every rollback waiting for approval, the one expiring first (requested first) first. */
export async function listPendingRollbacks(db: Db): Promise<RollbackViewDto[]> {
  const rows = await db.rollback.findMany({
    where: { status: "PENDING_APPROVAL" },
    orderBy: [{ requestedAt: "asc" }, { id: "asc" }],
    select: rollbackRowSelect,
  });
  return views(db, rows);
}

/** How many rollbacks wait for approval: the console's nav badge and page title, polled on every page. */
export async function countPendingRollbacks(db: Db): Promise<number> {
  return db.rollback.count({ where: { status: "PENDING_APPROVAL" } });
}
