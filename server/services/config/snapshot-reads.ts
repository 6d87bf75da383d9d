// Reading config snapshots: the stored shape, one snapshot for display or for use (checksum verified first),
// the target's list with its bake state, and diffs. Rules: server/domain/snapshots.ts, docs/ROLLBACKS.md.
import "server-only";
import type { z } from "zod";
import type { Db, Prisma, Tx } from "../../db";
import { checksumOf, type JsonValue } from "../../domain/canonical-json";
import { AppError } from "../../domain/errors";
import {
  bakeStatus,
  diffConfigs,
  snapshotDiffSchema,
  verifySnapshotChecksum,
  type BakeState,
  type ConfigChange,
} from "../../domain/snapshots";
import { parseInput } from "../platform/validation";
import { getPolicy } from "./policies";

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

export async function requireTarget(client: Db | Tx, targetId: string) {
  const target = await client.target.findUnique({
    where: { id: targetId },
    select: { id: true, slug: true, currentSnapshotId: true, knownGoodSnapshotId: true },
  });
  if (!target) throw new AppError("NOT_FOUND", "No such target");
  return target;
}

export async function requireSnapshot(client: Db | Tx, snapshotId: string): Promise<SnapshotDto> {
  const snapshot = await client.configSnapshot.findUnique({ where: { id: snapshotId }, select: snapshotSelect });
  if (!snapshot) throw new AppError("NOT_FOUND", "No such snapshot");
  return snapshot;
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
export async function bakeOf(
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

export function awaitingBake(snapshot: SnapshotDto): snapshot is SnapshotDto & { publishedAt: Date } {
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
