// A target with traffic, verdicts, a policy and snapshots, for the target page's hook and component tests.
import type { Db } from "@/server/db";
import { bucketStart } from "@/server/domain/metrics";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { BUCKET_MS, traffic } from "../integration/helpers";
import { breachVerdict, lifecyclePolicy, lifecycleTarget, SECOND } from "../integration/lifecycle-fixtures";

/**
 * A target on a bad v2 with v1 known-good, its policy (version 1), the last 10 minutes of traffic through
 * one provider/model with every 10th request failing, and two breach verdicts a minute ago.
 */
export async function seededTarget(db: Db) {
  const now = Date.now();
  const fixture = await lifecycleTarget(db, lifecyclePolicy, new Date(now));
  // Whole buckets of ten requests with one failure each.
  const from = bucketStart(now - 600 * SECOND, BUCKET_MS);
  await recordMetrics(
    db,
    {
      targetId: fixture.target.id,
      events: traffic(from, 600, { errorEvery: 10, provider: "openai", model: "gpt-test", costUsd: 0.002 }),
    },
    { bucketWidthMs: BUCKET_MS, now: new Date(now) },
  );
  for (const secondsAgo of [60, 50]) {
    await db.verdictRecord.create({
      data: {
        targetId: fixture.target.id,
        evaluatedAt: new Date(now - secondsAgo * SECOND),
        status: "BREACH",
        severity: "CRITICAL",
        consecutiveCount: 3,
        details: breachVerdict,
        policyVersion: 1,
      },
    });
  }
  return { ...fixture, firstVerdictAt: new Date(now - 60 * SECOND) };
}
