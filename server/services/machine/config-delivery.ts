// What the orchestrator reads back: a target's effective configuration (the current snapshot, the traffic
// split during a rollback, the flags) and its status (latest verdict, active rollback).
import "server-only";
import type { Db } from "../../db";
import type { JsonValue } from "../../domain/canonical-json";
import { verdictSchema, type Verdict } from "../../domain/evaluation";
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
  /** Null until a configuration is published. */
  snapshot: ServedSnapshot | null;
  /**
   * While a rollback moves traffic (IN_PROGRESS): each snapshot with its share in percent, summing to 100.
   * Null otherwise: all traffic runs `snapshot`.
   */
  rollback: { id: string; trafficPercent: number; split: (ServedSnapshot & { weight: number })[] } | null;
  /** The target's flags and the global ones, by key. */
  flags: { key: string; enabled: boolean }[];
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
      select: { key: true, enabled: true },
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
  } | null;
}

export async function targetStatus(db: Db, slug: string): Promise<TargetStatus> {
  const target = await getTargetBySlug(db, slug);
  const [verdict, active] = await Promise.all([
    db.verdictRecord.findFirst({
      where: { targetId: target.id },
      orderBy: { evaluatedAt: "desc" },
      select: { status: true, severity: true, consecutiveCount: true, evaluatedAt: true, details: true },
    }),
    db.rollback.findUnique({ where: { activeTargetId: target.id }, select: { id: true } }),
  ]);
  const rollback = active ? await getRollback(db, active.id) : null;
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
    },
  };
}
