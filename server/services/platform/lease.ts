// Named database leases: one holder at a time across every Rewind instance on the database; a lease
// whose holder died is taken over once it expires. A long piece of work holds one with `holdLease`: a
// heartbeat keeps a short TTL renewed, and the work checks it still holds the lease before each step.
import "server-only";
import { Prisma, type Db } from "../../db";
import { AppError } from "../../domain/errors";
import { log } from "./log";

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

/**
 * Runs `beat` every `ms` until the returned function is called. `beat` never rejects and settles once its
 * renewal did: tests pass a timer they drive themselves and await each beat.
 */
export interface LeaseTimer {
  every(ms: number, beat: () => Promise<void>): () => void;
}

export const systemTimer: LeaseTimer = {
  every(ms, beat) {
    const interval = setInterval(() => void beat(), ms);
    // A heartbeat never keeps the process alive on its own.
    interval.unref();
    return () => clearInterval(interval);
  },
};

/** Thrown at a step boundary once another holder has the lease: the work stops before acting again. */
export class LeaseLostError extends AppError {
  constructor(name: string, step: string) {
    super("CONFLICT", `Lost the ${name} lease to another holder: stopped before ${step}`);
  }
}

export interface LeaseTiming {
  /** How long the lease lasts without renewal: how soon a crashed holder is replaced. */
  ttlMs: number;
  /** How often the heartbeat renews it: a few beats per TTL, so one slow renewal does not lose it. */
  heartbeatMs: number;
}

export interface HeldLease {
  readonly name: string;
  readonly holder: string;
  readonly acquiredAt: Date;
  /**
   * Resolves while the lease is still ours, throws LeaseLostError once it is not. Asks the database (renewing
   * the lease) unless a renewal within the last heartbeat interval proved it: nobody may take a lease before
   * it expires, so for ttl − heartbeat after a renewal it is ours without asking. Cheap enough for every step.
   */
  ensureHeld(step: string): Promise<void>;
  /** Stops the heartbeat and keeps the lease until `until` (if still ours): a finished holder spaces runs apart. */
  release(until: Date): Promise<void>;
}

/**
 * Takes the lease for a piece of work and keeps it with a heartbeat, or answers null when another holder has
 * it. Ownership is the tenure (holder and `acquiredAt`), not the holder alone: a process whose stalled cycle
 * lost the lease and whose next cycle took it again must not renew on behalf of the first.
 */
export async function holdLease(
  db: Db,
  options: LeaseTiming & { name: string; holder: string; now: () => Date; timer?: LeaseTimer },
): Promise<HeldLease | null> {
  const { name, holder, ttlMs, heartbeatMs } = options;
  const acquiredAt = options.now();
  if (!(await acquireLease(db, { name, holder, ttlMs, now: acquiredAt }))) return null;
  const tenure = { name, holder, acquiredAt };
  let confirmedAt = acquiredAt.getTime();
  let lost = false;
  let released = false;
  let beating: Promise<unknown> = Promise.resolve();

  /** One statement: extends our tenure's lease, or finds it is no longer ours. */
  const renew = async (): Promise<boolean> => {
    if (lost || released) return !lost;
    const now = options.now();
    const renewed = await db.lease.updateMany({
      where: tenure,
      data: { expiresAt: new Date(now.getTime() + ttlMs) },
    });
    if (renewed.count === 1) confirmedAt = Math.max(confirmedAt, now.getTime());
    else lost = true;
    return !lost;
  };

  const stop = (options.timer ?? systemTimer).every(heartbeatMs, async () => {
    // A failed renewal is retried on the next beat; the lease lasts ttlMs, several beats.
    const renewal = renew().catch((error: unknown) => log.warn("lease.renewal_failed", { lease: name, error }));
    beating = renewal;
    await renewal;
  });

  return {
    ...tenure,
    async ensureHeld(step) {
      if (!lost && options.now().getTime() - confirmedAt < heartbeatMs) return;
      if (!(await renew())) throw new LeaseLostError(name, step);
    },
    async release(until) {
      stop();
      released = true;
      // A renewal still in flight would otherwise land after this and hold the lease a whole TTL longer.
      await beating;
      await db.lease.updateMany({ where: tenure, data: { expiresAt: until } });
    },
  };
}
