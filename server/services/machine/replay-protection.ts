// What makes a machine request count once: signatures are accepted once (SeenSignature), and a request
// with an Idempotency-Key gets its first response replayed (IdempotencyRecord). Expired rows of both are
// deleted by the monitoring cycle's retention step (platform/retention.ts). Until then they are harmless: a
// request with an expired signature is refused as stale first, and an expired Idempotency-Key is taken over.
import "server-only";
import { createHash } from "node:crypto";
import { Prisma, type Db, type Tx } from "../../db";
import type { JsonValue } from "../../domain/canonical-json";
import { SIGNATURE_TOLERANCE_SECONDS } from "../../domain/api-keys";
import { AppError } from "../../domain/errors";
import { IDEMPOTENCY_RETENTION_MS } from "../platform/retention";

/** A reservation this old belongs to a request that died: a retry may take it over. */
const ABANDONED_AFTER_MS = 60_000;
/** Status of a reserved record whose request has not finished. */
const IN_PROGRESS = 0;

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}

/** Records a verified signature; a second request with it is a replay and refused. */
export async function acceptSignature(
  db: Db | Tx,
  { signature, timestampSeconds }: { signature: string; timestampSeconds: number },
): Promise<void> {
  // Kept until the timestamp itself would be refused as stale.
  const expiresAt = new Date((timestampSeconds + SIGNATURE_TOLERANCE_SECONDS) * 1000);
  // Raw SQL, as every machine request pays it; a signature already stored inserts nothing instead of failing.
  const inserted = await db.$executeRaw`
    INSERT INTO "SeenSignature" ("signature", "expiresAt") VALUES (${signature}, ${expiresAt})
    ON CONFLICT ("signature") DO NOTHING`;
  if (inserted === 0) {
    throw new AppError("UNAUTHORIZED", "This signature was already used: sign every request afresh");
  }
}

export interface StoredResponse {
  status: number;
  body: JsonValue;
}

export function requestHash(rawBody: Buffer): string {
  return createHash("sha256").update(rawBody).digest("hex");
}

/**
 * Writes a request's response into its Idempotency-Key record inside the transaction that applies the request, so
 * the record says "done" exactly when the change is committed.
 */
export type RecordResponse = (tx: Tx, response: StoredResponse) => Promise<void>;

/**
 * Runs `handle` once per (key, Idempotency-Key): a retry with the same body gets the stored response, one
 * with another body is refused, and one arriving while the first still runs gets CONFLICT. The key is
 * reserved before `handle` runs, so concurrent retries cannot both run it. Only successful responses are
 * stored; when `handle` throws before its change commits, the reservation is released and a retry runs again.
 *
 * A handler whose change is one transaction passes `recordResponse` into it: the response as of the commit is
 * stored with the change. A process that dies after that commit (before the final update below) then leaves a
 * record a retry replays, instead of a reservation it would take over after ABANDONED_AFTER_MS and apply again;
 * the final update replaces it with the whole response (for ingestion, with the action taken after the commit).
 */
export async function withIdempotency(
  db: Db,
  options: { apiKeyId: string; key: string; requestHash: string; now: Date },
  handle: (recordResponse: RecordResponse) => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  const { apiKeyId, key, requestHash, now } = options;
  const where = { apiKeyId_key: { apiKeyId, key } };
  const existing = await db.idempotencyRecord.findUnique({
    where,
    select: { id: true, requestHash: true, status: true, body: true, createdAt: true },
  });
  if (existing) {
    const age = now.getTime() - existing.createdAt.getTime();
    const expired = age >= IDEMPOTENCY_RETENTION_MS || (existing.status === IN_PROGRESS && age >= ABANDONED_AFTER_MS);
    if (!expired) {
      if (existing.requestHash !== requestHash) {
        throw new AppError("VALIDATION", "This Idempotency-Key was already used with a different request body", {
          issues: { "Idempotency-Key": "Already used with a different request body: use a new key for a new request" },
        });
      }
      if (existing.status === IN_PROGRESS) {
        throw new AppError("CONFLICT", "A request with this Idempotency-Key is still being processed: retry shortly");
      }
      return { status: existing.status, body: existing.body as JsonValue, replayed: true };
    }
    await db.idempotencyRecord.deleteMany({ where: { id: existing.id, createdAt: existing.createdAt } });
  }
  let reservationId: string;
  try {
    ({ id: reservationId } = await db.idempotencyRecord.create({
      data: { apiKeyId, key, requestHash, status: IN_PROGRESS, body: {}, createdAt: now },
      select: { id: true },
    }));
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError("CONFLICT", "A request with this Idempotency-Key is still being processed: retry shortly");
    }
    throw error;
  }
  const store = (client: Db | Tx, response: StoredResponse) =>
    client.idempotencyRecord.update({
      where: { id: reservationId },
      data: { status: response.status, body: response.body ?? {} },
      select: { id: true },
    });
  let response: StoredResponse;
  try {
    response = await handle(async (tx, committed) => {
      await store(tx, committed);
    });
  } catch (error) {
    // Released only while still reserved: a change that committed keeps its record, and a retry replays it.
    await db.idempotencyRecord.deleteMany({ where: { id: reservationId, status: IN_PROGRESS } });
    throw error;
  }
  await store(db, response);
  return { ...response, replayed: false };
}
