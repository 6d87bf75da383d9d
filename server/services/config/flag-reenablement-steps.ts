// The monitoring cycle's step for flag re-enablement plans: each due plan's traffic since its step is compared
// with the flags-off baseline, and the plan advances, holds, completes or reverts (flag-reenablement.ts starts
// and cancels plans). Rules: server/domain/flag-reenablement.ts; docs/ROLLBACKS.md.
import "server-only";

import type { Db, Prisma, Tx } from "../../db";
import { ceilToBucket } from "../../domain/configuration-epoch";
import { AppError } from "../../domain/errors";
import { reenablementMove, type ReenablementMove } from "../../domain/flag-reenablement";
import { bucketStart, type MetricTotals } from "../../domain/metrics";

import { stepDue } from "../../domain/rollback";
import { fromBaseline } from "../../domain/step-baseline";
import { flagArmsGate, windowStepGate, type StepCheck } from "../../domain/step-gate";
import { appendAudit, systemActor, type AuditEntry } from "../audit/audit-log";
import { loadFlagArms, loadTargetTotals } from "../metrics/bucket-reads";

import { retryOnConflict } from "../platform/retry";

import {
  changePlanFlags,
  endPlan,
  keysSchema,
  notifyPlan,
  planSelect,
  policyOf,
  stepsSchema,
  type PlanRow,
  type ReenablementCheckDto,
} from "./flag-reenablement";

export interface ReenablementCycleSummary {
  advanced: number;
  held: number;
  completed: number;
  reverted: number;
  errors: { targetSlug?: string; message: string }[];
}

/**
 * The monitoring cycle's step: each running plan whose step interval has passed (longer by one interval per
 * hold) is checked and moved (reenablementMove). The check compares each flag's on and off arms since the step
 * (after the pickup grace) when the orchestrator reports `flags` per request and both arms have traffic
 * (flagArmsGate); otherwise — no `flags` reported, or the flags on for 100% so there is no off arm — the
 * target's traffic since the step against the flags-off baseline (windowStepGate). Read before the
 * transaction, as rollback steps are; the compare-and-set makes a second cycle at the same instant a no-op.
 */
export async function advanceDueReenablements(
  db: Db,
  { now, bucketWidthMs }: { now: Date; bucketWidthMs: number },
): Promise<ReenablementCycleSummary> {
  const summary: ReenablementCycleSummary = { advanced: 0, held: 0, completed: 0, reverted: 0, errors: [] };
  const plans = await db.flagReenablement.findMany({
    where: { status: "RUNNING" },
    select: planSelect,
    orderBy: { startedAt: "asc" },
  });
  for (const plan of plans) {
    try {
      const policy = await policyOf(db, plan.targetId);
      const due = stepDue({
        lastStepAt: plan.lastStepAt,
        stepIntervalSeconds: policy.stepIntervalSeconds,
        stepHolds: plan.stepHolds,
        now,
      });
      if (!due) continue;
      const steps = stepsSchema.parse(plan.steps);
      const flagKeys = keysSchema.parse(plan.flagKeys);
      const from = ceilToBucket(plan.lastStepAt.getTime() + policy.configPickupSeconds * 1000, bucketWidthMs);
      const range = { from, to: Math.max(from, bucketStart(now.getTime(), bucketWidthMs)) };
      const [since, arms] = await Promise.all([
        loadTargetTotals(db, plan.targetId, range),
        loadFlagArms(db, plan.targetId, flagKeys, range),
      ]);
      const gate = {
        policy,
        minRequests: policy.stepMinRequests,
        significance: policy.stepSignificance,
        looks: steps.length * flagKeys.length,
      };
      const perArm = [...arms.values()].every((arm) => arm.on.requestCount > 0 && arm.off.requestCount > 0);
      const check = perArm
        ? flagArmsGate({ ...gate, arms: [...arms].map(([flagKey, arm]) => ({ flagKey, ...arm })) })
        : windowStepGate({
            ...gate,
            looks: steps.length,
            before: fromBaseline(plan.baseline),
            since,
            why: [...arms.values()].some((arm) => arm.on.requestCount > 0)
              ? "No traffic with the flags off at this step"
              : "No flags reported per request",
          });
      const armTotals = perArm ? sumArms([...arms.values()]) : null;
      const move = reenablementMove({ ...plan, steps }, check.outcome, policy.stepMaxHoldIntervals);
      const applied = await retryOnConflict(() =>
        db.$transaction((tx) => applyMove(tx, plan, move, { check, since, armTotals, now })),
      );
      if (!applied) continue;
      if (move.kind === "HOLD") summary.held += 1;
      if (move.kind === "STEP") summary.advanced += 1;
      if (move.kind === "COMPLETE") summary.completed += 1;
      if (move.kind === "REVERT") summary.reverted += 1;
    } catch (error) {
      summary.errors.push({
        targetSlug: plan.rollback.target.slug,
        message: `re-enablement ${plan.id}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return summary;
}

async function applyMove(
  tx: Tx,
  plan: PlanRow,
  move: ReenablementMove,
  {
    check,
    since,
    armTotals,
    now,
  }: { check: StepCheck; since: MetricTotals; armTotals: { on: number; off: number } | null; now: Date },
): Promise<boolean> {
  const lastCheck: ReenablementCheckDto = {
    outcome: check.outcome,
    checkedAt: now,
    step: plan.currentStep,
    percent: plan.percent,
    requestsBefore: fromBaseline(plan.baseline).requestCount,
    requestsSince: since.requestCount,
    arms: armTotals,
    alpha: check.alpha,
    explanation: check.explanation,
  };
  const flagKeys = keysSchema.parse(plan.flagKeys);
  const flags = flagKeys.join(", ");
  const stored = { ...lastCheck, checkedAt: now.toISOString() };
  const audit = (action: string, after: AuditEntry["after"], reason: string | null) =>
    appendAudit(
      tx,
      {
        actor: systemActor,
        action,
        entityType: "FlagReenablement",
        entityId: plan.id,
        targetId: plan.targetId,
        before: { percent: plan.percent, step: plan.currentStep, stepHolds: plan.stepHolds },
        after,
        reason,
      },
      now,
    );

  if (move.kind === "COMPLETE" || move.kind === "REVERT") {
    const reverted = move.kind === "REVERT";
    const status = reverted ? "REVERTED" : "COMPLETED";
    try {
      await endPlan(
        tx,
        plan,
        { status, reason: reverted ? check.explanation : null, actor: systemActor, now },
        { lastCheck: stored, stepHolds: 0 },
      );
    } catch (error) {
      if (error instanceof AppError && error.code === "CONFLICT") return false;
      throw error;
    }
    if (reverted) {
      await changePlanFlags(
        tx,
        { targetId: plan.targetId, flagKeys },
        { enabled: false },
        { cause: "flag_reenablement.reverted", summary: `Flags ${flags} turned off again.`, now },
      );
    }
    await notifyPlan(
      tx,
      { ...plan, target: plan.rollback.target, flagKeys },
      `flag_reenablement.${status.toLowerCase()}`,
      reverted
        ? {
            severity: "CRITICAL",
            title: `${flags} turned off again`,
            body: `The target got worse with ${flags} on for ${plan.percent}% of traffic, so Rewind turned them off again: ${check.explanation}.`,
            percent: plan.percent,
          }
        : {
            severity: move.afterHolds ? "WARNING" : "RESOLVED",
            title: `${flags} fully re-enabled`,
            body: move.afterHolds
              ? `Completed without enough traffic to compare at 100%: ${check.explanation}.`
              : `${flags} are on for all traffic again; the target was not worse at any step.`,
            percent: plan.percent,
          },
      now,
    );
    return true;
  }

  const data: Prisma.FlagReenablementUncheckedUpdateManyInput =
    move.kind === "HOLD"
      ? { stepHolds: move.stepHolds }
      : { currentStep: move.currentStep, percent: move.percent, stepHolds: 0, lastStepAt: now };
  const { count } = await tx.flagReenablement.updateMany({
    where: { id: plan.id, version: plan.version, status: "RUNNING" },
    data: { ...data, lastCheck: stored, version: { increment: 1 } },
  });
  if (count === 0) return false;
  if (move.kind === "HOLD") {
    await audit("flag_reenablement.held", { stepHolds: move.stepHolds }, check.explanation);
    return true;
  }
  await changePlanFlags(
    tx,
    { targetId: plan.targetId, flagKeys },
    { percent: move.percent },
    { cause: "flag_reenablement.advanced", summary: `Flags ${flags} on for ${move.percent}%.`, now },
  );
  await audit(
    "flag_reenablement.advanced",
    { percent: move.percent, step: move.currentStep, afterHolds: move.afterHolds, check: check.explanation },
    move.afterHolds ? check.explanation : null,
  );
  await notifyPlan(
    tx,
    { ...plan, target: plan.rollback.target, flagKeys },
    "flag_reenablement.advanced",
    {
      severity: move.afterHolds ? "WARNING" : "INFO",
      title: `${flags} on for ${move.percent}%`,
      body: move.afterHolds
        ? `Advanced without enough traffic to compare (${plan.stepHolds} holds): ${check.explanation}.`
        : `${flags} went from ${plan.percent}% to ${move.percent}%: ${check.explanation}.`,
      percent: move.percent,
    },
    now,
  );
  return true;
}

/** Requests on each side over all the plan's flags, for the check's summary. */
function sumArms(arms: readonly { on: MetricTotals; off: MetricTotals }[]): { on: number; off: number } {
  return arms.reduce((sum, arm) => ({ on: sum.on + arm.on.requestCount, off: sum.off + arm.off.requestCount }), {
    on: 0,
    off: 0,
  });
}
