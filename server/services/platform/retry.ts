// Retries a write that lost a race with a concurrent one: the database detected the conflict and
// rolled the attempt back, so running it again from the top is safe.
import "server-only";
import { Prisma } from "../../db";
import { AppError } from "../../domain/errors";
import { holdLinesUntilCommit } from "./log";

const MAX_ATTEMPTS = 10;

/**
 * P2034: PostgreSQL serialization failure or deadlock. P2002: two writers inserted the same unique
 * key (a new bucket, the next policy version). SQLite reports a writer that could not take the lock,
 * or whose read snapshot went stale while another connection committed, as SQLITE_BUSY ("database is
 * locked"), which Prisma surfaces as P1008 with the driver's code in `meta`. A serialization failure
 * raised by PostgreSQL at COMMIT reaches us unwrapped: the driver adapter's own error, kind
 * TransactionWriteConflict (SQLSTATE 40001). Raw queries ($queryRaw, $executeRaw) report theirs as P2010
 * with that same driver error in `meta`. A model query (`deleteMany`, `createMany`…) in a transaction whose read
 * snapshot went stale carries SQLite's own code instead: SQLITE_BUSY_SNAPSHOT (seen with Prisma 6.19's adapter).
 */
export function isWriteConflict(error: unknown): boolean {
  if (error instanceof Error && error.name === "DriverAdapterError") {
    return (error.cause as { kind?: unknown } | undefined)?.kind === "TransactionWriteConflict";
  }
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (error.code === "P2034" || error.code === "P2002" || error.code.startsWith("SQLITE_BUSY")) return true;
  const cause = (error.meta?.driverAdapterError as { cause?: { originalCode?: unknown; kind?: unknown } } | undefined)
    ?.cause;
  if (cause?.kind === "TransactionWriteConflict") return true;
  return typeof cause?.originalCode === "string" && cause.originalCode.startsWith("SQLITE_BUSY");
}

export async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      // Lines about the attempt's changes (audit-log.ts) are written only if it commits.
      return await holdLinesUntilCommit(attempt);
    } catch (error) {
      if (!isWriteConflict(error)) throw error;
      if (tries >= MAX_ATTEMPTS) {
        throw new AppError("CONFLICT", `Concurrent writes kept conflicting (${MAX_ATTEMPTS} attempts): try again`);
      }
      // Full jitter on an exponential cap (4 ms … 256 ms), so retrying writers spread out.
      const capMs = 2 ** Math.min(tries + 1, 8);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * capMs));
    }
  }
}
