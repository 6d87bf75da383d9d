// The hash-chained audit history's write side. Call appendAudit with the transaction that makes the change it
// records, so the change and its record commit (or roll back) together. Reading and export are
// audit-reads.ts, verification audit-chain.ts, checkpoints audit-checkpoints.ts.
import "server-only";
import type { Db, Prisma, Tx } from "../../db";
import { linkAuditEvent, type AuditActorType } from "../../domain/audit-chain";
import { storableJson, type JsonValue } from "../../domain/canonical-json";
import { isLogged, logOnCommit, type LogLevel } from "../platform/log";
import { auditChainKeyring, type AuditChainKeyring } from "./audit-chain-key";
import { apiKeyLabel } from "./principals";

/**
 * Who made a change: a signed-in user, a machine client's API key, or Rewind itself. A command run on Rewind's
 * host (`npm run user:create`, `apikey:create`) acts as the system but names who ran it in `via`, stored as
 * the event's actorId (`cli:alice@host`): no session or key vouches for that name, so it says where the change
 * came from without making anyone a user. Everything that checks `type` treats it as the system.
 */
export type Actor = { type: "USER"; id: string } | { type: "API_KEY"; id: string } | { type: "SYSTEM"; via?: string };

export const systemActor: Actor = { type: "SYSTEM" };

/** A command line run by `who` (an OS user and host, e.g. alice@rewind-1). */
export function commandLineActor(who: string): Actor {
  return { type: "SYSTEM", via: `cli:${who}` };
}

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
 * Links the entry to the last event and inserts it, keyed under the current chain key. Two transactions
 * appending at once compute the same next sequence; the unique index on `sequence` makes one of them fail, and
 * callers run their whole transaction under retryOnConflict (server/services/platform/retry.ts), which repeats
 * it on top of the winner.
 */
export async function appendAudit(
  tx: Tx,
  entry: AuditEntry,
  now: Date,
  options: { keyring?: AuditChainKeyring } = {},
): Promise<void> {
  const key = (options.keyring ?? auditChainKeyring()).current;
  const last = await tx.auditEvent.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true, hash: true } });
  const actorType: AuditActorType = entry.actor.type;
  const linked = linkAuditEvent(
    last,
    {
      at: now.toISOString(),
      actorType,
      actorId: entry.actor.type === "SYSTEM" ? (entry.actor.via ?? null) : entry.actor.id,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      targetId: entry.targetId ?? null,
      // Hashed as it will read back (storableJson): a long float would otherwise read back 1 ulp off.
      before: storableJson(entry.before ?? null),
      after: storableJson(entry.after ?? null),
      reason: entry.reason ?? null,
    },
    key,
  );
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
  await logAudited(tx, entry, linked.sequence);
}

/** Actions an operator should notice in the log among the routine ones. */
const warnActions = new Set([
  "rollback.failed",
  "rollback.gate_aborted",
  "rollback.ineffective",
  "snapshot.failed",
  "emergency_stop.activated",
]);
/** Fields of an event's `after` known to hold no secret or free text, copied to its log line. */
const loggedAfterFields = ["status", "trafficPercent", "trigger", "verification"];

/**
 * One log line per audited action (written once the transaction commits): action, target, rollback, actor kind,
 * id and name, and the few `after` fields above. Never `before`/`after` as a whole nor the reason: those are free
 * text or settings, and stay in the audit log.
 */
async function logAudited(tx: Tx, entry: AuditEntry, sequence: number): Promise<void> {
  const level: LogLevel = warnActions.has(entry.action) ? "warn" : "info";
  if (!isLogged(level)) return;
  const { actor } = entry;
  const [target, actorName] = await Promise.all([
    entry.targetId
      ? tx.target.findUnique({ where: { id: entry.targetId }, select: { slug: true } })
      : Promise.resolve(null),
    actor.type === "USER"
      ? tx.user.findUnique({ where: { id: actor.id }, select: { name: true } }).then((row) => row?.name)
      : actor.type === "API_KEY"
        ? tx.apiKey.findUnique({ where: { id: actor.id }, select: { name: true } }).then((row) => row?.name)
        : Promise.resolve(undefined),
  ]);
  const after = (entry.after && typeof entry.after === "object" && !Array.isArray(entry.after) ? entry.after : {}) as {
    readonly [field: string]: JsonValue | undefined;
  };
  const safeAfter = Object.fromEntries(
    loggedAfterFields.flatMap((field) => {
      const value = after[field];
      return typeof value === "string" || typeof value === "number" ? [[field, value]] : [];
    }),
  );
  logOnCommit(level, entry.action, {
    ...(target && { target: target.slug }),
    ...(entry.targetId && { targetId: entry.targetId }),
    ...(entry.entityType === "Rollback" && { rollbackId: entry.entityId }),
    entityType: entry.entityType,
    entityId: entry.entityId,
    actor:
      actor.type === "SYSTEM" ? (actor.via ?? "system") : `${actor.type === "USER" ? "user" : "api_key"}:${actor.id}`,
    ...(actorName && { actorName }),
    ...safeAfter,
    auditSequence: sequence,
  });
}

/** The id stored with a change: the user's or key's, none for Rewind itself. */
export function actorIdOf(actor: Actor): string | null {
  return actor.type === "SYSTEM" ? null : actor.id;
}

/** A service's input: the fields it validates, and who asks (trusted, never taken from a request body). */
export type WithActor<Input = Record<string, unknown>> = Input & { actor: Actor };

/**
 * The fields `change` sets to a new value, as an audit event's before and after; null when it changes
 * nothing, so a save that changes nothing records nothing.
 */
export function changedFields<Row extends object>(
  row: Row,
  change: Partial<Row>,
): { before: { [field: string]: JsonValue }; after: { [field: string]: JsonValue } } | null {
  const keys = (Object.keys(change) as (keyof Row & string)[]).filter(
    (key) => change[key] !== undefined && change[key] !== row[key],
  );
  if (keys.length === 0) return null;
  const pick = (source: Partial<Row>) => Object.fromEntries(keys.map((key) => [key, source[key] as JsonValue]));
  return { before: pick(row), after: pick(change) };
}

/** For notification texts: "Ana (ana@example.com)", "API key “deploy-bot”", "Rewind". */
export async function describeActor(db: Db | Tx, actor: Actor): Promise<string> {
  if (actor.type === "SYSTEM") return actor.via ? `the command line (${actor.via.replace(/^cli:/, "")})` : "Rewind";
  if (actor.type === "API_KEY") {
    const key = await db.apiKey.findUnique({ where: { id: actor.id }, select: { name: true } });
    return key ? apiKeyLabel(key.name) : `API key ${actor.id}`;
  }
  const user = await db.user.findUnique({ where: { id: actor.id }, select: { name: true, email: true } });
  return user ? `${user.name} (${user.email})` : `user ${actor.id}`;
}

/** An event's recorded content, without its chain links: what the log shows and what the chain hashes. */
export const auditEventSelect = {
  id: true,
  sequence: true,
  at: true,
  actorType: true,
  actorId: true,
  action: true,
  entityType: true,
  entityId: true,
  targetId: true,
  before: true,
  after: true,
  reason: true,
} satisfies Prisma.AuditEventSelect;
