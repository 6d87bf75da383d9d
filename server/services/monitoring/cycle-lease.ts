// Runs the monitoring cycle under the "monitoring-cycle" lease, whoever triggers it (cron route, built-in
// scheduler, an operator): several instances on one database never run two cycles at once, however long one
// takes. A heartbeat renews the lease; a holder that lost it anyway stops at its next step.
import "server-only";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Db } from "../../db";
import {
  CYCLE_LEASE,
  currentLease,
  holdLease,
  systemTimer,
  type LeaseTimer,
  type LeaseTiming,
} from "../platform/lease";
import { runMonitoringCycle, type MonitoringCycleSummary } from "./cycle";
import { deliverNotifications } from "../notifications/delivery";
import { log } from "../platform/log";

/**
 * A holder that died mid-cycle blocks the next ones for at most `ttlMs`; a live one renews every `heartbeatMs`,
 * so a cycle may take as long as it needs.
 */
export const CYCLE_LEASE_TIMING: LeaseTiming = { ttlMs: 30_000, heartbeatMs: 10_000 };
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

/** What tests replace: the lease's name and holder, the heartbeat's timer, and the cycle itself. */
export interface CycleLeaseSeams {
  leaseName: string;
  holder: string;
  timer: LeaseTimer;
  cycle: typeof runMonitoringCycle;
}

/**
 * Runs one cycle if this caller gets the lease, else answers who has it. Throws LeaseLostError (a CONFLICT) when
 * the lease was lost mid-cycle (the process stalled past the TTL and another instance took over): the cycle
 * stopped at its next step, and neither records the run nor sends notifications.
 */
export async function runCycleUnderLease(
  db: Db,
  options: {
    trigger: CycleTrigger;
    now: () => Date;
    bucketWidthMs: number;
    retentionMs: number;
    rawRetentionMs?: number;
  },
  seams: Partial<CycleLeaseSeams> = {},
): Promise<CycleRunResult> {
  const name = seams.leaseName ?? CYCLE_LEASE;
  const holder = seams.holder ?? processHolder;
  const lease = await holdLease(db, {
    name,
    holder,
    ...CYCLE_LEASE_TIMING,
    now: options.now,
    timer: seams.timer ?? systemTimer,
  });
  if (!lease) {
    const current = await currentLease(db, name);
    log.debug("cycle.skipped", { trigger: options.trigger, holder: current?.holder ?? null });
    return {
      status: "busy",
      holder: current?.holder ?? "another instance",
      since: current?.acquiredAt ?? options.now(),
    };
  }
  const startedAt = lease.acquiredAt;
  try {
    const summary = await (seams.cycle ?? runMonitoringCycle)(
      db,
      {
        now: startedAt,
        bucketWidthMs: options.bucketWidthMs,
        retentionMs: options.retentionMs,
        ...(options.rawRetentionMs !== undefined && { rawRetentionMs: options.rawRetentionMs }),
      },
      { beforeStep: (step) => lease.ensureHeld(step) },
    );
    await lease.ensureHeld("recording the cycle");
    await db.cycleRun.create({
      data: {
        holder,
        trigger: options.trigger,
        startedAt,
        finishedAt: options.now(),
        durationMs: summary.durationMs,
        summary: JSON.parse(JSON.stringify(summary)) as object,
      },
      select: { id: true },
    });
    logCycle(options.trigger, summary);
    // Delivery never fails the cycle: what it could not send waits in the outbox for the next one.
    await lease.ensureHeld("delivering notifications");
    const delivery = await deliverNotifications(db, { now: options.now() }).catch((error: unknown) => {
      log.error("notifications.delivery_failed", { error });
      return null;
    });
    if (delivery) log.debug("notifications.delivered", { ...delivery });
    return { status: "ran", summary };
  } finally {
    const finished = options.now().getTime();
    await lease.release(new Date(Math.max(finished, startedAt.getTime() + MIN_SPACING_MS)));
  }
}

/** One error line per step or target that failed, and the summary at debug: what every cycle did, by counts. */
function logCycle(trigger: CycleTrigger, summary: MonitoringCycleSummary): void {
  for (const error of summary.errors) {
    log.error("cycle.error", {
      trigger,
      ...(error.targetSlug && { target: error.targetSlug }),
      ...(error.rollbackId && { rollbackId: error.rollbackId }),
      message: error.message,
    });
  }
  const { actions, verdicts, decisions } = summary;
  const nonZero = (counts: Record<string, number>) =>
    Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
  log.debug("cycle.completed", {
    trigger,
    durationMs: summary.durationMs,
    targetsEvaluated: summary.targetsEvaluated,
    targetsIdle: summary.targetsIdle,
    verdicts: nonZero(verdicts),
    decisions: nonZero(decisions),
    actions: nonZero(actions),
    monitoringPaused: summary.monitoringPaused,
    emergencyStopActive: summary.emergencyStopActive,
    errors: summary.errors.length,
    ...(summary.auditCheckpoint !== null && { auditCheckpoint: summary.auditCheckpoint }),
    ...(summary.pruned && {
      pruned: nonZero({ ...summary.pruned, backlog: 0 }),
      ...(summary.pruned.backlog && { pruneBacklog: true }),
    }),
  });
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
