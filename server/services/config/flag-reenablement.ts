// Gradual re-enablement of the kill switches an emergency rollback turned off, once the rollback is verified
// effective: a person starts a plan (flags-off baseline, first step), the monitoring cycle checks each step
// against the baseline and advances, holds, completes or reverts it; a person or the emergency stop cancels it.
// Rules: server/domain/flag-reenablement.ts; docs/ROLLBACKS.md ("Re-enabling feature flags").
import "server-only";
import { z } from "zod";
import type { Db, Prisma, Tx } from "../../db";
import { judgedRange } from "../../domain/configuration-epoch";
import { AppError } from "../../domain/errors";
import {
  cancelReenablementSchema,
  reenablementRefusal,
  reenablementStatuses,
  startReenablementSchema,
} from "../../domain/flag-reenablement";
import { bucketStart } from "../../domain/metrics";
import { defaultPolicy, type Policy } from "../../domain/policy";
import { nextStepDueAt } from "../../domain/rollback";
import { toBaseline } from "../../domain/step-baseline";
import { stepOutcomes } from "../../domain/step-gate";
import { appendAudit, describeActor, type Actor, type WithActor } from "../audit/audit-log";
import { loadTargetTotals } from "../metrics/bucket-reads";
import { enqueueNotification, type NotificationSeverity } from "../platform/outbox";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";
import { announceFlagChange } from "./flags";
import { loadLatestPolicies, parseStoredPolicy } from "./policies";

export const keysSchema = z.array(z.string());
export const stepsSchema = z.array(z.number().int());

/** The last check of a plan, as stored in `lastCheck` and shown on the flags page. */
export const lastCheckSchema = z.object({
  outcome: z.enum(stepOutcomes),
  checkedAt: z.coerce.date(),
  step: z.number().int(),
  percent: z.number().int(),
  requestsBefore: z.number(),
  requestsSince: z.number(),
  /** Requests with the plan's flags on and off since the step, when the check compared arms; else null. */
  arms: z.object({ on: z.number(), off: z.number() }).nullable().default(null),
  alpha: z.number(),
  explanation: z.string(),
});
export type ReenablementCheckDto = z.infer<typeof lastCheckSchema>;

export const planSelect = {
  id: true,
  targetId: true,
  rollbackId: true,
  flagKeys: true,
  steps: true,
  currentStep: true,
  percent: true,
  status: true,
  version: true,
  stepHolds: true,
  baseline: true,
  lastCheck: true,
  startedAt: true,
  lastStepAt: true,
  endedAt: true,
  endReason: true,
  rollback: { select: { target: { select: { slug: true, name: true } } } },
} satisfies Prisma.FlagReenablementSelect;
export type PlanRow = Prisma.FlagReenablementGetPayload<{ select: typeof planSelect }>;

export interface ReenablementPlanDto {
  id: string;
  targetId: string;
  target: { slug: string; name: string };
  rollbackId: string;
  flagKeys: string[];
  steps: number[];
  currentStep: number;
  percent: number;
  status: (typeof reenablementStatuses)[number];
  stepHolds: number;
  startedAt: Date;
  lastStepAt: Date;
  endedAt: Date | null;
  endReason: string | null;
  lastCheck: ReenablementCheckDto | null;
}

function toPlanDto(row: PlanRow): ReenablementPlanDto {
  const lastCheck = lastCheckSchema.safeParse(row.lastCheck);
  return {
    id: row.id,
    targetId: row.targetId,
    target: row.rollback.target,
    rollbackId: row.rollbackId,
    flagKeys: keysSchema.parse(row.flagKeys),
    steps: stepsSchema.parse(row.steps),
    currentStep: row.currentStep,
    percent: row.percent,
    status: z.enum(reenablementStatuses).parse(row.status),
    stepHolds: row.stepHolds,
    startedAt: row.startedAt,
    lastStepAt: row.lastStepAt,
    endedAt: row.endedAt,
    endReason: row.endReason,
    lastCheck: lastCheck.success ? lastCheck.data : null,
  };
}

export async function policyOf(db: Db, targetId: string): Promise<Policy> {
  const row = (await loadLatestPolicies(db, { id: targetId })).get(targetId);
  return row ? parseStoredPolicy(row) : defaultPolicy;
}

/**
 * Changes the plan's flags, starts a configuration epoch for the target (the step window is clipped at it, as a
 * rollback step's is) and announces `config.changed`.
 */
export async function changePlanFlags(
  tx: Tx,
  plan: { targetId: string; flagKeys: string[] },
  change: { enabled?: boolean; percent?: number },
  { cause, summary, now }: { cause: string; summary: string; now: Date },
): Promise<void> {
  await tx.featureFlag.updateMany({ where: { key: { in: plan.flagKeys } }, data: { ...change, updatedById: null } });
  await tx.target.update({ where: { id: plan.targetId }, data: { configChangedAt: now }, select: { id: true } });
  await announceFlagChange(tx, { targetId: plan.targetId, cause, summary, keys: plan.flagKeys }, now);
}

export async function notifyPlan(
  tx: Tx,
  plan: { id: string; targetId: string; rollbackId: string; flagKeys: string[]; target: { slug: string } },
  event: string,
  message: { severity: NotificationSeverity; title: string; body: string; percent: number },
  now: Date,
): Promise<void> {
  await enqueueNotification(
    tx,
    {
      event,
      severity: message.severity,
      title: `${plan.target.slug}: ${message.title}`,
      body: message.body,
      targetId: plan.targetId,
      rollbackId: plan.rollbackId,
      payload: { planId: plan.id, flags: plan.flagKeys, percent: message.percent },
    },
    now,
  );
}

/**
 * Starts a plan for a verified-effective emergency rollback: a person only (kill switches go back on by a
 * person's decision). The baseline is the target's traffic over the policy's evaluation window, flags off,
 * clipped at the target's last configuration change; the flags go on at the first step's percent.
 */
export async function startReenablement(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof startReenablementSchema>>,
  { now, bucketWidthMs }: { now: Date; bucketWidthMs: number },
): Promise<ReenablementPlanDto> {
  const { rollbackId, steps } = parseInput(startReenablementSchema, input);
  if (actor.type !== "USER") throw new AppError("FORBIDDEN", "Only a person turns kill switches back on");
  const rollback = await db.rollback.findUnique({
    where: { id: rollbackId },
    select: { targetId: true, target: { select: { configChangedAt: true } } },
  });
  if (!rollback) throw new AppError("NOT_FOUND", "No such rollback");
  const policy = await policyOf(db, rollback.targetId);
  const end = bucketStart(now.getTime(), bucketWidthMs);
  const range = judgedRange(
    { from: end - policy.evaluationWindowSeconds * 1000, to: end },
    {
      configChangedAt: rollback.target.configChangedAt,
      configPickupSeconds: policy.configPickupSeconds,
      bucketWidthMs,
    },
  );
  const baseline = toBaseline(await loadTargetTotals(db, rollback.targetId, range), range);
  const [percent = 100] = steps;

  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const row = await tx.rollback.findUniqueOrThrow({
        where: { id: rollbackId },
        select: { status: true, verification: true, flagsTurnedOff: true, targetId: true },
      });
      const flagKeys = keysSchema.catch([]).parse(row.flagsTurnedOff ?? []);
      const [flags, state, running] = await Promise.all([
        tx.featureFlag.findMany({ where: { key: { in: flagKeys } }, select: { key: true, enabled: true } }),
        tx.systemState.findUnique({ where: { id: "global" }, select: { emergencyStopActive: true } }),
        tx.flagReenablement.findUnique({ where: { activeTargetId: row.targetId }, select: { id: true } }),
      ]);
      const refusal = reenablementRefusal({
        rollback: { status: row.status, verification: row.verification, flagsTurnedOff: flagKeys },
        flags,
        emergencyStopActive: state?.emergencyStopActive ?? false,
        planRunning: running !== null,
      });
      if (refusal) throw new AppError(refusal.code, refusal.message);
      const plan = await tx.flagReenablement.create({
        data: {
          targetId: row.targetId,
          rollbackId,
          activeTargetId: row.targetId,
          flagKeys,
          steps,
          currentStep: 0,
          percent,
          status: "RUNNING",
          baseline,
          startedById: actor.id,
          startedAt: now,
          lastStepAt: now,
        },
        select: planSelect,
      });
      await changePlanFlags(
        tx,
        { targetId: row.targetId, flagKeys },
        { enabled: true, percent },
        { cause: "flag_reenablement.started", summary: `Flags ${flagKeys.join(", ")} on for ${percent}%.`, now },
      );
      await appendAudit(
        tx,
        {
          actor,
          action: "flag_reenablement.started",
          entityType: "FlagReenablement",
          entityId: plan.id,
          targetId: row.targetId,
          after: { rollbackId, flagKeys, steps, percent, baselineRequests: baseline.requestCount },
        },
        now,
      );
      await notifyPlan(
        tx,
        { ...plan, target: plan.rollback.target, flagKeys },
        "flag_reenablement.started",
        {
          severity: "INFO",
          title: `re-enabling ${flagKeys.join(", ")}`,
          body: `${await describeActor(tx, actor)} started turning ${flagKeys.join(", ")} back on in steps of ${steps.join("/")}%; now ${percent}%.`,
          percent,
        },
        now,
      );
      return toPlanDto(plan);
    }),
  );
}

/** Ends a running plan on a person's word; the flags stay where they are. */
export async function cancelReenablement(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof cancelReenablementSchema>>,
  now: Date,
): Promise<ReenablementPlanDto> {
  const { planId, reason } = parseInput(cancelReenablementSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const plan = await tx.flagReenablement.findUnique({ where: { id: planId }, select: planSelect });
      if (!plan) throw new AppError("NOT_FOUND", "No such re-enablement plan");
      if (plan.status !== "RUNNING") {
        throw new AppError("PRECONDITION_FAILED", `This plan already ended (${plan.status.toLowerCase()})`);
      }
      await endPlan(tx, plan, { status: "CANCELLED", reason, actor, now });
      await notifyPlan(
        tx,
        { ...plan, target: plan.rollback.target, flagKeys: keysSchema.parse(plan.flagKeys) },
        "flag_reenablement.cancelled",
        {
          severity: "WARNING",
          title: "flag re-enablement cancelled",
          body: `${await describeActor(tx, actor)} cancelled the re-enablement at ${plan.percent}%: ${reason}. The flags stay where they are.`,
          percent: plan.percent,
        },
        now,
      );
      return toPlanDto(await tx.flagReenablement.findUniqueOrThrow({ where: { id: planId }, select: planSelect }));
    }),
  );
}

/** The emergency stop's part, in its transaction: every running plan ends CANCELLED (it turns the switches off). */
export async function cancelRunningReenablements(
  tx: Tx,
  { actor, reason, now }: { actor: Actor; reason: string; now: Date },
): Promise<string[]> {
  const plans = await tx.flagReenablement.findMany({ where: { status: "RUNNING" }, select: planSelect });
  for (const plan of plans) await endPlan(tx, plan, { status: "CANCELLED", reason, actor, now });
  return plans.map((plan) => plan.id);
}

/** Compare-and-set on `version`: a plan another writer moved meanwhile is a CONFLICT. */
export async function endPlan(
  tx: Tx,
  plan: PlanRow,
  end: { status: "CANCELLED" | "COMPLETED" | "REVERTED"; reason: string | null; actor: Actor; now: Date },
  extra: Prisma.FlagReenablementUncheckedUpdateManyInput = {},
): Promise<void> {
  const { count } = await tx.flagReenablement.updateMany({
    where: { id: plan.id, version: plan.version, status: "RUNNING" },
    data: {
      status: end.status,
      activeTargetId: null,
      version: { increment: 1 },
      endedAt: end.now,
      endedById: end.actor.type === "SYSTEM" ? null : end.actor.id,
      endReason: end.reason,
      ...extra,
    },
  });
  if (count === 0) throw new AppError("CONFLICT", "This re-enablement plan changed meanwhile: reload it and try again");
  await appendAudit(
    tx,
    {
      actor: end.actor,
      action: `flag_reenablement.${end.status.toLowerCase()}`,
      entityType: "FlagReenablement",
      entityId: plan.id,
      targetId: plan.targetId,
      before: { status: "RUNNING", percent: plan.percent },
      after: { status: end.status, flagKeys: keysSchema.parse(plan.flagKeys) },
      reason: end.reason,
    },
    end.now,
  );
}

export interface AwaitingReenablementDto {
  rollbackId: string;
  target: { id: string; slug: string; name: string };
  endedAt: Date | null;
  verifiedAt: Date | null;
  /** The switches the rollback turned off that are still off. */
  flagKeys: string[];
}

export interface ReenablementOverviewDto {
  awaiting: AwaitingReenablementDto[];
  running: (ReenablementPlanDto & { nextCheckAt: Date })[];
  /** The last ten plans that ended, newest first. */
  ended: ReenablementPlanDto[];
}

/**
 * The flags page's section: each target's latest verified-effective emergency rollback whose switches are still
 * off and which has no running plan, the running plans, and the last ended ones.
 */
export async function reenablementOverview(db: Db): Promise<ReenablementOverviewDto> {
  const [rollbacks, running, ended] = await Promise.all([
    db.rollback.findMany({
      where: { trigger: "EMERGENCY", status: "COMPLETED", verification: "EFFECTIVE" },
      orderBy: { endedAt: "desc" },
      take: 100,
      select: {
        id: true,
        endedAt: true,
        verifiedAt: true,
        flagsTurnedOff: true,
        target: { select: { id: true, slug: true, name: true } },
      },
    }),
    db.flagReenablement.findMany({ where: { status: "RUNNING" }, select: planSelect, orderBy: { startedAt: "asc" } }),
    db.flagReenablement.findMany({
      where: { status: { not: "RUNNING" } },
      select: planSelect,
      orderBy: { endedAt: "desc" },
      take: 10,
    }),
  ]);
  const latest = rollbacks.filter(
    (rollback, i) =>
      rollbacks.findIndex((other) => other.target.id === rollback.target.id) === i &&
      !running.some((plan) => plan.targetId === rollback.target.id),
  );
  const keys = latest.flatMap((rollback) => keysSchema.catch([]).parse(rollback.flagsTurnedOff ?? []));
  const off = await db.featureFlag.findMany({
    where: { key: { in: keys }, enabled: false },
    select: { key: true },
  });
  const awaiting = latest.flatMap((rollback) => {
    const flagKeys = keysSchema
      .catch([])
      .parse(rollback.flagsTurnedOff ?? [])
      .filter((key) => off.some((flag) => flag.key === key));
    return flagKeys.length === 0
      ? []
      : [
          {
            rollbackId: rollback.id,
            target: rollback.target,
            endedAt: rollback.endedAt,
            verifiedAt: rollback.verifiedAt,
            flagKeys,
          },
        ];
  });
  const policies = await loadLatestPolicies(db, { id: { in: running.map((plan) => plan.targetId) } });
  return {
    awaiting,
    running: running.map((row) => {
      const stored = policies.get(row.targetId);
      const policy = stored ? parseStoredPolicy(stored) : defaultPolicy;
      const nextCheckAt = nextStepDueAt({
        lastStepAt: row.lastStepAt,
        stepIntervalSeconds: policy.stepIntervalSeconds,
        stepHolds: row.stepHolds,
      });
      return { ...toPlanDto(row), nextCheckAt };
    }),
    ended: ended.map(toPlanDto),
  };
}
