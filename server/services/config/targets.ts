// Targets: create, edit, switch monitoring, and list them with their latest verdict.
import "server-only";
import type { z } from "zod";
import type { Prisma, Db } from "../../db";
import { AppError } from "../../domain/errors";
import { createTargetSchema, setMonitoringSchema, slugSchema, updateTargetSchema } from "../../domain/targets";
import { appendAudit, changedFields, describeActor, type Actor, type WithActor } from "../audit/audit-log";
import { enqueueNotification } from "../platform/outbox";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";

export const targetSelect = {
  id: true,
  slug: true,
  name: true,
  description: true,
  monitoringEnabled: true,
  currentSnapshotId: true,
  knownGoodSnapshotId: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.TargetSelect;
export type TargetDto = Prisma.TargetGetPayload<{ select: typeof targetSelect }>;

const latestVerdictSelect = {
  status: true,
  severity: true,
  consecutiveCount: true,
  evaluatedAt: true,
} satisfies Prisma.VerdictRecordSelect;
export type TargetWithVerdictDto = TargetDto & {
  latestVerdict: Prisma.VerdictRecordGetPayload<{ select: typeof latestVerdictSelect }> | null;
};

/** Targets by slug, each with its latest verdict (one indexed lookup per target). */
export async function listTargets(db: Db): Promise<TargetWithVerdictDto[]> {
  const targets = await db.target.findMany({ select: targetSelect, orderBy: { slug: "asc" } });
  return Promise.all(
    targets.map(async (target) => ({
      ...target,
      latestVerdict: await db.verdictRecord.findFirst({
        where: { targetId: target.id },
        orderBy: { evaluatedAt: "desc" },
        select: latestVerdictSelect,
      }),
    })),
  );
}

export async function getTargetBySlug(db: Db, slug: unknown): Promise<TargetDto> {
  const target = await db.target.findUnique({ where: { slug: parseInput(slugSchema, slug) }, select: targetSelect });
  if (!target) throw new AppError("NOT_FOUND", "No such target");
  return target;
}

export async function getTarget(db: Db, id: string): Promise<TargetDto> {
  const target = await db.target.findUnique({ where: { id }, select: targetSelect });
  if (!target) throw new AppError("NOT_FOUND", "No such target");
  return target;
}

export function createTarget(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof createTargetSchema>>,
  now: Date,
): Promise<TargetDto> {
  const data = parseInput(createTargetSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      // Checked before inserting: a unique violation would read as a write conflict and be retried.
      if (await tx.target.findUnique({ where: { slug: data.slug }, select: { id: true } })) {
        throw new AppError("CONFLICT", "A target with this slug already exists", {
          issues: { slug: "A target with this slug already exists" },
        });
      }
      const target = await tx.target.create({ data, select: targetSelect });
      await appendAudit(
        tx,
        {
          actor,
          action: "target.created",
          entityType: "Target",
          entityId: target.id,
          targetId: target.id,
          after: data,
        },
        now,
      );
      return target;
    }),
  );
}

export function updateTarget(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof updateTargetSchema>>,
  now: Date,
): Promise<TargetDto> {
  const { id, ...change } = parseInput(updateTargetSchema, input);
  return changeTarget(db, id, change, { actor, now });
}

/** Per-target monitoring on/off: people hear about it, since a target not monitored is never rolled back. */
export function setMonitoring(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof setMonitoringSchema>>,
  now: Date,
): Promise<TargetDto> {
  const { id, enabled } = parseInput(setMonitoringSchema, input);
  return changeTarget(db, id, { monitoringEnabled: enabled }, { actor, now });
}

/** One transaction with its audit event; a change to the values the target already has records nothing. */
function changeTarget(
  db: Db,
  id: string,
  change: { name?: string; description?: string; monitoringEnabled?: boolean },
  { actor, now }: { actor: Actor; now: Date },
): Promise<TargetDto> {
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const target = await tx.target.findUnique({ where: { id }, select: targetSelect });
      if (!target) throw new AppError("NOT_FOUND", "No such target");
      const changed = changedFields(target, change);
      if (!changed) return target;
      const updated = await tx.target.update({ where: { id }, data: change, select: targetSelect });
      const monitoring = change.monitoringEnabled;
      const action =
        monitoring === undefined
          ? "target.updated"
          : monitoring
            ? "target.monitoring_enabled"
            : "target.monitoring_disabled";
      await appendAudit(tx, { actor, action, entityType: "Target", entityId: id, targetId: id, ...changed }, now);
      if (monitoring !== undefined) {
        await enqueueNotification(
          tx,
          {
            event: action,
            severity: monitoring ? "INFO" : "WARNING",
            title: `${target.slug}: monitoring turned ${monitoring ? "on" : "off"}`,
            body: monitoring
              ? `${await describeActor(tx, actor)} turned monitoring of ${target.slug} back on.`
              : `${await describeActor(tx, actor)} turned monitoring of ${target.slug} off: it is not evaluated or rolled back until it is turned on again.`,
            targetId: id,
          },
          now,
        );
      }
      return updated;
    }),
  );
}
