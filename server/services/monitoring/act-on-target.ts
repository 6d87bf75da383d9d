// Acting on one target between monitoring cycles: when an ingested batch pushes a target into an
// emergency-level breach, and when Alertmanager reports on it. Same rules as the cycle: record a verdict,
// decide, start a rollback or notify (a change of verdict only).
import "server-only";
import type { Db } from "../../db";
import { decide, type Decision, type DecisionKind } from "../../domain/decision";
import { evaluate, type Verdict } from "../../domain/evaluation";
import { bucketStart } from "../../domain/metrics";
import type { Policy } from "../../domain/policy";
import { evaluateTarget, loadDecisionTargets } from "./evaluation";
import { judgedWindows } from "./evaluation-windows";
import { loadJudgedSeries } from "../metrics/bucket-reads";
import { enqueueNotification } from "../platform/outbox";
import { getPolicy } from "../config/policies";
import { startRollbackFromDecision } from "../rollbacks/commands";
import { getSystemState } from "../config/system-switches";
import { log } from "../platform/log";
import { dialectOf } from "../platform/sql-dialect";
import { recordEvaluationStates } from "./evaluation-state";

const ROLLBACK_KINDS: readonly DecisionKind[] = ["PROPOSE_ROLLBACK", "AUTO_ROLLBACK", "EMERGENCY_ROLLBACK"];

export interface TargetAction {
  verdict: { status: Verdict["status"]; severity: "CRITICAL" | "EMERGENCY" | null; explanation: string };
  decision: DecisionKind;
  /** The rollback the decision started (or found already active); null when none. */
  rollback: { id: string; status: string; created: boolean } | null;
}

type TargetRef = { id: string; slug: string };

function summarize(verdict: Verdict, decision: Decision, rollback: TargetAction["rollback"]): TargetAction {
  return {
    verdict: {
      status: verdict.status,
      severity: verdict.status === "BREACH" ? verdict.severity : null,
      explanation: verdict.explanation,
    },
    decision: decision.kind,
    rollback,
  };
}

/**
 * What the cycle and the event-driven paths do with a decision. Rollback decisions create a rollback (none
 * when the target already has an active one). NOTIFY enqueues a notification only when the verdict's
 * status or severity differs from the previous verdict's: a target violating for an hour, or a breach with
 * nothing to roll back to, is announced once, not every cycle.
 */
export async function actOnDecision(
  db: Db,
  input: {
    target: TargetRef;
    verdict: Verdict;
    decision: Decision;
    policy: Policy;
    policyVersion: number | null;
    previous: { status: string; severity: string | null } | null;
  },
  now: Date,
): Promise<{ rollback: Awaited<ReturnType<typeof startRollbackFromDecision>> | null; notified: boolean }> {
  const { target, verdict, decision, previous } = input;
  const severity = verdict.status === "BREACH" ? verdict.severity : null;
  const changed = previous?.status !== verdict.status || previous.severity !== severity;
  if (changed) {
    // Every path that records a verdict acts through here once per recorded verdict: one line per change.
    log.at(verdict.status === "BREACH" || verdict.status === "VIOLATION" ? "warn" : "info", "verdict.changed", {
      target: target.slug,
      targetId: target.id,
      from: previous?.status ?? null,
      to: verdict.status,
      ...(previous?.severity && { fromSeverity: previous.severity }),
      ...(severity && { severity }),
      decision: decision.kind,
    });
  }
  if (ROLLBACK_KINDS.includes(decision.kind)) {
    return { rollback: await startRollbackFromDecision(db, input, now), notified: false };
  }
  if (decision.kind !== "NOTIFY" || !changed) {
    return { rollback: null, notified: false };
  }
  await enqueueNotification(
    db,
    {
      event: `verdict.${verdict.status.toLowerCase()}`,
      severity: severity === "EMERGENCY" ? "EMERGENCY" : decision.escalate ? "CRITICAL" : "WARNING",
      title: `${verdict.status === "BREACH" ? "SLO breach" : "SLO violation"} on ${target.slug}`,
      body: decision.explanation,
      targetId: target.id,
      payload: { status: verdict.status, severity, reasons: decision.reasons, escalate: decision.escalate },
    },
    now,
  );
  return { rollback: null, notified: true };
}

async function act(db: Db, input: Parameters<typeof actOnDecision>[1], now: Date): Promise<TargetAction> {
  const { rollback } = await actOnDecision(db, input, now);
  return summarize(
    input.verdict,
    input.decision,
    rollback && { id: rollback.rollbackId, status: rollback.status, created: rollback.created },
  );
}

function latestVerdict(db: Db, targetId: string, now: Date) {
  return db.verdictRecord.findFirst({
    where: { targetId, evaluatedAt: { lt: now } },
    orderBy: { evaluatedAt: "desc" },
    select: { status: true, severity: true },
  });
}

/**
 * After a batch: when the target's evaluation window (complete buckets, as the cycle judges them) is over
 * a threshold × the emergency multiplier, evaluate and act now instead of at the next cycle. The check
 * reads the policy and the window's buckets; it does nothing while monitoring of the target or all
 * monitoring is off, or while the target already has an active rollback. Returns null when it did not act.
 */
export async function actOnEmergency(
  db: Db,
  target: TargetRef & { monitoringEnabled: boolean },
  options: { now: Date; bucketWidthMs: number },
): Promise<TargetAction | null> {
  const { now, bucketWidthMs } = options;
  if (!target.monitoringEnabled) return null;
  const { policy, version } = await getPolicy(db, target.id);
  const end = bucketStart(now.getTime(), bucketWidthMs);
  const range = { from: end - policy.evaluationWindowSeconds * 1000, to: end };
  // Judged like the cycle (judgedWindows): the current snapshot's attributed traffic, else all traffic since
  // the last configuration change and its pickup grace, so an emergency rollback's old errors never re-trigger.
  const [epoch] = await db.$queryRaw<{ configChangedAt: Date | null; version: number | bigint | null }[]>`
    SELECT t."configChangedAt", s."version" FROM "Target" t
    LEFT JOIN "ConfigSnapshot" s ON s."id" = t."currentSnapshotId" WHERE t."id" = ${target.id}`;
  const current = epoch?.version == null ? null : Number(epoch.version);
  const series = await loadJudgedSeries(db, target.id, current, { from: new Date(range.from), to: new Date(range.to) });
  const { window, scope } = judgedWindows({
    policy,
    end,
    epoch: {
      configChangedAt: epoch?.configChangedAt ? new Date(epoch.configChangedAt) : null,
      configPickupSeconds: policy.configPickupSeconds,
      bucketWidthMs,
    },
    version: current,
    series,
    counts: () => undefined,
  });
  // The streak and the burn rate do not matter for an emergency: the window alone decides it.
  const quick = evaluate({ window, scope, policy, recentVerdicts: [] });
  if (quick.status !== "BREACH" || quick.severity !== "EMERGENCY") return null;
  if (await db.rollback.findUnique({ where: { activeTargetId: target.id }, select: { id: true } })) return null;
  if ((await getSystemState(db)).monitoringPaused) return null;
  const previous = await latestVerdict(db, target.id, now);
  const { verdict, decision } = await evaluateTarget(db, target.id, { now, bucketWidthMs });
  return act(db, { target, verdict, decision, policy, policyVersion: version, previous }, now);
}

/**
 * Records a verdict that came from outside the metrics (Alertmanager), with `details` beside the domain
 * verdict, then decides and acts on it as the cycle would.
 */
export async function actOnExternalVerdict(
  db: Db,
  input: {
    target: TargetRef & { currentSnapshotId: string | null; knownGoodSnapshotId: string | null };
    verdict: Verdict;
    details: Record<string, unknown>;
  },
  now: Date,
): Promise<TargetAction> {
  const { target, verdict } = input;
  const [{ policy, version }, previous, decisionTarget] = await Promise.all([
    getPolicy(db, target.id),
    latestVerdict(db, target.id, now),
    loadDecisionTargets(db, { id: target.id }, now),
  ]);
  // With the target's evaluation state, as the cycle records its verdicts (evaluation-state.ts).
  const dialect = dialectOf(db);
  await db.$transaction(async (tx) => {
    await tx.verdictRecord.create({
      data: {
        targetId: target.id,
        evaluatedAt: now,
        status: verdict.status,
        severity: verdict.status === "BREACH" ? verdict.severity : null,
        consecutiveCount: "consecutiveCount" in verdict ? verdict.consecutiveCount : 0,
        details: { ...verdict, ...input.details },
        policyVersion: version,
      },
      select: { id: true },
    });
    await recordEvaluationStates(tx, dialect, [{ targetId: target.id, verdict, policyVersion: version }], now);
  });
  const decision = decide({ verdict, policy, now, target: decisionTarget(target) });
  return act(db, { target, verdict, decision, policy, policyVersion: version, previous }, now);
}
