// What post-rollback verification judges: the restored snapshot's own traffic after completion and the pickup
// grace, never the windows that still hold the old configuration's errors (docs/ROLLBACKS.md, "Verification").
import "server-only";
import type { Db } from "../../db";
import { ceilToBucket } from "../../domain/configuration-epoch";
import { evaluate, type Verdict } from "../../domain/evaluation";
import { bucketStart, mergeWindow, toWindowMetrics } from "../../domain/metrics";
import type { Policy } from "../../domain/policy";
import { loadBuckets, loadVersionTotals } from "../metrics/bucket-reads";

export interface RestoredJudgment {
  /** Completion plus the pickup grace, on a bucket boundary: where the judged traffic starts. */
  judgedFrom: Date;
  /** The restored traffic judged as one window (no streak, no burn rate): INSUFFICIENT_DATA when too little. */
  verdict: Verdict;
}

/**
 * Judges the restored snapshot's traffic over [completion + pickup, min(now, end of the verification window)):
 * its attributed rows when the orchestrator reports `snapshotVersion`, else the all-traffic series, cut short
 * where the target's configuration changed again (a fix published during verification serves the rest).
 */
export async function judgeRestoredTraffic(
  db: Db,
  input: {
    rollback: { targetId: string; toSnapshotId: string; completedAt: Date };
    policy: Policy;
    now: Date;
    bucketWidthMs: number;
  },
): Promise<RestoredJudgment> {
  const { rollback, policy, now, bucketWidthMs } = input;
  const completedAt = rollback.completedAt.getTime();
  const windowEnd = completedAt + policy.verificationWindowSeconds * 1000;
  const to = bucketStart(Math.min(now.getTime(), windowEnd), bucketWidthMs);
  // judgedRange's start for the epoch the completion began.
  const from = ceilToBucket(completedAt + policy.configPickupSeconds * 1000, bucketWidthMs);
  const range = { from, to: Math.max(from, to) };
  const [snapshot, target] = await Promise.all([
    db.configSnapshot.findUnique({ where: { id: rollback.toSnapshotId }, select: { version: true } }),
    db.target.findUnique({ where: { id: rollback.targetId }, select: { configChangedAt: true } }),
  ]);
  const judgedFrom = new Date(range.from);
  if (snapshot) {
    const totals = (
      await loadVersionTotals(db, rollback.targetId, [snapshot.version], {
        from: judgedFrom,
        to: new Date(range.to),
      })
    ).get(snapshot.version);
    if (totals && totals.requestCount > 0) {
      const window = toWindowMetrics(totals, range);
      return {
        judgedFrom,
        verdict: evaluate({ window, policy, recentVerdicts: [], scope: { snapshotVersion: snapshot.version } }),
      };
    }
  }
  // Without attributed traffic, all traffic counts only while the restored snapshot was what delivery served.
  const changedAgain = target?.configChangedAt?.getTime();
  const allTo =
    changedAgain !== undefined && changedAgain > completedAt
      ? Math.max(range.from, Math.min(range.to, bucketStart(changedAgain, bucketWidthMs)))
      : range.to;
  const buckets = await loadBuckets(db, rollback.targetId, { from: judgedFrom, to: new Date(allTo) });
  const window = mergeWindow(buckets, { from: range.from, to: allTo });
  return { judgedFrom, verdict: evaluate({ window, policy, recentVerdicts: [], scope: { sinceChange: true } }) };
}

/** What a verification outcome records and says: INCONCLUSIVE is a WARNING (never pages), INEFFECTIVE CRITICAL. */
export function verificationMessage(
  outcome: "EFFECTIVE" | "INEFFECTIVE" | "INCONCLUSIVE",
  {
    subject,
    version,
    window,
    explanation,
  }: { subject: string; version: number | undefined; window: string; explanation: string },
): {
  event: "rollback.verified" | "rollback.ineffective" | "rollback.inconclusive";
  severity: "RESOLVED" | "CRITICAL" | "WARNING";
  title: string;
  body: string;
  reason: string | null;
} {
  if (outcome === "EFFECTIVE") {
    return {
      event: "rollback.verified",
      severity: "RESOLVED",
      title: `${subject} verified`,
      body: `v${version}'s traffic was healthy within ${window} after it completed: ${explanation}.`,
      reason: null,
    };
  }
  if (outcome === "INCONCLUSIVE") {
    return {
      event: "rollback.inconclusive",
      severity: "WARNING",
      title: `${subject} could not be verified`,
      body:
        `Not enough traffic on v${version} within ${window} after it completed to judge it: ${explanation}. ` +
        "Nothing shows that the rollback worked, or that it did not: check the target's traffic.",
      reason: explanation,
    };
  }
  return {
    event: "rollback.ineffective",
    severity: "CRITICAL",
    title: `${subject} did not help`,
    body:
      `The target still breaches on v${version}, the previous known-good snapshot: ${explanation}. ` +
      "A breach that survives a rollback points at an upstream or provider outage rather than at the " +
      "configuration: check the providers' status before rolling back further.",
    reason: explanation,
  };
}
