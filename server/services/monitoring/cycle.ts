// The monitoring cycle: evaluate every monitored target and act on its decision, then move running
// rollbacks along, expire stale proposals, promote baked snapshots, verify completed rollbacks, checkpoint the
// audit chain when due (audit/audit-checkpoints.ts) and, once every few minutes, delete what is past its
// retention (platform/retention.ts). Steps, pause semantics and idempotency: docs/ROLLBACKS.md ("The monitoring cycle").
import "server-only";
import { z } from "zod";
import type { Db } from "../../db";
import {
  countEvaluations,
  errorMessage,
  evaluateMonitoredTargets,
  type EvaluationCounts,
  type EvaluationOutcome,
} from "./evaluation";
import { runRetention, type PrunedCounts } from "../platform/retention";
import {
  advanceDueRollbacks,
  expireStaleApprovals,
  verifyCompletedRollbacks,
  type CycleError,
} from "../rollbacks/cycle-steps";
import { advanceDueReenablements } from "../config/flag-reenablement-steps";
import { promoteBakedSnapshots } from "../config/snapshot-known-good";
import { actOnDecision } from "./act-on-target";
import { getSystemState } from "../config/system-switches";
import { parseInput } from "../platform/validation";
import { LeaseLostError } from "../platform/lease";
import { checkpointAuditChainIfDue } from "../audit/audit-checkpoints";

const cycleOptionsSchema = z.object({
  now: z.date(),
  bucketWidthMs: z.number().int().positive(),
  retentionMs: z.number().int().positive(),
  rawRetentionMs: z.number().int().positive().optional(),
  /** False judges idle targets too, every cycle, as the cycle did before it skipped them (tests compare the two). */
  skipIdleTargets: z.boolean().default(true),
});

export interface MonitoringCycleSummary extends Omit<EvaluationCounts, "errors"> {
  now: Date;
  /** Why steps were skipped: the maintenance pause skips evaluation, the emergency stop holds rollbacks. */
  monitoringPaused: boolean;
  emergencyStopActive: boolean;
  actions: {
    proposed: number;
    /** Created approved (AUTOMATIC policy): the same cycle starts them, so they count as started too. */
    automatic: number;
    started: number;
    emergency: number;
    advanced: number;
    completed: number;
    failed: number;
    expired: number;
    promoted: number;
    verified: number;
    ineffective: number;
    inconclusive: number;
    notified: number;
    /** Flag re-enablement plans moved a step, completed, or turned their flags off again. */
    flagsAdvanced: number;
    flagsCompleted: number;
    flagsReverted: number;
  };
  /** Rows each prune of the retention step removed; null when this cycle did not run it (once per period). */
  pruned: PrunedCounts | null;
  /** The chain head (sequence) a signed audit checkpoint was made of in this cycle; null when none was due. */
  auditCheckpoint: number | null;
  errors: CycleError[];
  durationMs: number;
}

export interface CycleHooks {
  /**
   * Awaited before each step and before acting on each target; a LeaseLostError from it ends the cycle there
   * (cycle-lease.ts checks that it still holds the lease). Other steps' errors are reported and the rest runs.
   */
  beforeStep?: (step: string) => Promise<void>;
}

/**
 * Runs one cycle at `now`. Each step, and each target or rollback within it, fails on its own: the error is
 * reported in the summary and the rest carries on. Running it again at the same `now`, or twice at once,
 * acts once (see acting below and the rollbacks' version column).
 */
export async function runMonitoringCycle(
  db: Db,
  input: z.input<typeof cycleOptionsSchema>,
  hooks: CycleHooks = {},
): Promise<MonitoringCycleSummary> {
  const beforeStep = hooks.beforeStep ?? (() => Promise.resolve());
  const startedAt = performance.now();
  const { now, bucketWidthMs, retentionMs, rawRetentionMs, skipIdleTargets } = parseInput(cycleOptionsSchema, input);
  const system = await getSystemState(db);
  const summary: MonitoringCycleSummary = {
    now,
    monitoringPaused: system.monitoringPaused,
    emergencyStopActive: system.emergencyStopActive,
    ...countEvaluations([]),
    actions: {
      proposed: 0,
      automatic: 0,
      started: 0,
      emergency: 0,
      advanced: 0,
      completed: 0,
      failed: 0,
      expired: 0,
      promoted: 0,
      verified: 0,
      ineffective: 0,
      inconclusive: 0,
      flagsAdvanced: 0,
      flagsCompleted: 0,
      flagsReverted: 0,
      notified: 0,
    },
    pruned: null,
    auditCheckpoint: null,
    errors: [],
    durationMs: 0,
  };
  const { actions, errors } = summary;
  const step = async (name: string, run: () => Promise<void>) => {
    await beforeStep(name);
    try {
      await run();
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      errors.push({ message: `${name}: ${errorMessage(error)}` });
    }
  };

  // Maintenance: nothing is judged, so traffic during the work neither builds a streak nor fails a baking
  // snapshot; promotion and verification, which read verdicts, wait too.
  if (!system.monitoringPaused) {
    await step("evaluation", async () => {
      const outcomes = await evaluateMonitoredTargets(db, { now, bucketWidthMs, skipIdle: skipIdleTargets });
      const { errors: evaluationErrors, ...counts } = countEvaluations(outcomes);
      Object.assign(summary, counts);
      errors.push(...evaluationErrors);
      for (const outcome of outcomes) {
        if (!("result" in outcome) || !outcome.result.recorded) continue;
        await beforeStep(`acting on ${outcome.target.slug}`);
        try {
          await act(db, outcome, now, actions);
        } catch (error) {
          errors.push({ targetSlug: outcome.target.slug, message: errorMessage(error) });
        }
      }
    });
  }
  await step("expiry", async () => {
    const expired = await expireStaleApprovals(db, now);
    actions.expired += expired.expired;
    errors.push(...expired.errors);
  });
  // The emergency stop holds every automatic change: approved rollbacks wait, running ones keep their
  // traffic split. People may still approve, reject, cancel and abort.
  if (!system.emergencyStopActive) {
    await step("rollback steps", async () => {
      const advanced = await advanceDueRollbacks(db, { now, bucketWidthMs });
      actions.started += advanced.started;
      actions.advanced += advanced.advanced;
      actions.completed += advanced.completed;
      actions.failed += advanced.failed;
      errors.push(...advanced.errors);
    });
  }
  // Flag re-enablement judges traffic like evaluation (nothing during maintenance); the stop cancels the plans.
  if (!system.monitoringPaused && !system.emergencyStopActive) {
    await step("flag re-enablement", async () => {
      const moved = await advanceDueReenablements(db, { now, bucketWidthMs });
      actions.flagsAdvanced += moved.advanced;
      actions.flagsCompleted += moved.completed;
      actions.flagsReverted += moved.reverted;
      errors.push(...moved.errors);
    });
  }
  if (!system.monitoringPaused && !system.emergencyStopActive) {
    await step("snapshot promotion", async () => {
      const promotion = await promoteBakedSnapshots(db, { now });
      actions.promoted += promotion.promoted;
      errors.push(...promotion.errors.map(({ targetId, message }) => ({ message: `target ${targetId}: ${message}` })));
    });
  }
  if (!system.monitoringPaused) {
    await step("verification", async () => {
      const verified = await verifyCompletedRollbacks(db, now, { bucketWidthMs });
      actions.verified += verified.verified;
      actions.ineffective += verified.ineffective;
      actions.inconclusive += verified.inconclusive;
      errors.push(...verified.errors);
    });
  }
  // Whatever the switches: the checkpoint covers the actions above, and notifications go out after the cycle.
  await step("audit checkpoint", async () => {
    summary.auditCheckpoint = (await checkpointAuditChainIfDue(db, { now }))?.sequence ?? null;
  });
  await step("retention", async () => {
    summary.pruned = await runRetention(db, {
      now,
      metricRetentionMs: retentionMs,
      ...(rawRetentionMs !== undefined && { rawMetricRetentionMs: rawRetentionMs }),
    });
  });
  summary.durationMs = Math.round(performance.now() - startedAt);
  return summary;
}

/** Acts on one target's decision (target-actions.ts) and counts what it did. */
async function act(
  db: Db,
  outcome: Extract<EvaluationOutcome, { result: unknown }>,
  now: Date,
  actions: MonitoringCycleSummary["actions"],
): Promise<void> {
  const { target, result } = outcome;
  const { verdict, decision, previous } = result;
  const { rollback, notified } = await actOnDecision(
    db,
    { target, decision, verdict, policy: result.policy, policyVersion: result.policyVersion, previous },
    now,
  );
  if (notified) actions.notified += 1;
  if (!rollback?.created) return;
  if (rollback.status === "PENDING_APPROVAL") actions.proposed += 1;
  if (rollback.status === "APPROVED") actions.automatic += 1;
  if (rollback.status === "IN_PROGRESS") actions.emergency += 1;
}
