// The target's known-good pointer (where a rollback goes): marks by hand, failures, and the cycle's bake
// check that promotes a baked snapshot or fails one that violated its SLOs while baking.
import "server-only";
import type { z } from "zod";
import type { Db, Tx } from "../../db";
import { AppError } from "../../domain/errors";
import { defaultPolicy } from "../../domain/policy";
import { assertCanBeKnownGood, snapshotMarkSchema, type BakeState } from "../../domain/snapshots";
import { appendAudit, describeActor, systemActor, type Actor, type WithActor } from "../audit/audit-log";
import { enqueueNotification } from "../platform/outbox";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";
import { loadLatestPolicies, parseStoredPolicy } from "./policies";
import { awaitingBake, bakeOf, requireSnapshot, requireTarget, type SnapshotDto } from "./snapshot-reads";

/**
 * The most recently proven known-good snapshot that has not failed since, or null. "Most recently proven"
 * rather than highest version: after a manual rollback to an older snapshot that then bakes, that one is
 * the last configuration seen healthy.
 */
async function latestKnownGood(tx: Tx, targetId: string) {
  return tx.configSnapshot.findFirst({
    where: { targetId, knownGoodAt: { not: null }, failedAt: null },
    orderBy: [{ knownGoodAt: "desc" }, { version: "desc" }],
    select: { id: true, version: true },
  });
}

async function pointKnownGoodAt(tx: Tx, targetId: string, snapshotId: string | null): Promise<void> {
  await tx.target.update({ where: { id: targetId }, data: { knownGoodSnapshotId: snapshotId } });
}

/**
 * After a snapshot stopped being known-good (unmarked or failed): when it was the target's pointer, the
 * pointer moves to the latest other known-good snapshot, or null. Says where the pointer is now.
 */
async function movePointerOff(
  tx: Tx,
  target: { id: string; knownGoodSnapshotId: string | null },
  snapshotId: string,
): Promise<{ moved: boolean; knownGoodSnapshotId: string | null; message: string }> {
  if (target.knownGoodSnapshotId !== snapshotId) {
    return {
      moved: false,
      knownGoodSnapshotId: target.knownGoodSnapshotId,
      message: "The rollback target is unchanged.",
    };
  }
  const next = await latestKnownGood(tx, target.id);
  await pointKnownGoodAt(tx, target.id, next?.id ?? null);
  return {
    moved: true,
    knownGoodSnapshotId: next?.id ?? null,
    message: next
      ? `Rollbacks now go to v${next.version}.`
      : "No snapshot is known-good: no rollback can run until one is.",
  };
}

/** Blessing a snapshot (after its bake, or by hand) makes it the target's known-good pointer. */
async function becomeKnownGood(
  tx: Tx,
  snapshot: SnapshotDto,
  options: { actor: Actor; reason: string; now: Date },
): Promise<void> {
  const target = await requireTarget(tx, snapshot.targetId);
  await tx.configSnapshot.update({ where: { id: snapshot.id }, data: { knownGoodAt: options.now } });
  await pointKnownGoodAt(tx, snapshot.targetId, snapshot.id);
  await appendAudit(
    tx,
    {
      actor: options.actor,
      action: "snapshot.known_good",
      entityType: "ConfigSnapshot",
      entityId: snapshot.id,
      targetId: snapshot.targetId,
      before: { knownGoodSnapshotId: target.knownGoodSnapshotId },
      after: { version: snapshot.version, knownGoodSnapshotId: snapshot.id },
      reason: options.reason,
    },
    options.now,
  );
  await enqueueNotification(
    tx,
    {
      event: "snapshot.known_good",
      severity: "INFO",
      title: `${target.slug}: v${snapshot.version} is known-good`,
      body: `${await describeActor(tx, options.actor)} marked v${snapshot.version} known-good: ${options.reason}. Rollbacks of ${target.slug} now go to it.`,
      targetId: snapshot.targetId,
      payload: { snapshotId: snapshot.id, version: snapshot.version },
    },
    options.now,
  );
}

/** By hand, with a reason; never a failed snapshot. */
export function markKnownGood(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof snapshotMarkSchema>>,
  now: Date,
): Promise<SnapshotDto> {
  const { snapshotId, reason } = parseInput(snapshotMarkSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const snapshot = await requireSnapshot(tx, snapshotId);
      assertCanBeKnownGood(snapshot);
      if (snapshot.knownGoodAt !== null) {
        throw new AppError("PRECONDITION_FAILED", `Snapshot v${snapshot.version} is already known-good`);
      }
      await becomeKnownGood(tx, snapshot, { actor, reason, now });
      return requireSnapshot(tx, snapshotId);
    }),
  );
}

/** By hand, with a reason. When it was the pointer, the pointer moves to the previous known-good (or null). */
export function unmarkKnownGood(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof snapshotMarkSchema>>,
  now: Date,
): Promise<SnapshotDto> {
  const { snapshotId, reason } = parseInput(snapshotMarkSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const snapshot = await requireSnapshot(tx, snapshotId);
      if (snapshot.knownGoodAt === null) {
        throw new AppError("PRECONDITION_FAILED", `Snapshot v${snapshot.version} is not known-good`);
      }
      const target = await requireTarget(tx, snapshot.targetId);
      await tx.configSnapshot.update({ where: { id: snapshotId }, data: { knownGoodAt: null } });
      const pointer = await movePointerOff(tx, target, snapshotId);
      await appendAudit(
        tx,
        {
          actor,
          action: "snapshot.known_good_removed",
          entityType: "ConfigSnapshot",
          entityId: snapshotId,
          targetId: snapshot.targetId,
          before: { knownGoodAt: snapshot.knownGoodAt.toISOString(), knownGoodSnapshotId: target.knownGoodSnapshotId },
          after: { knownGoodAt: null, knownGoodSnapshotId: pointer.knownGoodSnapshotId },
          reason,
        },
        now,
      );
      await enqueueNotification(
        tx,
        {
          event: "snapshot.known_good_removed",
          severity: "WARNING",
          title: `${target.slug}: v${snapshot.version} is no longer known-good`,
          body: `${await describeActor(tx, actor)} unmarked v${snapshot.version}: ${reason}. ${pointer.message}`,
          targetId: snapshot.targetId,
          payload: { snapshotId, version: snapshot.version, knownGoodSnapshotId: pointer.knownGoodSnapshotId },
        },
        now,
      );
      return requireSnapshot(tx, snapshotId);
    }),
  );
}

/**
 * For the bake check and the rollback services, inside their transaction: the snapshot is never known-good
 * again, and when it was the target's pointer the pointer moves back to the previous known-good snapshot
 * that has not failed (or null). A snapshot already failed is left as it is. Returns the pointer after.
 */
export async function markSnapshotFailed(
  tx: Tx,
  options: { snapshotId: string; reason: string; now: Date; actor: Actor },
): Promise<{ knownGoodSnapshotId: string | null }> {
  const snapshot = await requireSnapshot(tx, options.snapshotId);
  const target = await requireTarget(tx, snapshot.targetId);
  if (snapshot.failedAt !== null) return { knownGoodSnapshotId: target.knownGoodSnapshotId };
  const reason = options.reason.trim();
  if (reason === "") throw new AppError("VALIDATION", "A reason is required to mark a snapshot failed");
  await tx.configSnapshot.update({
    where: { id: snapshot.id },
    data: { failedAt: options.now, failedReason: reason },
  });
  const pointer = await movePointerOff(tx, target, snapshot.id);
  const { knownGoodSnapshotId } = pointer;
  await appendAudit(
    tx,
    {
      actor: options.actor,
      action: "snapshot.failed",
      entityType: "ConfigSnapshot",
      entityId: snapshot.id,
      targetId: snapshot.targetId,
      before: { knownGoodSnapshotId: target.knownGoodSnapshotId },
      after: { version: snapshot.version, failedAt: options.now.toISOString(), knownGoodSnapshotId },
      reason,
    },
    options.now,
  );
  await enqueueNotification(
    tx,
    {
      event: "snapshot.failed",
      severity: "WARNING",
      title: `${target.slug}: v${snapshot.version} failed`,
      body: `v${snapshot.version} will never be known-good: ${reason}.${pointer.moved ? ` ${pointer.message}` : ""}`,
      targetId: snapshot.targetId,
      payload: { snapshotId: snapshot.id, version: snapshot.version, knownGoodSnapshotId },
    },
    options.now,
  );
  return { knownGoodSnapshotId };
}

export interface PromotionSummary {
  /** Current snapshots that baked and became known-good. */
  promoted: number;
  /** Current snapshots that violated their SLOs while baking. */
  failed: number;
  /** Targets whose check failed (an invalid stored policy, a database error); the others still ran. */
  errors: { targetId: string; message: string }[];
}

/**
 * The cycle's bake check: every target's current snapshot that is neither known-good nor failed is promoted
 * once BAKED and marked failed once FAILED (domain bakeStatus), each target in its own transaction.
 */
export async function promoteBakedSnapshots(db: Db, { now }: { now: Date }): Promise<PromotionSummary> {
  const targets = await db.target.findMany({
    where: { currentSnapshotId: { not: null } },
    select: { currentSnapshotId: true },
  });
  const candidates = await db.configSnapshot.findMany({
    where: {
      id: { in: targets.flatMap((target) => (target.currentSnapshotId ? [target.currentSnapshotId] : [])) },
      publishedAt: { not: null },
      knownGoodAt: null,
      failedAt: null,
    },
    select: { id: true, targetId: true },
    orderBy: { targetId: "asc" },
  });
  const policies = await loadLatestPolicies(db, { id: { in: candidates.map((candidate) => candidate.targetId) } });
  const summary: PromotionSummary = { promoted: 0, failed: 0, errors: [] };
  for (const { id, targetId } of candidates) {
    try {
      const row = policies.get(targetId);
      const { bakeTimeSeconds } = row ? parseStoredPolicy(row) : defaultPolicy;
      const state = await retryOnConflict(() => db.$transaction((tx) => settleBake(tx, id, bakeTimeSeconds, now)));
      if (state === "BAKED") summary.promoted++;
      if (state === "FAILED") summary.failed++;
    } catch (error) {
      summary.errors.push({ targetId, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return summary;
}

/** Re-reads inside the transaction: a publish since the candidates were listed leaves the old one alone. */
async function settleBake(tx: Tx, snapshotId: string, bakeTimeSeconds: number, now: Date): Promise<BakeState | null> {
  const snapshot = await requireSnapshot(tx, snapshotId);
  const target = await requireTarget(tx, snapshot.targetId);
  if (target.currentSnapshotId !== snapshot.id || !awaitingBake(snapshot)) return null;
  const { state, violation } = await bakeOf(tx, snapshot, bakeTimeSeconds, now);
  if (state === "BAKED") {
    await becomeKnownGood(tx, snapshot, {
      actor: systemActor,
      reason: `Healthy for its bake time of ${bakeTimeSeconds} s since ${snapshot.publishedAt.toISOString()}`,
      now,
    });
  } else if (state === "FAILED" && violation) {
    await markSnapshotFailed(tx, {
      snapshotId,
      reason: `${violation.status} verdict at ${violation.evaluatedAt.toISOString()} while baking`,
      now,
      actor: systemActor,
    });
  }
  return state;
}
