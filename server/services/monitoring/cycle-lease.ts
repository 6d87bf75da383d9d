// Runs the monitoring cycle under the "monitoring-cycle" lease, whoever triggers it (cron route, built-in
// scheduler, an operator): several instances on one database never run two cycles at once.
import "server-only";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Db } from "../../db";
import { acquireLease, CYCLE_LEASE, currentLease, holdLeaseUntil } from "../platform/lease";
import { runMonitoringCycle, type MonitoringCycleSummary } from "./cycle";
import { deliverNotifications } from "../notifications/delivery";

/** A holder that died mid-cycle blocks the next ones for at most this long. */
const LEASE_TTL_MS = 120_000;
/**
 * Cycles start at least this far apart: a burst of cron calls (or a scheduler and a cron on the same
 * database) runs one cycle, not one after another.
 */
const MIN_SPACING_MS = 1_000;

/** This process, as a lease holder: host, pid and a random suffix (a restarted pid is a new holder). */
export const processHolder = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;

export type CycleTrigger = "cron" | "scheduler" | "manual";

export type CycleRunResult =
  { status: "ran"; summary: MonitoringCycleSummary } | { status: "busy"; holder: string; since: Date };

export async function runCycleUnderLease(
  db: Db,
  options: { trigger: CycleTrigger; now: () => Date; bucketWidthMs: number; retentionMs: number },
): Promise<CycleRunResult> {
  const startedAt = options.now();
  const acquired = await acquireLease(db, {
    name: CYCLE_LEASE,
    holder: processHolder,
    ttlMs: LEASE_TTL_MS,
    now: startedAt,
  });
  if (!acquired) {
    const lease = await currentLease(db, CYCLE_LEASE);
    return { status: "busy", holder: lease?.holder ?? "another instance", since: lease?.acquiredAt ?? startedAt };
  }
  try {
    const summary = await runMonitoringCycle(db, {
      now: startedAt,
      bucketWidthMs: options.bucketWidthMs,
      retentionMs: options.retentionMs,
    });
    await db.cycleRun.create({
      data: {
        holder: processHolder,
        trigger: options.trigger,
        startedAt,
        finishedAt: options.now(),
        durationMs: summary.durationMs,
        summary: JSON.parse(JSON.stringify(summary)) as object,
      },
      select: { id: true },
    });
    // Delivery never fails the cycle: what it could not send waits in the outbox for the next one.
    await deliverNotifications(db, { now: options.now() }).catch((error: unknown) =>
      console.error("[notifier] delivery failed:", error),
    );
    return { status: "ran", summary };
  } finally {
    const finished = options.now().getTime();
    await holdLeaseUntil(db, {
      name: CYCLE_LEASE,
      holder: processHolder,
      until: new Date(Math.max(finished, startedAt.getTime() + MIN_SPACING_MS)),
    });
  }
}

/** The last recorded cycles, newest first, for the scheduler status. */
export function recentCycleRuns(db: Db, limit = 10) {
  return db.cycleRun.findMany({
    orderBy: { startedAt: "desc" },
    take: limit,
    select: {
      id: true,
      holder: true,
      trigger: true,
      startedAt: true,
      finishedAt: true,
      durationMs: true,
      summary: true,
    },
  });
}
