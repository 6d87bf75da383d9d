// Signed checkpoints of the audit chain's head, stored and sent outside the database: the `audit.checkpoint`
// notification (webhooks), a line in AUDIT_CHECKPOINT_FILE and the JSON export. Made by the monitoring cycle when
// due and by an admin on demand. The checkpoint is queued (platform/outbox.ts) in the transaction that records it.
import "server-only";
import { appendFile } from "node:fs/promises";
import type { Db, Prisma, Tx } from "../../db";
import {
  auditKeyId,
  checkpointDue,
  checkpointSigner,
  signCheckpoint,
  type AuditCheckpointLine,
} from "../../domain/audit-chain";
import { AppError } from "../../domain/errors";
import { env } from "../../env.js";
import { enqueueNotification } from "../platform/outbox";
import { log } from "../platform/log";
import { retryOnConflict } from "../platform/retry";
import { auditChainKeyring, type AuditChainKeyring } from "./audit-chain-key";
import { appendAudit, type Actor } from "./audit-log";

export interface CheckpointOptions {
  keyring?: AuditChainKeyring;
  /** Where to append the JSON line: AUDIT_CHECKPOINT_FILE by default, null for no file. */
  file?: string | null;
}

/** Where a checkpoint went, stored with it for the audit page. */
interface SentTo {
  notificationId: string | null;
  file: string | null;
  fileError?: string;
}

const checkpointSelect = {
  id: true,
  sequence: true,
  hash: true,
  at: true,
  signature: true,
  sentTo: true,
  createdAt: true,
} satisfies Prisma.AuditCheckpointSelect;
type CheckpointRow = Prisma.AuditCheckpointGetPayload<{ select: typeof checkpointSelect }>;

/** The line as sent; `keyId` names the signing key, or null when no key of the ring signed it (a forged row). */
export function lineOf(
  row: Pick<CheckpointRow, "sequence" | "hash" | "at" | "signature">,
  keyring: AuditChainKeyring,
): Omit<AuditCheckpointLine, "keyId"> & { keyId: string | null } {
  const checkpoint = { sequence: row.sequence, hash: row.hash, at: row.at.toISOString(), signature: row.signature };
  const signer = checkpointSigner(checkpoint, keyring.keys);
  const key = signer === null ? undefined : keyring.keys[signer];
  return { type: "rewind.audit.checkpoint", ...checkpoint, keyId: key ? auditKeyId(key) : null };
}

export interface AuditCheckpointDto {
  id: string;
  sequence: number;
  hash: string;
  at: Date;
  /** The JSON line exactly as the file, the webhook payload and the export carry it. */
  line: string;
  file: string | null;
  fileError: string | null;
  /** Whether the notifier has handed the `audit.checkpoint` notification to the channels that take it yet. */
  dispatched: boolean;
  /** Its deliveries, one per lane that took it (none when no webhook subscribes to `audit.checkpoint`). */
  deliveries: { channel: string; status: string }[];
}

/**
 * Signs the chain's head at `now`, stores the checkpoint, queues its `audit.checkpoint` notification in the same
 * transaction and, once committed, appends its line to the checkpoint file. An admin's request is itself an
 * audit event (`audit.checkpoint_created`), so the checkpoint covers it; the cycle's checkpoints record none, or
 * every checkpoint would move the head it vouches for.
 */
export async function createAuditCheckpoint(
  db: Db,
  input: { actor: Actor | null; now: Date },
  options: CheckpointOptions = {},
): Promise<AuditCheckpointDto> {
  const keyring = options.keyring ?? auditChainKeyring();
  const file = options.file === undefined ? (env.AUDIT_CHECKPOINT_FILE ?? null) : options.file;
  const { now, actor } = input;
  const { row, line } = await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      await refuseIfBehindLastCheckpoint(tx, keyring);
      if (actor) {
        await appendAudit(
          tx,
          { actor, action: "audit.checkpoint_created", entityType: "AuditChain", entityId: "chain" },
          now,
          { keyring },
        );
      }
      const head = await tx.auditEvent.findFirst({
        orderBy: { sequence: "desc" },
        select: { sequence: true, hash: true },
      });
      if (!head) throw new AppError("PRECONDITION_FAILED", "The audit log is empty: there is nothing to checkpoint");
      const statement = { sequence: head.sequence, hash: head.hash, at: now.toISOString() };
      const signature = signCheckpoint(statement, keyring.current);
      const line: AuditCheckpointLine = {
        type: "rewind.audit.checkpoint",
        ...statement,
        signature,
        keyId: auditKeyId(keyring.current),
      };
      const notificationId = await enqueueNotification(
        tx,
        {
          event: "audit.checkpoint",
          severity: "INFO",
          title: `Audit checkpoint at event #${head.sequence}`,
          body:
            `The audit chain had ${head.sequence} events at ${statement.at}; the last one's hash is ${head.hash}. ` +
            "Keep this message: checked against it (Audit → Check a checkpoint), Rewind shows whether events up to " +
            `#${head.sequence} were later deleted or rewritten.`,
          payload: { ...line },
        },
        now,
      );
      const sentTo: SentTo = { notificationId, file };
      const row = await tx.auditCheckpoint.create({
        data: { sequence: head.sequence, hash: head.hash, at: now, signature, sentTo: { ...sentTo }, createdAt: now },
        select: checkpointSelect,
      });
      return { row, line };
    }),
  );
  let stored = row;
  if (file) {
    try {
      await appendFile(file, `${JSON.stringify(line)}\n`, "utf8");
    } catch (error) {
      // The checkpoint stands (it is stored and queued); the page shows that the file did not get it.
      const fileError = error instanceof Error ? error.message : String(error);
      log.error("audit.checkpoint_file_failed", { file, sequence: row.sequence, message: fileError });
      stored = await db.auditCheckpoint.update({
        where: { id: row.id },
        data: { sentTo: { notificationId: sentToOf(row).notificationId, file, fileError } },
        select: checkpointSelect,
      });
    }
  }
  const [dto] = await withDeliveries(db, [stored], keyring);
  if (!dto) throw new Error("the checkpoint just stored was not read back");
  return dto;
}

/**
 * Never signs a chain that no longer holds the newest genuine checkpoint (cut back below it, or rewritten up to
 * it): that is tampering to report, not a head to vouch for. A forged checkpoint row is ignored, so writing one
 * cannot stop checkpoints either.
 */
async function refuseIfBehindLastCheckpoint(tx: Tx, keyring: AuditChainKeyring): Promise<void> {
  const candidates = await tx.auditCheckpoint.findMany({
    orderBy: [{ sequence: "desc" }, { at: "desc" }],
    take: 10,
    select: { sequence: true, hash: true, at: true, signature: true },
  });
  const last = candidates.find((row) => checkpointSigner({ ...row, at: row.at.toISOString() }, keyring.keys) !== null);
  if (!last) return;
  const there = await tx.auditEvent.findUnique({ where: { sequence: last.sequence }, select: { hash: true } });
  if (there?.hash === last.hash) return;
  throw new AppError(
    "PRECONDITION_FAILED",
    `The audit chain no longer holds the checkpoint of event #${last.sequence} (${last.at.toISOString()}): ` +
      `it was ${there ? "rewritten" : "cut back"}. Verify it on the audit page; no checkpoint is signed meanwhile.`,
  );
}

/**
 * The monitoring cycle's step: a checkpoint when `checkpointDue` says so (the chain moved, and the last one is
 * AUDIT_CHECKPOINT_INTERVAL_MINUTES old or AUDIT_CHECKPOINT_EVENTS events behind); null otherwise.
 */
export async function checkpointAuditChainIfDue(
  db: Db,
  input: { now: Date },
  options: CheckpointOptions & { intervalMs?: number; everyEvents?: number } = {},
): Promise<AuditCheckpointDto | null> {
  const [head, last] = await Promise.all([
    db.auditEvent.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true } }),
    newestCheckpoint(db),
  ]);
  const due = checkpointDue(head, last, {
    now: input.now,
    intervalMs: options.intervalMs ?? env.AUDIT_CHECKPOINT_INTERVAL_MINUTES * 60_000,
    everyEvents: options.everyEvents ?? env.AUDIT_CHECKPOINT_EVENTS,
  });
  return due ? createAuditCheckpoint(db, { actor: null, now: input.now }, options) : null;
}

/** The checkpoint of the longest chain (the latest made, among equals). */
export function newestCheckpoint(db: Db) {
  return db.auditCheckpoint.findFirst({
    orderBy: [{ sequence: "desc" }, { at: "desc" }],
    select: checkpointSelect,
  });
}

/** The newest checkpoints first, for the audit page. */
export async function listAuditCheckpoints(
  db: Db,
  options: { limit?: number; keyring?: AuditChainKeyring } = {},
): Promise<AuditCheckpointDto[]> {
  const rows = await db.auditCheckpoint.findMany({
    orderBy: [{ sequence: "desc" }, { at: "desc" }],
    take: options.limit ?? 10,
    select: checkpointSelect,
  });
  return withDeliveries(db, rows, options.keyring ?? auditChainKeyring());
}

/** Every checkpoint, oldest first, as the lines the checkpoint file holds: for the JSON export. */
export async function checkpointLinesForExport(
  db: Db,
  keyring: AuditChainKeyring = auditChainKeyring(),
): Promise<ReturnType<typeof lineOf>[]> {
  const rows = await db.auditCheckpoint.findMany({
    orderBy: [{ sequence: "asc" }, { at: "asc" }],
    select: { sequence: true, hash: true, at: true, signature: true },
  });
  return rows.map((row) => lineOf(row, keyring));
}

function sentToOf(row: CheckpointRow): SentTo {
  const value = row.sentTo as Partial<SentTo> | null;
  return {
    notificationId: typeof value?.notificationId === "string" ? value.notificationId : null,
    file: typeof value?.file === "string" ? value.file : null,
    ...(typeof value?.fileError === "string" && { fileError: value.fileError }),
  };
}

async function withDeliveries(
  db: Db,
  rows: readonly CheckpointRow[],
  keyring: AuditChainKeyring,
): Promise<AuditCheckpointDto[]> {
  const sent = rows.map(sentToOf);
  const ids = sent.flatMap((entry) => (entry.notificationId ? [entry.notificationId] : []));
  const [notifications, deliveries] =
    ids.length === 0
      ? [[], []]
      : await Promise.all([
          db.notification.findMany({ where: { id: { in: ids } }, select: { id: true, dispatchedAt: true } }),
          db.notificationDelivery.findMany({
            where: { notificationId: { in: ids } },
            orderBy: { createdAt: "asc" },
            select: { notificationId: true, channel: true, status: true },
          }),
        ]);
  const dispatched = new Set(notifications.flatMap((row) => (row.dispatchedAt ? [row.id] : [])));
  return rows.map((row, index) => {
    const to = sent[index] ?? { notificationId: null, file: null };
    return {
      id: row.id,
      sequence: row.sequence,
      hash: row.hash,
      at: row.at,
      line: JSON.stringify(lineOf(row, keyring)),
      file: to.file,
      fileError: to.fileError ?? null,
      dispatched: to.notificationId !== null && dispatched.has(to.notificationId),
      deliveries: deliveries
        .filter((delivery) => delivery.notificationId === to.notificationId)
        .map(({ channel, status }) => ({ channel, status })),
    };
  });
}
