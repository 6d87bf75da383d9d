// The audit hash chain: each event's hash covers its content and the previous event's hash, so changing,
// deleting or reordering a stored event breaks the chain at a point `verifyChain` can name.
import { canonicalJson, sha256Hex, type JsonValue } from "./canonical-json";
import { AppError } from "./errors";

export const auditActorTypes = ["USER", "API_KEY", "SYSTEM"] as const;
export type AuditActorType = (typeof auditActorTypes)[number];

/** The previous hash of the first event. */
export const GENESIS_HASH = "0".repeat(64);

export interface AuditEventContent {
  /** 1, 2, 3, … with no gaps: a deleted event shows as a gap. */
  sequence: number;
  /** `Date.toISOString()`, the form a stored timestamp reads back as. */
  at: string;
  actorType: AuditActorType;
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  targetId?: string | null;
  before?: JsonValue | null;
  after?: JsonValue | null;
  reason?: string | null;
}

export type AuditChainEvent = AuditEventContent & { id?: string; previousHash: string; hash: string };

/**
 * Only the content fields and the previous hash are hashed, listed here rather than spread, so a row's own
 * id or hash never feeds in. Absent optional fields hash as null, the way a nullable column reads back.
 */
export function hashAuditEvent(content: AuditEventContent, previousHash: string): string {
  const at = new Date(content.at);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== content.at) {
    throw new AppError("VALIDATION", `Audit time must be in Date.toISOString() form, got "${content.at}"`);
  }
  return sha256Hex(
    canonicalJson({
      sequence: content.sequence,
      at: content.at,
      actorType: content.actorType,
      actorId: content.actorId,
      action: content.action,
      entityType: content.entityType,
      entityId: content.entityId,
      targetId: content.targetId ?? null,
      before: content.before ?? null,
      after: content.after ?? null,
      reason: content.reason ?? null,
      previousHash,
    }),
  );
}

/** The last stored link; null for an empty chain. */
export type AuditLink = { sequence: number; hash: string } | null;

/** The one way to build a row to append: the next sequence, the previous hash and this event's hash. */
export function linkAuditEvent(
  previous: AuditLink,
  content: Omit<AuditEventContent, "sequence">,
): AuditEventContent & { previousHash: string; hash: string } {
  const linked = { ...content, sequence: (previous?.sequence ?? 0) + 1 };
  const previousHash = previous?.hash ?? GENESIS_HASH;
  return { ...linked, previousHash, hash: hashAuditEvent(linked, previousHash) };
}

export type ChainBreak = "sequence gap" | "previous hash mismatch" | "hash mismatch";

export type ChainVerification =
  | { ok: true; checked: number }
  | { ok: false; checked: number; brokenAt: { sequence: number; id?: string; reason: ChainBreak } };

/**
 * Walks events in the order given (ascending sequence) and reports the first broken link; `checked` counts
 * the events verified intact before it. `after` is the link preceding the first event, so a long chain can be
 * verified in pages; the default is the start of the chain. Per event, in order: its sequence follows the
 * previous one (a deleted or reordered event), its previous hash is the previous event's hash (an event
 * rewritten with a fresh hash breaks the next one), and its hash matches its content (an edited field).
 */
export function verifyChain(events: readonly AuditChainEvent[], after: AuditLink = null): ChainVerification {
  let expected = { sequence: (after?.sequence ?? 0) + 1, previousHash: after?.hash ?? GENESIS_HASH };
  for (const [checked, event] of events.entries()) {
    const reason: ChainBreak | null =
      event.sequence !== expected.sequence
        ? "sequence gap"
        : event.previousHash !== expected.previousHash
          ? "previous hash mismatch"
          : hashAuditEvent(event, event.previousHash) !== event.hash
            ? "hash mismatch"
            : null;
    if (reason !== null) {
      const brokenAt = { sequence: event.sequence, reason, ...(event.id === undefined ? {} : { id: event.id }) };
      return { ok: false, checked, brokenAt };
    }
    expected = { sequence: event.sequence + 1, previousHash: event.hash };
  }
  return { ok: true, checked: events.length };
}
