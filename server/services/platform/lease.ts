// Named database leases: one holder at a time across every Rewind instance on the database; a lease
// whose holder died is taken over once it expires.
import "server-only";
import { Prisma, type Db } from "../../db";

/** The monitoring cycle's lease (server/services/monitoring/cycle-lease.ts); named here so readers of the
 * lease, such as Rewind's own metrics, need not import the cycle. */
export const CYCLE_LEASE = "monitoring-cycle";

/**
 * Takes the lease when nobody holds it or it expired; false otherwise, also for the holder itself (two
 * cycles of one process must not overlap either).
 */
export async function acquireLease(
  db: Db,
  options: { name: string; holder: string; ttlMs: number; now: Date },
): Promise<boolean> {
  const { name, holder, now } = options;
  const expiresAt = new Date(now.getTime() + options.ttlMs);
  const taken = await db.lease.updateMany({
    where: { name, expiresAt: { lte: now } },
    data: { holder, acquiredAt: now, expiresAt },
  });
  if (taken.count === 1) return true;
  try {
    await db.lease.create({ data: { name, holder, acquiredAt: now, expiresAt } });
    return true;
  } catch (error) {
    // Another instance created it first, or it exists and is held: either way it is not ours.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") return false;
    throw error;
  }
}

/** Keeps the lease until `until` (ours only), so that a finished holder can still space runs apart. */
export async function holdLeaseUntil(db: Db, options: { name: string; holder: string; until: Date }): Promise<void> {
  await db.lease.updateMany({
    where: { name: options.name, holder: options.holder },
    data: { expiresAt: options.until },
  });
}

export function currentLease(db: Db, name: string) {
  return db.lease.findUnique({ where: { name }, select: { holder: true, acquiredAt: true, expiresAt: true } });
}
