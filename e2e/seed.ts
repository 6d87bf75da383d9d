// Seeds a target into the state a spec needs, through the machine API and the cron route only: the same
// path an orchestrator and an external cron take in production.
import { expect } from "@playwright/test";
import { traffic, type RewindApi } from "./api";

/**
 * Reacts within one cycle and steps every 10 s (the minimum), so a whole gradual rollback takes ~30 s. No
 * traffic flows during the rollback, so its step check holds for none of it: it advances at once with a
 * warning (stepMaxHoldIntervals 0).
 */
const FAST_POLICY = {
  maxErrorRate: 0.05,
  emergencyMultiplier: 10,
  evaluationWindowSeconds: 30,
  minRequests: 10,
  consecutiveViolations: 1,
  cooldownSeconds: 0,
  mode: "APPROVAL",
  approvalsRequired: 1,
  steps: [50, 100],
  stepIntervalSeconds: 10,
  bakeTimeSeconds: 0,
  verificationWindowSeconds: 60,
  stepMaxHoldIntervals: 0,
  burnRate: { enabled: false },
};

/**
 * A target whose v1 is known-good and whose v2 breaches its error-rate SLO (10% against 5%, well below the
 * emergency level), so the monitoring cycle proposes a gradual rollback to v1 that waits for approval.
 */
export async function seedPendingRollback(api: RewindApi, slug: string, name: string): Promise<void> {
  await api.putTarget(slug, { name, description: "Seeded by the e2e suite" });
  await api.putPolicy(slug, FAST_POLICY);
  await api.publishSnapshot(slug, { model: "gpt-4o-mini", temperature: 0.2 });
  await api.ingest(slug, traffic({ end: Date.now(), seconds: 20, count: 60, version: 1 }));
  // Healthy and past its (zero) bake time: this cycle marks v1 known-good.
  await api.runCycle();
  await api.publishSnapshot(slug, { model: "gpt-4o-mini", temperature: 1.4 });
  await api.ingest(slug, traffic({ end: Date.now(), seconds: 10, count: 100, version: 2, errorEvery: 4 }));
  await expect
    .poll(
      async () => {
        await api.runCycle();
        return (await api.status(slug)).rollback?.status ?? null;
      },
      { timeout: 20_000, intervals: [1_100] },
    )
    .toBe("PENDING_APPROVAL");
}

/**
 * Runs monitoring cycles until the target's rollback has ended: once seedPendingRollback's proposal is approved,
 * its 50% and 100% steps and completion (~30 s).
 */
export async function runRollbackToEnd(api: RewindApi, slug: string): Promise<void> {
  await expect
    .poll(
      async () => {
        await api.runCycle();
        return (await api.status(slug)).rollback?.status ?? "ENDED";
      },
      { timeout: 60_000, intervals: [3_000] },
    )
    .toBe("ENDED");
}
