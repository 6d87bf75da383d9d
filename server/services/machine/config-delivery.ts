// What the orchestrator reads back: a target's effective configuration (the current snapshot, the traffic
// split during a rollback, the flags) and its status (latest verdict, active rollback).
import "server-only";
import type { Db } from "../../db";
import type { JsonValue } from "../../domain/canonical-json";
import { verdictSchema, type Verdict } from "../../domain/evaluation";
import { lastStepCheckStatus, stepGateStatus, type StepGateStatus } from "../rollbacks/step-checks";
import { getRollback } from "../rollbacks/views";
import { getSnapshotForUse } from "../config/snapshot-reads";
import { getTargetBySlug } from "../config/targets";

interface ServedSnapshot {
  id: string;
  version: number;
  checksum: string;
  config: JsonValue;
}

export interface EffectiveConfig {
  target: string;
  /**
   * What runs: the current snapshot, or the rollback's target once an in-progress rollback has all traffic on
   * it (an emergency rollback from its start). Null until a configuration is published.
   */
  snapshot: ServedSnapshot | null;
  /**
   * While a rollback moves traffic (IN_PROGRESS): each snapshot with its share in percent, summing to 100.
   * Null otherwise: all traffic runs `snapshot`.
   */
  rollback: { id: string; trafficPercent: number; split: (ServedSnapshot & { weight: number })[] } | null;
  /**
   * The target's flags and the global ones, by key. `percent`: the share of traffic an enabled flag is on for
   * (100 unless a person or a re-enablement plan ramps it).
   */
  flags: { key: string; enabled: boolean; percent: number }[];
}

/** Every snapshot served is checksum-verified first: a corrupted one is refused, never served. */
export async function effectiveConfig(db: Db, slug: string): Promise<EffectiveConfig> {
  const target = await getTargetBySlug(db, slug);
  const served = async (id: string): Promise<ServedSnapshot> => {
    const { version, checksum, config } = await getSnapshotForUse(db, id);
    return { id, version, checksum, config };
  };
  const [snapshot, active, flags] = await Promise.all([
    target.currentSnapshotId ? served(target.currentSnapshotId) : null,
    db.rollback.findUnique({ where: { activeTargetId: target.id }, select: { id: true, status: true } }),
    db.featureFlag.findMany({
      where: { OR: [{ targetId: null }, { targetId: target.id }] },
      select: { key: true, enabled: true, percent: true },
      orderBy: { key: "asc" },
    }),
  ]);
  let rollback: EffectiveConfig["rollback"] = null;
  if (active?.status === "IN_PROGRESS") {
    const detail = await getRollback(db, active.id);
    const split = await Promise.all(
      detail.trafficSplit.map(async ({ snapshotId, weight }) => ({ ...(await served(snapshotId)), weight })),
    );
    rollback = { id: detail.id, trafficPercent: detail.trafficPercent, split };
  }
  // With all traffic on the rollback's target (an emergency rollback from its start, a gradual one at its last
  // step) that snapshot is what runs: an orchestrator reading only `snapshot` switches at once, not at completion.
  const [whole] = rollback?.trafficPercent === 100 ? rollback.split : [];
  if (whole) {
    const { weight: _weight, ...known } = whole;
    return { target: target.slug, snapshot: known, rollback, flags };
  }
  return { target: target.slug, snapshot, rollback, flags };
}

export interface TargetStatus {
  target: { slug: string; name: string; monitoringEnabled: boolean };
  snapshots: { current: string | null; knownGood: string | null };
  verdict: {
    status: string;
    severity: string | null;
    consecutiveCount: number;
    evaluatedAt: Date;
    explanation: string | null;
    /**
     * The judged window: its length, requests and every SLO reading of the catalogue (`errorRate`, `p95Ms`,
     * `costPerRequestUsd`, `ttftP95Ms`), null where there was nothing to read; null when the stored verdict
     * cannot be read.
     */
    observed: Verdict["observed"] | null;
  } | null;
  rollback: {
    id: string;
    trigger: string;
    status: string;
    trafficPercent: number;
    currentStep: number;
    steps: number[];
    approvalsRequired: number;
    approvalCount: number;
    requestedAt: Date;
    reason: string | null;
    /** The step gate: each arm's traffic in the current step's window, and the last check (docs/API.md). */
    arms: StepGateStatus["arms"];
    lastStepCheck: StepGateStatus["lastStepCheck"];
  } | null;
  /**
   * The target's most recent rollback that has ended, with its verification after completion (`PENDING`,
   * `EFFECTIVE`, `INEFFECTIVE`, `INCONCLUSIVE`; null when it did not complete). Null when none ended.
   */
  lastRollback: {
    id: string;
    status: string;
    endedAt: Date | null;
    verification: string | null;
    verifiedAt: Date | null;
    /** Its last step check (as `rollback.lastStepCheck`): why a gate-aborted rollback stopped. */
    lastStepCheck: StepGateStatus["lastStepCheck"];
  } | null;
}

export async function targetStatus(db: Db, slug: string, now: Date): Promise<TargetStatus> {
  const target = await getTargetBySlug(db, slug);
  const [verdict, active] = await Promise.all([
    db.verdictRecord.findFirst({
      where: { targetId: target.id },
      orderBy: { evaluatedAt: "desc" },
      select: { status: true, severity: true, consecutiveCount: true, evaluatedAt: true, details: true },
    }),
    db.rollback.findUnique({ where: { activeTargetId: target.id }, select: { id: true } }),
  ]);
  const lastRollback = await db.rollback.findFirst({
    where: { targetId: target.id, activeTargetId: null, endedAt: { not: null } },
    orderBy: { endedAt: "desc" },
    select: { id: true, status: true, endedAt: true, verification: true, verifiedAt: true },
  });
  const rollback = active ? await getRollback(db, active.id) : null;
  const gate = rollback ? await stepGateStatus(db, rollback, now) : { arms: [], lastStepCheck: null };
  const explanation = (verdict?.details as { explanation?: unknown } | undefined)?.explanation;
  const details = verdict && verdictSchema.safeParse(verdict.details);
  return {
    target: { slug: target.slug, name: target.name, monitoringEnabled: target.monitoringEnabled },
    snapshots: { current: target.currentSnapshotId, knownGood: target.knownGoodSnapshotId },
    verdict: verdict && {
      status: verdict.status,
      severity: verdict.severity,
      consecutiveCount: verdict.consecutiveCount,
      evaluatedAt: verdict.evaluatedAt,
      explanation: typeof explanation === "string" ? explanation : null,
      observed: details?.success ? details.data.observed : null,
    },
    rollback: rollback && {
      id: rollback.id,
      trigger: rollback.trigger,
      status: rollback.status,
      trafficPercent: rollback.trafficPercent,
      currentStep: rollback.currentStep,
      steps: rollback.steps,
      approvalsRequired: rollback.approvalsRequired,
      approvalCount: rollback.approvalCount,
      requestedAt: rollback.requestedAt,
      reason: rollback.reason,
      ...gate,
    },
    lastRollback: lastRollback && { ...lastRollback, lastStepCheck: await lastStepCheckStatus(db, lastRollback.id) },
  };
}
