// The global switches in the "global" SystemState row: the emergency stop (approvers; only a person
// lifts it) and the maintenance pause of monitoring (operators). Either one pauses automatic actions.
import "server-only";
import type { z } from "zod";
import type { Db, Prisma, Tx } from "../../db";
import { reasonInputSchema } from "../../domain/audit";
import { AppError } from "../../domain/errors";
import { actorIdOf, appendAudit, describeActor, type WithActor } from "../audit/audit-log";
import { cancelRunningReenablements } from "./flag-reenablement";
import { disableKillSwitches } from "./flags";
import { enqueueNotification } from "../platform/outbox";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";

const GLOBAL = "global";

const systemStateSelect = {
  emergencyStopActive: true,
  emergencyStopReason: true,
  emergencyStopById: true,
  emergencyStopAt: true,
  monitoringPaused: true,
  pauseReason: true,
  pausedById: true,
  pausedAt: true,
} satisfies Prisma.SystemStateSelect;
type SystemStateRow = Prisma.SystemStateGetPayload<{ select: typeof systemStateSelect }>;

const defaults: SystemStateRow = {
  emergencyStopActive: false,
  emergencyStopReason: null,
  emergencyStopById: null,
  emergencyStopAt: null,
  monitoringPaused: false,
  pauseReason: null,
  pausedById: null,
  pausedAt: null,
};

type UserRef = { id: string; name: string; email: string };

export type SystemStateDto = SystemStateRow & {
  emergencyStopBy: UserRef | null;
  pausedBy: UserRef | null;
  /** What the monitoring cycle checks before acting on its own. */
  automationPaused: boolean;
};

async function readState(db: Db | Tx): Promise<SystemStateRow> {
  return (await db.systemState.findUnique({ where: { id: GLOBAL }, select: systemStateSelect })) ?? defaults;
}

/** The defaults until someone first stops or pauses: the row is created by the first change. */
export async function getSystemState(db: Db): Promise<SystemStateDto> {
  const state = await readState(db);
  const ids = [state.emergencyStopById, state.pausedById].filter((id): id is string => id !== null);
  const users = await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, email: true } });
  const user = (id: string | null) => users.find((candidate) => candidate.id === id) ?? null;
  return {
    ...state,
    emergencyStopBy: user(state.emergencyStopById),
    pausedBy: user(state.pausedById),
    automationPaused: state.emergencyStopActive || state.monitoringPaused,
  };
}

/** True while the emergency stop or the maintenance pause is on: no automatic rollback may start. */
export async function automationPaused(db: Db | Tx): Promise<boolean> {
  const state = await readState(db);
  return state.emergencyStopActive || state.monitoringPaused;
}

type StateChange = WithActor<z.input<typeof reasonInputSchema>>;

/**
 * Compare-and-set on the singleton: the update applies only when `expect` still holds, so two people
 * pressing the same button at once change it once and the other is told it already happened.
 */
async function changeState(
  tx: Tx,
  expect: Prisma.SystemStateWhereInput,
  data: Prisma.SystemStateUpdateManyMutationInput,
): Promise<boolean> {
  await tx.systemState.upsert({ where: { id: GLOBAL }, create: { id: GLOBAL }, update: {}, select: { id: true } });
  const { count } = await tx.systemState.updateMany({ where: { id: GLOBAL, ...expect }, data });
  return count === 1;
}

/**
 * Turns every kill switch off and pauses automatic actions until a person lifts it. Returns the new state
 * and the keys of the kill switches it turned off.
 */
export async function activateEmergencyStop(
  db: Db,
  { actor, ...input }: StateChange,
  now: Date,
): Promise<SystemStateDto & { killSwitchesTurnedOff: string[] }> {
  const { reason } = parseInput(reasonInputSchema, input);
  const keys = await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const started = await changeState(
        tx,
        { emergencyStopActive: false },
        {
          emergencyStopActive: true,
          emergencyStopReason: reason,
          emergencyStopById: actorIdOf(actor),
          emergencyStopAt: now,
        },
      );
      if (!started) {
        const state = await readState(tx);
        throw new AppError(
          "PRECONDITION_FAILED",
          `The emergency stop is already active since ${state.emergencyStopAt?.toISOString() ?? "earlier"}: ${state.emergencyStopReason ?? ""}`,
        );
      }
      const keys = await disableKillSwitches(tx, { actor, reason, now });
      const reenablementsCancelled = await cancelRunningReenablements(tx, { actor, reason, now });
      await appendAudit(
        tx,
        {
          actor,
          action: "emergency_stop.activated",
          entityType: "SystemState",
          entityId: GLOBAL,
          before: { emergencyStopActive: false },
          after: { emergencyStopActive: true, killSwitchesTurnedOff: keys, reenablementsCancelled },
          reason,
        },
        now,
      );
      await enqueueNotification(
        tx,
        {
          event: "emergency_stop.activated",
          severity: "EMERGENCY",
          title: "Emergency stop activated",
          body:
            `${await describeActor(tx, actor)} stopped all automatic actions: ${reason}. ` +
            (keys.length > 0 ? `Kill switches turned off: ${keys.join(", ")}.` : "No kill switch was on."),
          payload: { killSwitchesTurnedOff: keys },
        },
        now,
      );
      return keys;
    }),
  );
  return { ...(await getSystemState(db)), killSwitchesTurnedOff: keys };
}

/** A person only. Kill switches stay off: whoever lifts the stop turns them on again one by one. */
export async function liftEmergencyStop(db: Db, { actor, ...input }: StateChange, now: Date): Promise<SystemStateDto> {
  const { reason } = parseInput(reasonInputSchema, input);
  if (actor.type !== "USER") throw new AppError("FORBIDDEN", "Only a person can lift the emergency stop");
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const before = await readState(tx);
      const lifted = await changeState(
        tx,
        { emergencyStopActive: true },
        { emergencyStopActive: false, emergencyStopReason: null, emergencyStopById: null, emergencyStopAt: null },
      );
      if (!lifted) throw new AppError("PRECONDITION_FAILED", "The emergency stop is not active");
      const stillOff = await tx.featureFlag.findMany({
        where: { killSwitch: true, enabled: false },
        select: { key: true },
        orderBy: { key: "asc" },
      });
      await appendAudit(
        tx,
        {
          actor,
          action: "emergency_stop.lifted",
          entityType: "SystemState",
          entityId: GLOBAL,
          before: {
            emergencyStopActive: true,
            reason: before.emergencyStopReason,
            byId: before.emergencyStopById,
            at: before.emergencyStopAt?.toISOString() ?? null,
          },
          after: { emergencyStopActive: false },
          reason,
        },
        now,
      );
      await enqueueNotification(
        tx,
        {
          event: "emergency_stop.lifted",
          severity: "RESOLVED",
          title: "Emergency stop lifted",
          body:
            `${await describeActor(tx, actor)} lifted the emergency stop: ${reason}. Automatic actions resume. ` +
            (stillOff.length > 0
              ? `Kill switches stay off until a person turns them on: ${stillOff.map((flag) => flag.key).join(", ")}.`
              : "No kill switch is off."),
        },
        now,
      );
    }),
  );
  return getSystemState(db);
}

/** Maintenance (a provider migration, a load test): no automatic action until it is resumed. */
export async function pauseMonitoring(db: Db, { actor, ...input }: StateChange, now: Date): Promise<SystemStateDto> {
  const { reason } = parseInput(reasonInputSchema, input);
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const paused = await changeState(
        tx,
        { monitoringPaused: false },
        { monitoringPaused: true, pauseReason: reason, pausedById: actorIdOf(actor), pausedAt: now },
      );
      if (!paused) throw new AppError("PRECONDITION_FAILED", "Monitoring is already paused");
      await appendAudit(
        tx,
        {
          actor,
          action: "monitoring.paused",
          entityType: "SystemState",
          entityId: GLOBAL,
          before: { monitoringPaused: false },
          after: { monitoringPaused: true },
          reason,
        },
        now,
      );
      await enqueueNotification(
        tx,
        {
          event: "monitoring.paused",
          severity: "WARNING",
          title: "Monitoring paused",
          body: `${await describeActor(tx, actor)} paused monitoring of every target: ${reason}. No rollback starts on its own until it is resumed.`,
        },
        now,
      );
    }),
  );
  return getSystemState(db);
}

export async function resumeMonitoring(db: Db, { actor, ...input }: StateChange, now: Date): Promise<SystemStateDto> {
  const { reason } = parseInput(reasonInputSchema, input);
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const before = await readState(tx);
      const resumed = await changeState(
        tx,
        { monitoringPaused: true },
        { monitoringPaused: false, pauseReason: null, pausedById: null, pausedAt: null },
      );
      if (!resumed) throw new AppError("PRECONDITION_FAILED", "Monitoring is not paused");
      await appendAudit(
        tx,
        {
          actor,
          action: "monitoring.resumed",
          entityType: "SystemState",
          entityId: GLOBAL,
          before: {
            monitoringPaused: true,
            reason: before.pauseReason,
            byId: before.pausedById,
            at: before.pausedAt?.toISOString() ?? null,
          },
          after: { monitoringPaused: false },
          reason,
        },
        now,
      );
      await enqueueNotification(
        tx,
        {
          event: "monitoring.resumed",
          severity: "RESOLVED",
          title: "Monitoring resumed",
          body: `${await describeActor(tx, actor)} resumed monitoring: ${reason}.`,
        },
        now,
      );
    }),
  );
  return getSystemState(db);
}
