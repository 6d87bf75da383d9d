// The audit hash chain: each event's hash covers its content and the previous event's hash, so changing,
// deleting or reordering a stored event breaks the chain at a point `verifyChain` can name. New events are
// keyed (HMAC-SHA256 under a key kept outside the database), so a database writer cannot recompute the chain;
// signed checkpoints of its head, kept outside the database too, show a chain cut back at its newest end.
import { createHmac, timingSafeEqual } from "node:crypto";
import { canonicalJson, sha256Hex, type JsonValue } from "./canonical-json";
import { AppError } from "./errors";

export const auditActorTypes = ["USER", "API_KEY", "SYSTEM"] as const;
export type AuditActorType = (typeof auditActorTypes)[number];

/** The previous hash of the first event. */
export const GENESIS_HASH = "0".repeat(64);

/** Unkeyed SHA-256: events written before the keyed chain. Anyone can recompute it, so it only ever opens the chain. */
export const LEGACY_HASH_SCHEME = "sha256";
/** HMAC-SHA256 under the chain key: every event written now. */
export const KEYED_HASH_SCHEME = "hmac-sha256";
export type AuditHashScheme = typeof LEGACY_HASH_SCHEME | typeof KEYED_HASH_SCHEME;

/**
 * The chain keys a verification accepts, oldest first, the current one (which signs new events and checkpoints)
 * last. More than one only after a rotation: a chain moves from one key to the next and never back.
 */
export type AuditKeyring = readonly Uint8Array[];

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

export type AuditChainEvent = AuditEventContent & {
  id?: string;
  previousHash: string;
  hash: string;
  /** How `hash` was computed: LEGACY_HASH_SCHEME or KEYED_HASH_SCHEME; anything else is a break. */
  hashScheme: string;
};

/**
 * Only the content fields and the previous hash are hashed, listed here rather than spread, so a row's own
 * id or hash never feeds in. Absent optional fields hash as null, the way a nullable column reads back.
 */
function hashedText(content: AuditEventContent, previousHash: string): string {
  const at = new Date(content.at);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== content.at) {
    throw new AppError("VALIDATION", `Audit time must be in Date.toISOString() form, got "${content.at}"`);
  }
  return canonicalJson({
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
  });
}

/** The legacy, unkeyed hash: SHA-256 of the canonical content with the previous hash. */
export function hashAuditEvent(content: AuditEventContent, previousHash: string): string {
  return sha256Hex(hashedText(content, previousHash));
}

/** The keyed hash of new events: HMAC-SHA256 of the same canonical text under the chain key. */
export function macAuditEvent(content: AuditEventContent, previousHash: string, key: Uint8Array): string {
  return hmacHex(key, hashedText(content, previousHash));
}

function hmacHex(key: Uint8Array, text: string): string {
  return createHmac("sha256", key).update(text, "utf8").digest("hex");
}

/** Constant-time comparison of two hex digests (a timing leak would let a guess be refined byte by byte). */
function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The last stored link; null for an empty chain. */
export type AuditLink = { sequence: number; hash: string } | null;

/** The one way to build a row to append: the next sequence, the previous hash and this event's keyed hash. */
export function linkAuditEvent(
  previous: AuditLink,
  content: Omit<AuditEventContent, "sequence">,
  key: Uint8Array,
): AuditEventContent & { previousHash: string; hash: string; hashScheme: AuditHashScheme } {
  const linked = { ...content, sequence: (previous?.sequence ?? 0) + 1 };
  const previousHash = previous?.hash ?? GENESIS_HASH;
  return { ...linked, previousHash, hash: macAuditEvent(linked, previousHash, key), hashScheme: KEYED_HASH_SCHEME };
}

export type ChainBreak =
  | "sequence gap"
  | "previous hash mismatch"
  | "hash mismatch"
  | "legacy hash after keyed events"
  | "retired key"
  | "unknown hash scheme";

/** Where a walk stands: the next event must follow this one. */
export interface ChainPosition {
  sequence: number;
  hash: string;
  /** The keyring index of the key the chain is under by now; null while still in the legacy prefix. */
  keyIndex: number | null;
}

export const CHAIN_START: ChainPosition = { sequence: 0, hash: GENESIS_HASH, keyIndex: null };

export type ChainVerification =
  | { ok: true; checked: number; position: ChainPosition }
  | {
      ok: false;
      checked: number;
      position: ChainPosition;
      brokenAt: { sequence: number; id?: string; reason: ChainBreak };
    };

/** The index of the first key, from `from` on, under which the event's keyed hash verifies; null when none. */
function keyIndexOf(event: AuditChainEvent, keys: AuditKeyring, from = 0): number | null {
  for (let index = from; index < keys.length; index++) {
    const key = keys[index];
    if (key && sameHex(macAuditEvent(event, event.previousHash, key), event.hash)) return index;
  }
  return null;
}

/** Which key of the ring an event (already known to follow its predecessor) verifies under; null if none. */
export function eventKeyIndex(event: AuditChainEvent, keys: AuditKeyring): number | null {
  return event.hashScheme === KEYED_HASH_SCHEME ? keyIndexOf(event, keys) : null;
}

/**
 * Walks events in the order given (ascending sequence) and reports the first broken link; `checked` counts the
 * events verified intact before it and `position` is the last of them. `after` is the position preceding the
 * first event, so a long chain can be verified in pages and resumed later. Per event, in order: its sequence
 * follows the previous one (a deleted or reordered event), its previous hash is the previous event's hash (an
 * event rewritten with a fresh hash breaks the next one), then its hash:
 * - legacy (`sha256`) only before the first keyed event: an unkeyed event after it was written by someone
 *   without the key;
 * - keyed: the HMAC under the chain's current key or a later one of the ring (a rotation); one that verifies
 *   only under a key the chain already moved past is a `retired key` (a leaked old key cannot extend the chain);
 *   none at all is a `hash mismatch` (an edited field, or a hash recomputed without the key).
 */
export function verifyChain(
  events: readonly AuditChainEvent[],
  keys: AuditKeyring,
  after: ChainPosition = CHAIN_START,
): ChainVerification {
  let position = after;
  for (const [checked, event] of events.entries()) {
    let reason: ChainBreak | null = null;
    let keyIndex = position.keyIndex;
    if (event.sequence !== position.sequence + 1) reason = "sequence gap";
    else if (event.previousHash !== position.hash) reason = "previous hash mismatch";
    else if (event.hashScheme === LEGACY_HASH_SCHEME) {
      if (position.keyIndex !== null) reason = "legacy hash after keyed events";
      else if (!sameHex(hashAuditEvent(event, event.previousHash), event.hash)) reason = "hash mismatch";
    } else if (event.hashScheme === KEYED_HASH_SCHEME) {
      keyIndex = keyIndexOf(event, keys, position.keyIndex ?? 0);
      if (keyIndex === null) {
        reason = position.keyIndex !== null && keyIndexOf(event, keys) !== null ? "retired key" : "hash mismatch";
      }
    } else reason = "unknown hash scheme";
    if (reason !== null) {
      const brokenAt = { sequence: event.sequence, reason, ...(event.id === undefined ? {} : { id: event.id }) };
      return { ok: false, checked, position, brokenAt };
    }
    position = { sequence: event.sequence, hash: event.hash, keyIndex };
  }
  return { ok: true, checked: events.length, position };
}

// Checkpoints: signed statements of the chain's head, sent outside the database. ---------------------------

/** What a checkpoint states: the chain had `sequence` events, the last with this hash, at this time. */
export interface AuditCheckpointStatement {
  sequence: number;
  hash: string;
  /** `Date.toISOString()`. */
  at: string;
}

export type SignedAuditCheckpoint = AuditCheckpointStatement & { signature: string };

/** A checkpoint as written to the file, sent in the `audit.checkpoint` notification and exported. */
export interface AuditCheckpointLine extends SignedAuditCheckpoint {
  type: "rewind.audit.checkpoint";
  /** Which key signed it (`auditKeyId`), so a rotation can tell; not itself signed. */
  keyId: string;
}

/** Domain separation: a checkpoint's MAC can never be mistaken for an event's (whose text starts with `{`). */
const CHECKPOINT_CONTEXT = "rewind.audit.checkpoint.v1\n";
const VERIFIED_PREFIX_CONTEXT = "rewind.audit.verified.v1\n";
const KEY_ID_CONTEXT = "rewind.audit.key-id.v1";

export function signCheckpoint(statement: AuditCheckpointStatement, key: Uint8Array): string {
  return hmacHex(
    key,
    CHECKPOINT_CONTEXT + canonicalJson({ sequence: statement.sequence, hash: statement.hash, at: statement.at }),
  );
}

/** The keyring index of the key that signed the checkpoint; null for a forged or altered one. */
export function checkpointSigner(checkpoint: SignedAuditCheckpoint, keys: AuditKeyring): number | null {
  for (const [index, key] of keys.entries()) {
    if (sameHex(signCheckpoint(checkpoint, key), checkpoint.signature)) return index;
  }
  return null;
}

/** A short public name for a key (the first 16 hex digits of a MAC under it): says which key, reveals nothing. */
export function auditKeyId(key: Uint8Array): string {
  return hmacHex(key, KEY_ID_CONTEXT).slice(0, 16);
}

export function checkpointLine(checkpoint: SignedAuditCheckpoint, key: Uint8Array): AuditCheckpointLine {
  return {
    type: "rewind.audit.checkpoint",
    sequence: checkpoint.sequence,
    hash: checkpoint.hash,
    at: checkpoint.at,
    signature: checkpoint.signature,
    keyId: auditKeyId(key),
  };
}

export type CheckpointStatus = "matches" | "truncated" | "rewritten" | "bad signature";

/**
 * A checkpoint against the stored chain: its signature first (a database writer cannot sign one), then the
 * chain must reach its sequence (`truncated`: the newest events were deleted) with the same hash there
 * (`rewritten`: history up to it was replaced, e.g. recomputed as unkeyed legacy events).
 */
export function checkCheckpoint(
  checkpoint: SignedAuditCheckpoint,
  keys: AuditKeyring,
  chain: { headSequence: number | null; hashAtSequence: string | null },
): CheckpointStatus {
  if (checkpointSigner(checkpoint, keys) === null) return "bad signature";
  if (chain.headSequence === null || chain.headSequence < checkpoint.sequence) return "truncated";
  if (chain.hashAtSequence === null || !sameHex(chain.hashAtSequence, checkpoint.hash)) return "rewritten";
  return "matches";
}

/**
 * When the monitoring cycle should checkpoint: when the chain has moved since the last checkpoint and either
 * that one is `intervalMs` old or `everyEvents` events were appended since. The frequency bounds how many of the
 * newest events a database writer could delete before a checkpoint of them leaves the database.
 */
export function checkpointDue(
  head: { sequence: number } | null,
  last: { sequence: number; at: Date } | null,
  rule: { now: Date; intervalMs: number; everyEvents: number },
): boolean {
  if (head === null) return false;
  if (last === null) return true;
  // Behind the last checkpoint is a truncation to report (checkCheckpoint), not a head to sign.
  if (head.sequence <= last.sequence) return false;
  return rule.now.getTime() - last.at.getTime() >= rule.intervalMs || head.sequence - last.sequence >= rule.everyEvents;
}

/**
 * The stored record of the verified prefix ("events 1–sequence verified") is MACed under the chain key with the
 * last event's hash, so a database writer can neither move it past events it changed nor keep it after
 * rewriting the event it ends at.
 */
export function verifiedPrefixTag(link: { sequence: number; hash: string }, key: Uint8Array): string {
  return hmacHex(key, VERIFIED_PREFIX_CONTEXT + canonicalJson({ sequence: link.sequence, hash: link.hash }));
}

export function verifiedPrefixSigner(
  link: { sequence: number; hash: string },
  tag: string,
  keys: AuditKeyring,
): number | null {
  for (const [index, key] of keys.entries()) {
    if (sameHex(verifiedPrefixTag(link, key), tag)) return index;
  }
  return null;
}
