// Verifies the audit chain: incrementally from the prefix an earlier run verified (remembered in the
// AuditVerification row "chain", MACed so a database writer cannot move it), or in full; then against the
// newest stored checkpoint (every stored one in a full run) and a checkpoint the user supplies.
import "server-only";
import type { z } from "zod";
import type { Db, Prisma } from "../../db";
import { auditVerifySchema, type AuditCheckpointInput } from "../../domain/audit";
import {
  CHAIN_START,
  checkCheckpoint,
  LEGACY_HASH_SCHEME,
  verifiedPrefixSigner,
  verifiedPrefixTag,
  verifyChain,
  type AuditActorType,
  type ChainBreak,
  type ChainPosition,
  type CheckpointStatus,
} from "../../domain/audit-chain";
import { parseInput } from "../platform/validation";
import { auditChainKeyring, type AuditChainKeyring, type AuditKeySource } from "./audit-chain-key";
import { newestCheckpoint } from "./audit-checkpoints";
import { auditEventSelect } from "./audit-log";

const VERIFY_PAGE = 1_000;
const VERIFICATION_ID = "chain";

const chainSelect = {
  ...auditEventSelect,
  previousHash: true,
  hash: true,
  hashScheme: true,
} satisfies Prisma.AuditEventSelect;
type ChainRow = Prisma.AuditEventGetPayload<{ select: typeof chainSelect }>;

function chainEvent(row: ChainRow) {
  return { ...row, at: row.at.toISOString(), actorType: row.actorType as AuditActorType };
}

/**
 * A break in the chain. Beyond the link checks of `verifyChain`: `verified event changed`, the event that ended
 * the remembered verified prefix is gone or no longer has the hash verified then (history up to it was
 * rewritten or cut back, or the verification record was edited): a full re-verification tells which.
 */
export type AuditChainBreak = ChainBreak | "verified event changed";

export interface CheckpointCheck {
  /** A stored checkpoint (AuditCheckpoint) or one the user supplied from outside the database. */
  source: "stored" | "supplied";
  /** The stored row's id; null for a supplied one. */
  id: string | null;
  sequence: number;
  hash: string;
  at: Date;
  status: CheckpointStatus;
}

export interface AuditChainReport {
  /** The chain is unbroken and agrees with every checkpoint checked. */
  ok: boolean;
  mode: "incremental" | "full";
  /** Events hashed by this run: only those after the remembered prefix, unless full. */
  checked: number;
  /** Events 1–through were taken as verified by an earlier run, at verifiedAt; null when this run started at 1. */
  resumedFrom: { through: number; verifiedAt: Date } | null;
  /** The newest event; null for an empty log. */
  head: { sequence: number; at: Date } | null;
  /** Events 1–legacyThrough use the unkeyed legacy hash (written before the keyed chain); null when none does. */
  legacyThrough: number | null;
  keySource: AuditKeySource;
  brokenAt: {
    sequence: number;
    id: string | null;
    reason: AuditChainBreak;
    at: Date | null;
    action: string | null;
  } | null;
  /** The checkpoints checked, supplied first; empty when none exists. */
  checkpoints: CheckpointCheck[];
}

/**
 * Walks the chain from the remembered prefix (everything with `full`), records how far it verified, and checks
 * checkpoints. Appends made meanwhile are verified too if they arrive before the walk ends.
 */
export async function verifyAuditChain(
  db: Db,
  input: z.input<typeof auditVerifySchema> = {},
  options: { now: Date; full?: boolean; keyring?: AuditChainKeyring },
): Promise<AuditChainReport> {
  const { checkpoint: supplied } = parseInput(auditVerifySchema, input);
  const keyring = options.keyring ?? auditChainKeyring();
  const keys = keyring.keys;
  const full = options.full === true;

  const resumed = full ? null : await remembered(db, keyring);
  let brokenAt: AuditChainReport["brokenAt"] = resumed?.broken ?? null;
  let position: ChainPosition = resumed?.position ?? CHAIN_START;
  let checked = 0;
  while (brokenAt === null) {
    const page: ChainRow[] = await db.auditEvent.findMany({
      where: { sequence: { gt: position.sequence } },
      orderBy: { sequence: "asc" },
      take: VERIFY_PAGE,
      select: chainSelect,
    });
    const result = verifyChain(page.map(chainEvent), keys, position);
    checked += result.checked;
    position = result.position;
    if (!result.ok) {
      const broken = page[result.checked];
      if (!broken) throw new Error("verifyChain reported a break outside the page");
      brokenAt = {
        sequence: broken.sequence,
        id: broken.id,
        reason: result.brokenAt.reason,
        at: broken.at,
        action: broken.action,
      };
    } else if (page.length < VERIFY_PAGE) break;
  }
  if (brokenAt === null && position.sequence > (resumed?.position.sequence ?? 0)) {
    await rememberVerified(db, position, keyring, options.now);
  }

  const [head, legacyThrough] = await Promise.all([
    db.auditEvent.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true, at: true } }),
    legacyPrefixEnd(db),
  ]);
  const checkpoints = await checkCheckpoints(db, keyring, head, { full, supplied });
  return {
    ok: brokenAt === null && checkpoints.every((check) => check.status === "matches"),
    mode: full ? "full" : "incremental",
    checked,
    resumedFrom: resumed && !resumed.broken ? resumed.from : null,
    head,
    legacyThrough,
    keySource: keyring.source,
    brokenAt,
    checkpoints,
  };
}

/**
 * The remembered verified prefix, re-checked: the row's tag must be a MAC, under a key of the ring, of the event
 * it names with that event's current hash, and that event must itself still verify. No row means starting at 1;
 * a row that fails either check is reported as a break (a full re-verification rewrites it if the chain is whole).
 */
async function remembered(
  db: Db,
  keyring: AuditChainKeyring,
): Promise<{
  position: ChainPosition;
  from: { through: number; verifiedAt: Date };
  broken: AuditChainReport["brokenAt"];
} | null> {
  const row = await db.auditVerification.findUnique({ where: { id: VERIFICATION_ID } });
  if (!row || row.sequence < 1) return null;
  const from = { through: row.sequence, verifiedAt: row.verifiedAt };
  const end = await db.auditEvent.findUnique({ where: { sequence: row.sequence }, select: chainSelect });
  const tagged =
    end && verifiedPrefixSigner({ sequence: end.sequence, hash: end.hash }, row.hash, keyring.keys) !== null;
  if (!end || !tagged) {
    const broken = { sequence: row.sequence, id: end?.id ?? null, reason: "verified event changed" as const };
    return { position: CHAIN_START, from, broken: { ...broken, at: end?.at ?? null, action: end?.action ?? null } };
  }
  // The end event alone, as the walk would check it after its (already verified) predecessor.
  const alone = verifyChain([chainEvent(end)], keyring.keys, {
    sequence: end.sequence - 1,
    hash: end.previousHash,
    keyIndex: end.hashScheme === LEGACY_HASH_SCHEME ? null : 0,
  });
  if (!alone.ok) {
    const broken = { sequence: end.sequence, id: end.id, reason: alone.brokenAt.reason };
    return { position: CHAIN_START, from, broken: { ...broken, at: end.at, action: end.action } };
  }
  return { position: alone.position, from, broken: null };
}

async function rememberVerified(db: Db, position: ChainPosition, keyring: AuditChainKeyring, now: Date) {
  const data = {
    sequence: position.sequence,
    hash: verifiedPrefixTag({ sequence: position.sequence, hash: position.hash }, keyring.current),
    verifiedAt: now,
  };
  // Two verifications at once both write; the later one wins, which is fine: each wrote a verified prefix.
  await db.auditVerification.upsert({
    where: { id: VERIFICATION_ID },
    create: { id: VERIFICATION_ID, ...data },
    update: data,
  });
}

/**
 * Events before the first keyed one use the legacy hash. `verifyChain` refuses a legacy event after a keyed one,
 * so only the prefix is legacy; the query reads it from the start and stops at the first keyed event.
 */
async function legacyPrefixEnd(db: Db): Promise<number | null> {
  const firstKeyed = await db.auditEvent.findFirst({
    where: { hashScheme: { not: LEGACY_HASH_SCHEME } },
    orderBy: { sequence: "asc" },
    select: { sequence: true },
  });
  if (firstKeyed) return firstKeyed.sequence > 1 ? firstKeyed.sequence - 1 : null;
  const head = await db.auditEvent.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true } });
  return head?.sequence ?? null;
}

/** The supplied checkpoint, then the newest stored one (every stored one in a full run). */
async function checkCheckpoints(
  db: Db,
  keyring: AuditChainKeyring,
  head: { sequence: number } | null,
  options: { full: boolean; supplied: AuditCheckpointInput | undefined },
): Promise<CheckpointCheck[]> {
  const stored = options.full
    ? await db.auditCheckpoint.findMany({
        orderBy: [{ sequence: "desc" }, { at: "desc" }],
        select: { id: true, sequence: true, hash: true, at: true, signature: true },
      })
    : [await newestCheckpoint(db)].flatMap((row) => (row ? [row] : []));
  const candidates = [
    ...(options.supplied
      ? [{ source: "supplied" as const, id: null, ...options.supplied, at: new Date(options.supplied.at) }]
      : []),
    ...stored.map((row) => ({ source: "stored" as const, ...row })),
  ];
  const sequences = [...new Set(candidates.map((candidate) => candidate.sequence))];
  const hashes = new Map<number, string>();
  for (let i = 0; i < sequences.length; i += VERIFY_PAGE) {
    const rows = await db.auditEvent.findMany({
      where: { sequence: { in: sequences.slice(i, i + VERIFY_PAGE) } },
      select: { sequence: true, hash: true },
    });
    for (const row of rows) hashes.set(row.sequence, row.hash);
  }
  return candidates.map(({ source, id, sequence, hash, at, signature }) => ({
    source,
    id,
    sequence,
    hash,
    at,
    status: checkCheckpoint({ sequence, hash, at: at.toISOString(), signature }, keyring.keys, {
      headSequence: head?.sequence ?? null,
      hashAtSequence: hashes.get(sequence) ?? null,
    }),
  }));
}
