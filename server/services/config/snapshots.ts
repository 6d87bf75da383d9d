// Config snapshots: publishing, reading for use (checksum verified first), diffs, and the known-good
// pointer (bake promotion, marks by hand, failures). Rules: server/domain/snapshots.ts, docs/ROLLBACKS.md.
import type { z } from "zod";
import type { Db, Prisma, Tx } from "../../db";
import { checksumOf, type JsonValue } from "../../domain/canonical-json";
import { AppError } from "../../domain/errors";
import { defaultPolicy } from "../../domain/policy";
import {
  assertCanBeKnownGood,
  bakeStatus,
  diffConfigs,
  publishSnapshotSchema,
  snapshotDiffSchema,
  snapshotMarkSchema,
  verifySnapshotChecksum,
  type BakeState,
  type ConfigChange,
} from "../../domain/snapshots";
import { actorIdOf, appendAudit, describeActor, systemActor, type Actor, type WithActor } from "../audit/audit-log";
import { enqueueConfigChanged, enqueueNotification } from "../notifications/outbox";
import { getPolicy, loadLatestPolicies, parseStoredPolicy } from "./policies";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";

/** Everything but the config, which only the reads that need it load. */
export const snapshotSelect = {
  id: true,
  targetId: true,
  version: true,
  parentId: true,
  label: true,
  checksum: true,
  createdByType: true,
  createdById: true,
  createdAt: true,
  publishedAt: true,
  knownGoodAt: true,
  failedAt: true,
  failedReason: true,
} satisfies Prisma.ConfigSnapshotSelect;
export type SnapshotDto = Prisma.ConfigSnapshotGetPayload<{ select: typeof snapshotSelect }>;
export type SnapshotWithConfig = SnapshotDto & { config: JsonValue };

export type SnapshotListItem = SnapshotDto & {
  /** Who published it, for display: a user's name and email, an API key's name, or Rewind itself. */
  createdBy: { type: string; name: string; email: string | null };
  isCurrent: boolean;
  /** Marked known-good (after its bake or by hand) and not failed since. */
  isKnownGood: boolean;
  /** The target's known-good pointer: where a rollback goes. */
  isRollbackTarget: boolean;
  /** For the current snapshot while it is still being judged (neither known-good nor failed); else null. */
  bake: { state: BakeState; readyAt: Date } | null;
};

async function requireTarget(client: Db | Tx, targetId: string) {
  const target = await client.target.findUnique({
    where: { id: targetId },
    select: { id: true, slug: true, currentSnapshotId: true, knownGoodSnapshotId: true },
  });
  if (!target) throw new AppError("NOT_FOUND", "No such target");
  return target;
}

async function requireSnapshot(client: Db | Tx, snapshotId: string): Promise<SnapshotDto> {
  const snapshot = await client.configSnapshot.findUnique({ where: { id: snapshotId }, select: snapshotSelect });
  if (!snapshot) throw new AppError("NOT_FOUND", "No such snapshot");
  return snapshot;
}

/**
 * Makes a snapshot the target's current configuration. Its bake time counts from now, so whoever switches a
 * target to a snapshot (publishing, a completed rollback) goes through here.
 */
export async function setCurrentSnapshot(
  tx: Tx,
  options: { targetId: string; snapshotId: string; now: Date },
): Promise<void> {
  await tx.configSnapshot.update({ where: { id: options.snapshotId }, data: { publishedAt: options.now } });
  await tx.target.update({ where: { id: options.targetId }, data: { currentSnapshotId: options.snapshotId } });
}

/**
 * Stores the next version and makes it current. Publishing the checksum that is already current changes
 * nothing and returns that snapshot with `created: false`, so a config-as-code client can publish on every
 * deploy. Refused while a rollback of the target is active: its split is between the snapshots it knows.
 * Two publishers at once both read version n; the unique (targetId, version) makes one retry as n + 1.
 */
export function publishSnapshot(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof publishSnapshotSchema>>,
  now: Date,
): Promise<{ snapshot: SnapshotDto; created: boolean }> {
  const { targetId, config, label } = parseInput(publishSnapshotSchema, input);
  const checksum = checksumOf(config);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const target = await requireTarget(tx, targetId);
      const current = target.currentSnapshotId ? await requireSnapshot(tx, target.currentSnapshotId) : null;
      if (current?.checksum === checksum) return { snapshot: current, created: false };
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
      return { snapshot, created: true };
    }),
  );
}

/** For display: the config as stored, and whether it still matches its checksum. */
export async function getSnapshot(db: Db, snapshotId: string): Promise<SnapshotWithConfig & { checksumOk: boolean }> {
  const row = await db.configSnapshot.findUnique({
    where: { id: snapshotId },
    select: { ...snapshotSelect, config: true },
  });
  if (!row) throw new AppError("NOT_FOUND", "No such snapshot");
  const config = row.config as JsonValue;
  return { ...row, config, checksumOk: checksumOf(config) === row.checksum };
}

/** For serving or rolling back to: a row whose config no longer matches its checksum is refused. */
export async function getSnapshotForUse(client: Db | Tx, snapshotId: string): Promise<SnapshotWithConfig> {
  const row = await client.configSnapshot.findUnique({
    where: { id: snapshotId },
    select: { ...snapshotSelect, config: true },
  });
  if (!row) throw new AppError("NOT_FOUND", "No such snapshot");
  verifySnapshotChecksum(row);
  return { ...row, config: row.config as JsonValue };
}

/**
 * The domain's bake input for a snapshot: the target's verdicts since it was published. A verdict at the
 * publishing instant judged the configuration before it, so only later ones count.
 */
async function bakeOf(
  client: Db | Tx,
  snapshot: { targetId: string; publishedAt: Date },
  bakeTimeSeconds: number,
  now: Date,
) {
  const since = { targetId: snapshot.targetId, evaluatedAt: { gt: snapshot.publishedAt } };
  const violation = await client.verdictRecord.findFirst({
    where: { ...since, status: { in: ["VIOLATION", "BREACH"] } },
    orderBy: { evaluatedAt: "asc" },
    select: { evaluatedAt: true, status: true },
  });
  const healthy = await client.verdictRecord.findFirst({
    where: { ...since, status: "HEALTHY" },
    select: { id: true },
  });
  const bake = bakeStatus({
    publishedAt: snapshot.publishedAt,
    bakeTimeSeconds,
    firstViolationAt: violation?.evaluatedAt ?? null,
    sawHealthyVerdict: healthy !== null,
    now,
  });
  return { ...bake, violation };
}

function awaitingBake(snapshot: SnapshotDto): snapshot is SnapshotDto & { publishedAt: Date } {
  return snapshot.publishedAt !== null && snapshot.knownGoodAt === null && snapshot.failedAt === null;
}

/** Newest version first. */
export async function listSnapshots(db: Db, targetId: string, now: Date): Promise<SnapshotListItem[]> {
  const target = await requireTarget(db, targetId);
  const rows = await db.configSnapshot.findMany({
    where: { targetId },
    orderBy: { version: "desc" },
    select: snapshotSelect,
  });
  const current = rows.find((row) => row.id === target.currentSnapshotId);
  const bake =
    current && awaitingBake(current)
      ? await bakeOf(db, current, (await getPolicy(db, targetId)).policy.bakeTimeSeconds, now)
      : null;
  const creatorOf = await snapshotCreators(db, rows);
  return rows.map((row) => ({
    ...row,
    createdBy: creatorOf(row),
    isCurrent: row.id === target.currentSnapshotId,
    isKnownGood: row.knownGoodAt !== null && row.failedAt === null,
    isRollbackTarget: row.id === target.knownGoodSnapshotId,
    bake: row === current && bake ? { state: bake.state, readyAt: bake.readyAt } : null,
  }));
}

/** Publishers are referenced by type and id (a user, an API key or the system), so their names are looked up. */
async function snapshotCreators(
  db: Db,
  rows: readonly Pick<SnapshotDto, "createdByType" | "createdById">[],
): Promise<(row: Pick<SnapshotDto, "createdByType" | "createdById">) => SnapshotListItem["createdBy"]> {
  const idsOf = (type: string) => [
    ...new Set(rows.flatMap((row) => (row.createdByType === type && row.createdById ? [row.createdById] : []))),
  ];
  const [userIds, keyIds] = [idsOf("USER"), idsOf("API_KEY")];
  const [users, keys] = await Promise.all([
    userIds.length === 0
      ? []
      : db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, name: true, email: true } }),
    keyIds.length === 0 ? [] : db.apiKey.findMany({ where: { id: { in: keyIds } }, select: { id: true, name: true } }),
  ]);
  const userById = new Map(users.map((user) => [user.id, user]));
  const keyById = new Map(keys.map((key) => [key.id, key]));
  return ({ createdByType: type, createdById: id }) => {
    if (type === "USER") {
      const user = id ? userById.get(id) : undefined;
      return { type, name: user?.name ?? `Deleted user ${id ?? ""}`.trim(), email: user?.email ?? null };
    }
    if (type === "API_KEY") {
      const key = id ? keyById.get(id) : undefined;
      return { type, name: key ? `API key ${key.name}` : `Deleted API key ${id ?? ""}`.trim(), email: null };
    }
    return { type, name: "Rewind", email: null };
  };
}

/** What changed from one snapshot of a target to another (domain diffConfigs). */
export async function diffSnapshots(
  db: Db,
  input: z.input<typeof snapshotDiffSchema>,
): Promise<{ from: { id: string; version: number }; to: { id: string; version: number }; changes: ConfigChange[] }> {
  const { targetId, fromId, toId } = parseInput(snapshotDiffSchema, input);
  const load = async (id: string) => {
    const row = await db.configSnapshot.findFirst({
      where: { id, targetId },
      select: { id: true, version: true, config: true },
    });
    if (!row) throw new AppError("NOT_FOUND", `No snapshot ${id} of this target`);
    return row;
  };
  const [from, to] = await Promise.all([load(fromId), load(toId)]);
  return {
    from: { id: from.id, version: from.version },
    to: { id: to.id, version: to.version },
    changes: diffConfigs(from.config, to.config),
  };
}

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
