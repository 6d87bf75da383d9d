// Configuration epochs: which part of a time window a judgment of the current configuration may count. A target's
// `configChangedAt` moves whenever what config delivery serves changes (a snapshot made current, every rollback
// traffic step); traffic before it, and during the pickup grace after it, was served by another configuration or
// by orchestrators that had not re-read theirs yet. Rules and reasons: docs/POLICY.md ("Judging a configuration").
import { bucketStart } from "./metrics";

export interface TimeWindow {
  from: number;
  to: number;
}

export interface JudgedRange extends TimeWindow {
  /** True when the window was cut short by a configuration change (the verdict says so). */
  clipped: boolean;
}

/** The first bucket boundary at or after `ts`: a bucket straddling the boundary mixes both configurations. */
export function ceilToBucket(ts: number, widthMs: number): number {
  const start = bucketStart(ts, widthMs);
  return start === ts ? ts : start + widthMs;
}

/**
 * The part of `window` ([from, to), epoch ms) a judgment may count: `[max(from, ceil-to-bucket(configChangedAt +
 * configPickupSeconds)), to)`. Without a recorded change the window is whole. A change so recent that nothing
 * is left gives an empty range (`from === to`), which judges as no traffic: INSUFFICIENT_DATA, never a breach.
 */
export function judgedRange(
  window: TimeWindow,
  epoch: { configChangedAt: Date | number | null; configPickupSeconds: number; bucketWidthMs: number },
): JudgedRange {
  if (epoch.configChangedAt === null) return { ...window, clipped: false };
  const changedAt = typeof epoch.configChangedAt === "number" ? epoch.configChangedAt : epoch.configChangedAt.getTime();
  const settled = ceilToBucket(changedAt + epoch.configPickupSeconds * 1000, epoch.bucketWidthMs);
  if (settled <= window.from) return { ...window, clipped: false };
  return { from: Math.min(settled, window.to), to: window.to, clipped: true };
}

/**
 * The epoch in force at `at` among a target's change times (any order): the latest change at or before `at`,
 * null when none. The backtest replays history with it; the live cycle reads `Target.configChangedAt`.
 */
export function epochAt(changes: readonly number[], at: number): number | null {
  let latest: number | null = null;
  for (const change of changes) if (change <= at && (latest === null || change > latest)) latest = change;
  return latest;
}
