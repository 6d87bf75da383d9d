// Appending to the hash-chained audit history. Call appendAudit with the transaction that makes the
// change it records, so the change and its record commit (or roll back) together.
import type { Tx } from "../db";
import { linkAuditEvent, type AuditActorType } from "../domain/audit-chain";
import type { JsonValue } from "../domain/canonical-json";

/** Who made a change: a signed-in user, a machine client's API key, or Rewind itself. */
export type Actor = { type: "USER"; id: string } | { type: "API_KEY"; id: string } | { type: "SYSTEM" };

export const systemActor: Actor = { type: "SYSTEM" };

export function userActor(id: string): Actor {
  return { type: "USER", id };
}

export interface AuditEntry {
  actor: Actor;
  /** `<entity>.<verb>`, e.g. rollback.approved, snapshot.published, user.role_changed. */
  action: string;
  entityType: string;
  entityId: string;
  targetId?: string | null;
  before?: JsonValue | null;
  after?: JsonValue | null;
  reason?: string | null;
}

/**
 * Links the entry to the last event and inserts it. Two transactions appending at once compute the same
 * next sequence; the unique index on `sequence` makes one of them fail, and callers run their whole
 * transaction under retryOnConflict (server/services/retry.ts), which repeats it on top of the winner.
 */
export async function appendAudit(tx: Tx, entry: AuditEntry, now: Date): Promise<void> {
  const last = await tx.auditEvent.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true, hash: true } });
  const actorType: AuditActorType = entry.actor.type;
  const linked = linkAuditEvent(last, {
    at: now.toISOString(),
    actorType,
    actorId: entry.actor.type === "SYSTEM" ? null : entry.actor.id,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    targetId: entry.targetId ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
    reason: entry.reason ?? null,
  });
  await tx.auditEvent.create({
    data: {
      ...linked,
      at: now,
      // Prisma stores JSON null as a JSON value; a missing before/after is a database NULL.
      before: linked.before ?? undefined,
      after: linked.after ?? undefined,
    },
    select: { id: true },
  });
}
