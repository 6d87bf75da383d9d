// The step gate's data and records: the window a gradual rollback's step is judged on, the two arms' traffic in
// it (by snapshot version), the fallback's time windows when the sender reports no versions, the recorded
// RollbackStepCheck rows and their DTOs for the rollback page and the status endpoint. docs/ROLLBACKS.md.
import "server-only";
import { z } from "zod";
import type { Db, Prisma, Tx } from "../../db";
import { bucketStart, emptyTotals, type MetricTotals } from "../../domain/metrics";
import { defaultPolicy, type Policy } from "../../domain/policy";
import { readingsOf, sloIds, sloReadingsShape, type SloReadings } from "../../domain/slo";
import { fromBaseline, toBaseline, type StepBaseline } from "../../domain/step-baseline";
import { stepGate, stepOutcomes, windowStepGate, type StepCheck } from "../../domain/step-gate";
import { loadLatestPolicies, parseStoredPolicy } from "../config/policies";
import { loadTargetTotals, loadVersionTotals } from "../metrics/bucket-reads";
import type { RollbackRow } from "./rows";

/** The arms of a per-arm check, and the two time windows of the fallback (before the step, since it). */
export const stepCheckArms = ["KNOWN_GOOD", "CURRENT", "BEFORE_STEP", "SINCE_STEP"] as const;
export type StepCheckArm = (typeof stepCheckArms)[number];

const armRecordSchema = z.object({
  arm: z.enum(stepCheckArms),
  /** The snapshot version the arm's traffic reported; null for the fallback's time windows. */
  version: z.number().int().nullable(),
  requestCount: z.number().int(),
  readings: z.object(sloReadingsShape),
});
export type ArmRecord = z.infer<typeof armRecordSchema>;

const comparisonSchema = z.object({
  slo: z.enum(sloIds),
  knownGood: z.number().nullable(),
  current: z.number().nullable(),
  pValue: z.number().nullable(),
  worse: z.enum(["KNOWN_GOOD", "CURRENT"]).nullable(),
});

/** The target's whole traffic over [from, to), as totals. */
/**
 * The traffic a step is judged on: from when the step was taken plus the config pickup grace (orchestrators
 * still served the previous split until they polled) to `end`.
 */
export function stepWindow(lastStepAt: Date, policy: Pick<Policy, "configPickupSeconds">, end: number) {
  const from = lastStepAt.getTime() + policy.configPickupSeconds * 1000;
  return { from, to: Math.max(from, end) };
}

/** Each arm's traffic over a range: the known-good arm is the rollback's target snapshot. */
export async function loadArms(
  db: Db,
  targetId: string,
  versions: { knownGood: number; current: number },
  range: { from: number; to: number },
): Promise<{ knownGood: MetricTotals; current: MetricTotals }> {
  const totals = await loadVersionTotals(db, targetId, [versions.knownGood, versions.current], {
    from: new Date(range.from),
    to: new Date(range.to),
  });
  return {
    knownGood: totals.get(versions.knownGood) ?? emptyTotals(),
    current: totals.get(versions.current) ?? emptyTotals(),
  };
}

export interface JudgedStep {
  check: StepCheck;
  perArm: boolean;
  windowFrom: Date;
  arms: ArmRecord[];
  /** The target's whole traffic of the step's window: the next step's baseline. */
  baseline: StepBaseline;
}

const armRecord = (arm: StepCheckArm, version: number | null, totals: MetricTotals): ArmRecord => ({
  arm,
  version,
  requestCount: totals.requestCount,
  readings: readingsOf(totals),
});

/**
 * Judges an in-progress rollback's step over [lastStepAt + pickup, end of the last complete bucket): the arms by
 * snapshot version when either reported traffic, else the target's traffic since the step against its baseline.
 * Reads only: the same data judged again (a crash before the transition commits) gives the same check.
 */
export async function judgeStep(
  db: Db,
  row: Pick<RollbackRow, "targetId" | "steps" | "lastStepAt" | "stepBaseline">,
  versions: { knownGood: number; current: number },
  policy: Policy,
  { now, bucketWidthMs }: { now: Date; bucketWidthMs: number },
): Promise<JudgedStep> {
  if (!row.lastStepAt) throw new Error("A rollback in progress without a step time");
  const range = stepWindow(row.lastStepAt, policy, bucketStart(now.getTime(), bucketWidthMs));
  const [arms, since] = await Promise.all([
    loadArms(db, row.targetId, versions, range),
    loadTargetTotals(db, row.targetId, range),
  ]);
  const steps = z.array(z.number()).parse(row.steps);
  const gate = {
    policy,
    minRequests: policy.stepMinRequests,
    significance: policy.stepSignificance,
    looks: steps.length - 1,
  };
  const common = { windowFrom: new Date(range.from), baseline: toBaseline(since, range) };
  if (arms.knownGood.requestCount > 0 || arms.current.requestCount > 0) {
    return {
      ...common,
      check: stepGate({ ...gate, ...arms }),
      perArm: true,
      arms: [
        armRecord("KNOWN_GOOD", versions.knownGood, arms.knownGood),
        armRecord("CURRENT", versions.current, arms.current),
      ],
    };
  }
  const before = fromBaseline(row.stepBaseline);
  return {
    ...common,
    check: windowStepGate({ ...gate, before, since }),
    perArm: false,
    arms: [armRecord("BEFORE_STEP", null, before), armRecord("SINCE_STEP", null, since)],
  };
}

/**
 * The check's row, in the transaction of the transition it led to. `rollbackVersion` is the version judged: a
 * second instance judging the same state fails on the unique index, as its compare-and-set would.
 */
export async function recordStepCheck(
  tx: Tx,
  row: Pick<RollbackRow, "id" | "version" | "currentStep" | "trafficPercent">,
  judged: JudgedStep,
  now: Date,
): Promise<void> {
  await tx.rollbackStepCheck.create({
    data: {
      rollbackId: row.id,
      rollbackVersion: row.version,
      step: row.currentStep,
      trafficPercent: row.trafficPercent,
      outcome: judged.check.outcome,
      perArm: judged.perArm,
      checkedAt: now,
      windowFrom: judged.windowFrom,
      arms: judged.arms,
      comparisons: z.array(comparisonSchema).parse(judged.check.comparisons),
      alpha: judged.check.alpha,
      explanation: judged.check.explanation,
    },
    select: { id: true },
  });
}

export const stepCheckSelect = {
  id: true,
  rollbackId: true,
  step: true,
  trafficPercent: true,
  outcome: true,
  perArm: true,
  checkedAt: true,
  windowFrom: true,
  arms: true,
  comparisons: true,
  alpha: true,
  explanation: true,
} satisfies Prisma.RollbackStepCheckSelect;
type StepCheckRow = Prisma.RollbackStepCheckGetPayload<{ select: typeof stepCheckSelect }>;

export interface StepCheckDto {
  id: string;
  /** Index into the rollback's steps of the step judged, and its share of traffic on the known-good snapshot. */
  step: number;
  trafficPercent: number;
  outcome: StepCheck["outcome"];
  /** False: the sender reported no snapshot versions, and time windows were compared instead of arms. */
  perArm: boolean;
  checkedAt: Date;
  windowFrom: Date;
  arms: ArmRecord[];
  comparisons: z.infer<typeof comparisonSchema>[];
  alpha: number;
  explanation: string;
}

export function toStepCheckDto(row: StepCheckRow): StepCheckDto {
  return {
    id: row.id,
    step: row.step,
    trafficPercent: row.trafficPercent,
    outcome: z.enum(stepOutcomes).parse(row.outcome),
    perArm: row.perArm,
    checkedAt: row.checkedAt,
    windowFrom: row.windowFrom,
    arms: z.array(armRecordSchema).parse(row.arms),
    comparisons: z.array(comparisonSchema).parse(row.comparisons),
    alpha: row.alpha,
    explanation: row.explanation,
  };
}

/** Every rollback's checks, oldest first. */
export async function loadStepChecks(db: Db, rollbackIds: readonly string[]): Promise<Map<string, StepCheckDto[]>> {
  const checks = new Map<string, StepCheckDto[]>(rollbackIds.map((id) => [id, []]));
  if (rollbackIds.length === 0) return checks;
  const rows = await db.rollbackStepCheck.findMany({
    where: { rollbackId: { in: [...rollbackIds] } },
    orderBy: [{ checkedAt: "asc" }, { id: "asc" }],
    select: stepCheckSelect,
  });
  for (const row of rows) checks.get(row.rollbackId)?.push(toStepCheckDto(row));
  return checks;
}

export async function latestStepCheck(db: Db, rollbackId: string): Promise<StepCheckDto | null> {
  const row = await db.rollbackStepCheck.findFirst({
    where: { rollbackId },
    orderBy: [{ checkedAt: "desc" }, { id: "desc" }],
    select: stepCheckSelect,
  });
  return row && toStepCheckDto(row);
}

/** One arm as the status endpoint shows it (docs/API.md). */
export interface ArmStatus {
  arm: "KNOWN_GOOD" | "CURRENT";
  version: number;
  requests: number;
  errorRate: number | null;
  p95LatencyMs: number | null;
  costPerRequestUsd: number | null;
  ttftP95Ms: number | null;
}

export function armStatus(arm: ArmStatus["arm"], version: number, totals: MetricTotals): ArmStatus {
  const readings: SloReadings = readingsOf(totals);
  return {
    arm,
    version,
    requests: totals.requestCount,
    errorRate: readings.errorRate,
    p95LatencyMs: readings.p95Ms,
    costPerRequestUsd: readings.costPerRequestUsd,
    ttftP95Ms: readings.ttftP95Ms,
  };
}

/** The step gate as the status endpoint shows it (docs/API.md): the arms now, and the last check recorded. */
/**
 * A recorded check as the status endpoint shows it. With `perArm` false, `arms` are the interval before the step
 * and the traffic since (BEFORE_STEP, SINCE_STEP) and each SLO's `knownGood` / `current` their readings.
 */
export interface StepCheckStatus {
  outcome: StepCheckDto["outcome"];
  checkedAt: Date;
  perArm: boolean;
  step: number;
  arms: { arm: StepCheckArm; version: number | null; requests: number }[];
  slos: StepCheckDto["comparisons"];
}

/** A rollback's last step check, null before the first: also shown for the last rollback once it has ended. */
export async function lastStepCheckStatus(db: Db, rollbackId: string): Promise<StepCheckStatus | null> {
  const last = await latestStepCheck(db, rollbackId);
  return (
    last && {
      outcome: last.outcome,
      checkedAt: last.checkedAt,
      perArm: last.perArm,
      step: last.step,
      arms: last.arms.map(({ arm, version, requestCount }) => ({ arm, version, requests: requestCount })),
      slos: last.comparisons,
    }
  );
}

export interface StepGateStatus {
  /** Each arm's traffic over the current step's window so far; empty unless the rollback is in progress. */
  arms: ArmStatus[];
  /** Null before the first check. */
  lastStepCheck: StepCheckStatus | null;
}

export async function stepGateStatus(
  db: Db,
  rollback: {
    id: string;
    target: { id: string };
    status: string;
    lastStepAt: Date | null;
    fromSnapshot: { version: number | null };
    toSnapshot: { version: number | null };
  },
  now: Date,
): Promise<StepGateStatus> {
  const knownGood = rollback.toSnapshot.version;
  const current = rollback.fromSnapshot.version;
  const lastStepAt = rollback.status === "IN_PROGRESS" ? rollback.lastStepAt : null;
  const armsNow = async (): Promise<ArmStatus[]> => {
    if (lastStepAt === null || knownGood === null || current === null) return [];
    const stored = (await loadLatestPolicies(db, { id: rollback.target.id })).get(rollback.target.id);
    const range = stepWindow(lastStepAt, stored ? parseStoredPolicy(stored) : defaultPolicy, now.getTime());
    const totals = await loadArms(db, rollback.target.id, { knownGood, current }, range);
    return [armStatus("KNOWN_GOOD", knownGood, totals.knownGood), armStatus("CURRENT", current, totals.current)];
  };
  const [lastStepCheck, arms] = await Promise.all([lastStepCheckStatus(db, rollback.id), armsNow()]);
  return { arms, lastStepCheck };
}
