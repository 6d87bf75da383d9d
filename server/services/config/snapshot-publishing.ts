// Publishing a config snapshot: the next version made current, with its audit event, notification and
// `config.changed` announcement; and the one way any caller makes a snapshot current.
import "server-only";
import type { z } from "zod";
import type { Db, Tx } from "../../db";
import { checksumOf, storableJson } from "../../domain/canonical-json";
import { AppError } from "../../domain/errors";
import { publishSnapshotSchema } from "../../domain/snapshots";
import { actorIdOf, appendAudit, describeActor, type WithActor } from "../audit/audit-log";
import { enqueueConfigChanged, enqueueNotification } from "../platform/outbox";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";
import { requireSnapshot, requireTarget, type SnapshotDto } from "./snapshot-reads";

/**
 * Makes a snapshot the target's current configuration. Its bake time counts from now, and so does the
 * target's configuration epoch (`configChangedAt`: judgments count only traffic after it, docs/POLICY.md), so
 * whoever switches a target to a snapshot (publishing, a completed rollback) goes through here.
 */
export async function setCurrentSnapshot(
  tx: Tx,
  options: { targetId: string; snapshotId: string; now: Date },
): Promise<void> {
  await tx.configSnapshot.update({ where: { id: options.snapshotId }, data: { publishedAt: options.now } });
  await tx.target.update({
    where: { id: options.targetId },
    data: { currentSnapshotId: options.snapshotId, configChangedAt: options.now },
  });
}

export interface PublishedSnapshot {
  snapshot: SnapshotDto;
  created: boolean;
}

/**
 * Stores the next version and makes it current. Publishing the checksum that is already current changes
 * nothing and returns that snapshot with `created: false`, so a config-as-code client can publish on every
 * deploy. Refused while a rollback of the target is active: its split is between the snapshots it knows.
 * Two publishers at once both read version n; the unique (targetId, version) makes one retry as n + 1.
 * `inTransaction` runs last in that transaction, with the result as of its commit (also when nothing changed: a
 * retry must not publish the config again over one published meanwhile): the machine API stores its
 * Idempotency-Key response there (machine/replay-protection.ts).
 */
export function publishSnapshot(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof publishSnapshotSchema>>,
  now: Date,
  options: { inTransaction?: (tx: Tx, committed: PublishedSnapshot) => Promise<void> } = {},
): Promise<PublishedSnapshot> {
  const parsed = parseInput(publishSnapshotSchema, input);
  const { targetId, label } = parsed;
  // Checksummed as it will read back: the snapshot page re-checks the checksum over the stored config.
  const config = storableJson(parsed.config);
  const checksum = checksumOf(config);
  const finish = async (tx: Tx, published: PublishedSnapshot) => {
    await options.inTransaction?.(tx, published);
    return published;
  };
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const target = await requireTarget(tx, targetId);
      const current = target.currentSnapshotId ? await requireSnapshot(tx, target.currentSnapshotId) : null;
      if (current?.checksum === checksum) return finish(tx, { snapshot: current, created: false });
      if (await tx.rollback.findUnique({ where: { activeTargetId: targetId }, select: { id: true } })) {
        throw new AppError(
          "PRECONDITION_FAILED",
          `A rollback of ${target.slug} is active: publish once it has ended, or cancel it first`,
        );
      }
      const last = await tx.configSnapshot.findFirst({
        where: { targetId },
        orderBy: { version: "desc" },
        select: { version: true },
      });
      const created = await tx.configSnapshot.create({
        data: {
          targetId,
          version: (last?.version ?? 0) + 1,
          parentId: current?.id ?? null,
          label: label ?? null,
          config,
          checksum,
          createdByType: actor.type,
          createdById: actorIdOf(actor),
          createdAt: now,
        },
        select: { id: true },
      });
      await setCurrentSnapshot(tx, { targetId, snapshotId: created.id, now });
      const snapshot = await requireSnapshot(tx, created.id);
      await appendAudit(
        tx,
        {
          actor,
          action: "snapshot.published",
          entityType: "ConfigSnapshot",
          entityId: snapshot.id,
          targetId,
          before: current && { snapshotId: current.id, version: current.version, checksum: current.checksum },
          after: { version: snapshot.version, checksum, label: snapshot.label },
        },
        now,
      );
      await enqueueNotification(
        tx,
        {
          event: "snapshot.published",
          severity: "INFO",
          title: `${target.slug}: configuration v${snapshot.version} published`,
          body:
            `${await describeActor(tx, actor)} published v${snapshot.version}` +
            `${snapshot.label ? ` (${snapshot.label})` : ""}; it bakes before it becomes known-good.`,
          targetId,
          payload: { snapshotId: snapshot.id, version: snapshot.version, checksum },
        },
        now,
      );
      await enqueueConfigChanged(
        tx,
        {
          target: { id: targetId, slug: target.slug },
          cause: "snapshot.published",
          summary: `v${snapshot.version} is now the current configuration of ${target.slug}.`,
          details: { snapshotId: snapshot.id, version: snapshot.version, checksum },
        },
        now,
      );
      return finish(tx, { snapshot, created: true });
    }),
  );
}
