// Fixtures for the rollback and monitoring-cycle tests: a target on a bad snapshot with a known-good one
// to go back to, its policy, traffic on a controlled clock, and breach verdicts and decisions.
import type { Db } from "@/server/db";
import { checksumOf } from "@/server/domain/canonical-json";
import type { Decision } from "@/server/domain/decision";
import { aggregateEvents } from "@/server/domain/metrics";
import type { Verdict } from "@/server/domain/evaluation";
import { policySchema, type Policy, type PolicyInput } from "@/server/domain/policy";
import type { MonitoringCycleSummary } from "@/server/services/monitoring/cycle";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { rebuildRollups } from "@/server/services/metrics/rollups";
import { startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { advanceDueRollbacks } from "@/server/services/rollbacks/cycle-steps";
import { BUCKET_MS, makeTarget, traffic } from "./helpers";

export const SECOND = 1_000;
export const MINUTE = 60_000;
export const YEAR = 365 * 86_400_000;

/**
 * One-minute windows and steps, ten requests suffice (for a verdict and per arm of a step check), P95 limit
 * 1 s, emergency at 4× (4 s); no burn rate and a long bake, so only the thresholds decide.
 */
export const lifecyclePolicy: PolicyInput = {
  evaluationWindowSeconds: 60,
  minRequests: 10,
  consecutiveViolations: 3,
  maxP95LatencyMs: 1_000,
  emergencyMultiplier: 4,
  burnRate: { enabled: false },
  steps: [25, 50, 100],
  stepIntervalSeconds: 60,
  stepMinRequests: 10,
  approvalTimeoutSeconds: 600,
  verificationWindowSeconds: 120,
  cooldownSeconds: 1_800,
  bakeTimeSeconds: 86_400,
};

export async function savePolicy(db: Db, targetId: string, input: PolicyInput, at: Date): Promise<Policy> {
  const policy = policySchema.parse(input);
  const latest = await db.policy.findFirst({ where: { targetId }, orderBy: { version: "desc" } });
  await db.policy.create({ data: { targetId, version: (latest?.version ?? 0) + 1, config: policy, createdAt: at } });
  return policy;
}

export async function createSnapshot(
  db: Db,
  targetId: string,
  version: number,
  extra: { publishedAt?: Date; knownGoodAt?: Date; failedAt?: Date } = {},
) {
  const config = { model: `model-v${version}`, timeoutMs: 30_000 };
  return db.configSnapshot.create({
    data: {
      targetId,
      version,
      config,
      checksum: checksumOf(config),
      createdByType: "SYSTEM",
      createdAt: new Date(0),
      ...extra,
    },
  });
}

/** A monitored target whose current snapshot v2 went bad, with v1 known-good to roll back to. */
export async function lifecycleTarget(db: Db, policy: PolicyInput = lifecyclePolicy, at = new Date(0)) {
  const target = await makeTarget(db);
  const good = await createSnapshot(db, target.id, 1, { publishedAt: new Date(0), knownGoodAt: new Date(0) });
  const bad = await createSnapshot(db, target.id, 2, { publishedAt: at });
  await db.target.update({
    where: { id: target.id },
    data: { currentSnapshotId: bad.id, knownGoodSnapshotId: good.id },
  });
  return { target, good, bad, policy: await savePolicy(db, target.id, policy, at) };
}

/**
 * A request a second over [from, from + seconds), latencies stepping by 100 ms: any minute's P95 is ≈ 500 ms
 * when healthy, ≈ 2.9 s when slow (a breach), and at least ≈ 5.7 s in an outage (an emergency).
 */
export function feed(db: Db, targetId: string, from: number, seconds: number, kind: "healthy" | "slow" | "outage") {
  const latencyMs = { healthy: 500, slow: 3_000, outage: 30_000 }[kind];
  return recordMetrics(
    db,
    { targetId, events: traffic(from, seconds, { latencyMs }) },
    { bucketWidthMs: BUCKET_MS, now: new Date(from + seconds * SECOND) },
  );
}

export const cycleOptions = (now: number) => ({ now: new Date(now), bucketWidthMs: BUCKET_MS, retentionMs: YEAR });

/** The cycle runs over every target in the shared database: keep the errors about these targets only. */
export function errorsAbout(summary: MonitoringCycleSummary, targets: readonly { id: string; slug: string }[]) {
  return summary.errors.filter((error) =>
    targets.some((target) => error.targetSlug === target.slug || error.message.includes(target.id)),
  );
}

export function breach(severity: "CRITICAL" | "EMERGENCY"): Verdict {
  return { ...breachVerdict, severity };
}

export const breachVerdict: Extract<Verdict, { status: "BREACH" }> = {
  status: "BREACH",
  severity: "CRITICAL",
  observed: {
    windowSeconds: 60,
    requestCount: 60,
    errorRate: 0,
    p95Ms: 2_950,
    costPerRequestUsd: 0.001,
    ttftP95Ms: null,
  },
  violations: [{ slo: "P95_LATENCY", observed: 2_950, threshold: 1_000, windowSeconds: 60 }],
  consecutiveCount: 3,
  burnRate: null,
  explanation: "P95 latency 2,950 ms > 1,000 ms over the last 1 min (3rd consecutive violation)",
};

export function rollbackDecision(kind: "PROPOSE_ROLLBACK" | "AUTO_ROLLBACK" | "EMERGENCY_ROLLBACK"): Decision {
  return {
    kind,
    reasons: ["Policy needs 1 approval"],
    escalate: kind === "EMERGENCY_ROLLBACK",
    explanation: `${breachVerdict.explanation}. Propose a rollback to the known-good snapshot: Policy needs 1 approval.`,
  };
}

/**
 * Traffic the orchestrator attributed to a snapshot version (rows with `snapshotVersion`, as ingest stores them
 * once senders report versions): `perSecond` requests a second over [from, from + seconds), as `traffic`.
 */
export async function attributed(
  db: Db,
  targetId: string,
  version: number,
  from: number,
  seconds: number,
  options: Parameters<typeof traffic>[2] = {},
) {
  const buckets = aggregateEvents(traffic(from, seconds, options), { widthMs: BUCKET_MS });
  await db.metricBucket.createMany({
    data: buckets.map((bucket) => ({
      targetId,
      start: new Date(bucket.start),
      snapshotVersion: version,
      requestCount: bucket.requestCount,
      errorCount: bucket.errorCount,
      costMicros: BigInt(bucket.costMicros),
      inputTokens: BigInt(bucket.inputTokens),
      outputTokens: BigInt(bucket.outputTokens),
      sketch: bucket.latency.encode(),
    })),
  });
  // Rows written around ingest: their rollups too, as ingest would have written them.
  await rebuildRollups(db, { targetId, from, to: from + seconds * 1000, bucketWidthMs: BUCKET_MS });
}

/**
 * An automatic rollback of the lifecycle target's v2 (current, bad) to v1 (known-good), created at T and started
 * by the cycle at T: its first step is taken at T.
 */
export async function startedAutomaticRollback(db: Db, policy: PolicyInput, T: number) {
  const fixture = await lifecycleTarget(db, policy, new Date(T - MINUTE));
  const { rollbackId } = await startRollbackFromDecision(
    db,
    {
      target: fixture.target,
      decision: rollbackDecision("AUTO_ROLLBACK"),
      verdict: breachVerdict,
      policy: fixture.policy,
      policyVersion: 1,
    },
    new Date(T),
  );
  await advanceDueRollbacks(db, { now: new Date(T), bucketWidthMs: BUCKET_MS });
  return { ...fixture, rollbackId };
}
