// Feature flags the orchestrator reads, and the kill switches the emergency stop turns off. While the stop
// is active no kill switch may be on, and only a person turns one back on.
import "server-only";
import type { z } from "zod";
import type { Db, Prisma, Tx } from "../../db";
import { AppError } from "../../domain/errors";
import { createFlagSchema, setFlagEnabledSchema, setFlagPercentSchema, updateFlagSchema } from "../../domain/flags";
import { actorIdOf, appendAudit, changedFields, describeActor, type Actor, type WithActor } from "../audit/audit-log";
import { enqueueConfigChanged, enqueueNotification } from "../platform/outbox";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";

export const flagSelect = {
  id: true,
  key: true,
  description: true,
  enabled: true,
  killSwitch: true,
  percent: true,
  targetId: true,
  updatedById: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.FeatureFlagSelect;
export type FlagDto = Prisma.FeatureFlagGetPayload<{ select: typeof flagSelect }>;

const flagListSelect = {
  ...flagSelect,
  target: { select: { slug: true, name: true } },
} satisfies Prisma.FeatureFlagSelect;

/** A listed flag, with its target's name and who changed it last: a user, an API key, or Rewind (no id). */
export type FlagListItemDto = Prisma.FeatureFlagGetPayload<{ select: typeof flagListSelect }> & {
  updatedBy:
    | { type: "USER"; name: string; email: string }
    | { type: "API_KEY"; name: string }
    | { type: "SYSTEM" }
    | { type: "UNKNOWN" };
};

/** By key; with a target, that target's flags only. */
export async function listFlags(db: Db, options: { targetId?: string } = {}): Promise<FlagListItemDto[]> {
  const flags = await db.featureFlag.findMany({
    where: options.targetId ? { targetId: options.targetId } : {},
    select: flagListSelect,
    orderBy: { key: "asc" },
  });
  // updatedById holds a user's or an API key's id (actorIdOf); ids are cuids, so one lookup in each table tells which.
  const ids = [...new Set(flags.flatMap((flag) => (flag.updatedById ? [flag.updatedById] : [])))];
  const [users, keys] =
    ids.length === 0
      ? [[], []]
      : await Promise.all([
          db.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, email: true } }),
          db.apiKey.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } }),
        ]);
  return flags.map((flag) => {
    const user = users.find((candidate) => candidate.id === flag.updatedById);
    const key = keys.find((candidate) => candidate.id === flag.updatedById);
    const updatedBy: FlagListItemDto["updatedBy"] = !flag.updatedById
      ? { type: "SYSTEM" }
      : user
        ? { type: "USER", name: user.name, email: user.email }
        : key
          ? { type: "API_KEY", name: key.name }
          : { type: "UNKNOWN" };
    return { ...flag, updatedBy };
  });
}

/** The one check behind create, update and toggle: the emergency stop keeps every kill switch off. */
async function assertKillSwitchMayBeOn(tx: Tx, flag: { enabled: boolean; killSwitch: boolean }): Promise<void> {
  if (!flag.enabled || !flag.killSwitch) return;
  const state = await tx.systemState.findUnique({ where: { id: "global" }, select: { emergencyStopActive: true } });
  if (state?.emergencyStopActive) {
    throw new AppError(
      "PRECONDITION_FAILED",
      "The emergency stop is active: kill switches stay off until a person lifts it",
    );
  }
}

/**
 * Flags are part of the effective configuration: a target's own flag changes that target's, a global one
 * every target's. Announced as `config.changed`.
 */
export async function announceFlagChange(
  tx: Tx,
  options: { targetId: string | null; cause: string; summary: string; keys: string[] },
  now: Date,
): Promise<void> {
  const target = options.targetId
    ? await tx.target.findUnique({ where: { id: options.targetId }, select: { id: true, slug: true } })
    : null;
  await enqueueConfigChanged(
    tx,
    { target, cause: options.cause, summary: options.summary, details: { flags: options.keys } },
    now,
  );
}

async function findFlag(tx: Tx, id: string): Promise<FlagDto> {
  const flag = await tx.featureFlag.findUnique({ where: { id }, select: flagSelect });
  if (!flag) throw new AppError("NOT_FOUND", "No such flag");
  return flag;
}

export function createFlag(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof createFlagSchema>>,
  now: Date,
): Promise<FlagDto> {
  const data = parseInput(createFlagSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      if (data.targetId && !(await tx.target.findUnique({ where: { id: data.targetId }, select: { id: true } }))) {
        throw new AppError("NOT_FOUND", "No such target", { issues: { targetId: "No such target" } });
      }
      // Checked before inserting: a unique violation would read as a write conflict and be retried.
      if (await tx.featureFlag.findUnique({ where: { key: data.key }, select: { id: true } })) {
        throw new AppError("CONFLICT", "A flag with this key already exists", {
          issues: { key: "A flag with this key already exists" },
        });
      }
      await assertKillSwitchMayBeOn(tx, data);
      const flag = await tx.featureFlag.create({
        data: { ...data, targetId: data.targetId ?? null, updatedById: actorIdOf(actor) },
        select: flagSelect,
      });
      await appendAudit(
        tx,
        {
          actor,
          action: "flag.created",
          entityType: "FeatureFlag",
          entityId: flag.id,
          targetId: flag.targetId,
          after: { key: flag.key, description: flag.description, enabled: flag.enabled, killSwitch: flag.killSwitch },
        },
        now,
      );
      await announceFlagChange(
        tx,
        {
          targetId: flag.targetId,
          cause: "flag.created",
          summary: `New flag ${flag.key} (${flag.enabled ? "on" : "off"}).`,
          keys: [flag.key],
        },
        now,
      );
      return flag;
    }),
  );
}

/** Description and kill-switch mark; an update that changes nothing records nothing. */
export function updateFlag(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof updateFlagSchema>>,
  now: Date,
): Promise<FlagDto> {
  const { id, ...change } = parseInput(updateFlagSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const flag = await findFlag(tx, id);
      const changed = changedFields(flag, change);
      if (!changed) return flag;
      await assertKillSwitchMayBeOn(tx, { ...flag, ...change });
      const updated = await tx.featureFlag.update({
        where: { id },
        data: { ...change, updatedById: actorIdOf(actor) },
        select: flagSelect,
      });
      await appendAudit(
        tx,
        {
          actor,
          action: "flag.updated",
          entityType: "FeatureFlag",
          entityId: id,
          targetId: flag.targetId,
          ...changed,
        },
        now,
      );
      return updated;
    }),
  );
}

/** Turning a kill switch back on takes a person, and is refused while the emergency stop is active. */
export function setFlagEnabled(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof setFlagEnabledSchema>>,
  now: Date,
): Promise<FlagDto> {
  const { id, enabled } = parseInput(setFlagEnabledSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const flag = await findFlag(tx, id);
      if (flag.enabled === enabled) return flag;
      if (enabled && flag.killSwitch && actor.type !== "USER") {
        throw new AppError("FORBIDDEN", "Only a person turns a kill switch back on");
      }
      await assertKillSwitchMayBeOn(tx, { ...flag, enabled });
      const updated = await tx.featureFlag.update({
        where: { id },
        data: { enabled, updatedById: actorIdOf(actor) },
        select: flagSelect,
      });
      const state = enabled ? "on" : "off";
      await appendAudit(
        tx,
        {
          actor,
          action: enabled ? "flag.enabled" : "flag.disabled",
          entityType: "FeatureFlag",
          entityId: id,
          targetId: flag.targetId,
          before: { enabled: flag.enabled },
          after: { enabled },
        },
        now,
      );
      await enqueueNotification(
        tx,
        {
          event: enabled ? "flag.enabled" : "flag.disabled",
          severity: "INFO",
          title: `Flag ${flag.key} turned ${state}`,
          body: `${await describeActor(tx, actor)} turned ${flag.killSwitch ? "the kill switch" : "the flag"} ${flag.key} ${state}.`,
          targetId: flag.targetId,
          payload: { flagId: id, key: flag.key, enabled, killSwitch: flag.killSwitch },
        },
        now,
      );
      await announceFlagChange(
        tx,
        {
          targetId: flag.targetId,
          cause: enabled ? "flag.enabled" : "flag.disabled",
          summary: `Flag ${flag.key} turned ${state}.`,
          keys: [flag.key],
        },
        now,
      );
      return updated;
    }),
  );
}

/**
 * The share of traffic the flag is on for while enabled (`flags[].percent`); a flag off stays off. A change of a
 * target's flag starts a configuration epoch, as a rollback step does: judgments count the traffic after it.
 */
export function setFlagPercent(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof setFlagPercentSchema>>,
  now: Date,
): Promise<FlagDto> {
  const { id, percent } = parseInput(setFlagPercentSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const flag = await findFlag(tx, id);
      if (flag.percent === percent) return flag;
      const updated = await tx.featureFlag.update({
        where: { id },
        data: { percent, updatedById: actorIdOf(actor) },
        select: flagSelect,
      });
      if (flag.targetId) {
        await tx.target.update({ where: { id: flag.targetId }, data: { configChangedAt: now }, select: { id: true } });
      }
      await appendAudit(
        tx,
        {
          actor,
          action: "flag.percent_changed",
          entityType: "FeatureFlag",
          entityId: id,
          targetId: flag.targetId,
          before: { percent: flag.percent },
          after: { percent },
        },
        now,
      );
      await announceFlagChange(
        tx,
        {
          targetId: flag.targetId,
          cause: "flag.percent_changed",
          summary: `Flag ${flag.key} now on for ${percent}% of traffic${flag.enabled ? "" : " once enabled"}.`,
          keys: [flag.key],
        },
        now,
      );
      return updated;
    }),
  );
}

/**
 * Turns off every enabled kill-switch flag (of one target and the global ones, or all when no target is
 * given), auditing each. Returns the keys it turned off. Only a person turns them back on.
 */
export async function disableKillSwitches(
  tx: Tx,
  options: { actor: Actor; targetId?: string; reason: string; now: Date },
): Promise<string[]> {
  const flags = await tx.featureFlag.findMany({
    where: {
      killSwitch: true,
      enabled: true,
      ...(options.targetId ? { OR: [{ targetId: options.targetId }, { targetId: null }] } : {}),
    },
    select: { id: true, key: true, targetId: true },
    orderBy: { key: "asc" },
  });
  for (const flag of flags) {
    await tx.featureFlag.update({
      where: { id: flag.id },
      data: { enabled: false, updatedById: actorIdOf(options.actor) },
    });
    await appendAudit(
      tx,
      {
        actor: options.actor,
        action: "flag.kill_switch_off",
        entityType: "FeatureFlag",
        entityId: flag.id,
        targetId: flag.targetId,
        before: { enabled: true },
        after: { enabled: false },
        reason: options.reason,
      },
      options.now,
    );
  }
  // One announcement per target whose flags changed (null: the global flags, every target's).
  for (const targetId of new Set(flags.map((flag) => flag.targetId))) {
    const keys = flags.filter((flag) => flag.targetId === targetId).map((flag) => flag.key);
    await announceFlagChange(
      tx,
      {
        targetId,
        cause: "flag.kill_switch_off",
        summary: `Kill switches turned off: ${keys.join(", ")}.`,
        keys,
      },
      options.now,
    );
  }
  return flags.map((flag) => flag.key);
}
