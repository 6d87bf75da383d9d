// The step gate as an orchestrator reads it over real HTTP: GET /api/v1/targets/{slug}/status shows each arm's
// traffic in the current step (`rollback.arms`) and the last step check with its p-values (`rollback.lastStepCheck`).
import { describe, expect, it } from "vitest";
import { bucketStart } from "@/server/domain/metrics";

import { advanceDueRollbacks } from "@/server/services/rollbacks/cycle-steps";
import { attributed, lifecyclePolicy, startedAutomaticRollback } from "../integration/lifecycle-fixtures";
import { BUCKET_MS } from "../integration/helpers";
import { api, makeKey, testDb } from "./helpers";

const db = testDb();

describe("GET /api/v1/targets/{slug}/status during a gradual rollback", () => {
  it("shows the arms of the current step and the last step check", async () => {
    // The first step began 90 s ago (on a bucket boundary); its check ran 30 s ago and advanced to 50%.
    const T = bucketStart(Date.now(), BUCKET_MS) - 90_000;
    const policy = { ...lifecyclePolicy, mode: "AUTOMATIC" as const, stepMinRequests: 100, configPickupSeconds: 0 };
    const fixture = await startedAutomaticRollback(db, policy, T);
    const { rollbackId } = fixture;
    const key = await makeKey(db, { scopes: ["config:read"], targets: [fixture.target.slug] });
    const cycle = (at: number) => advanceDueRollbacks(db, { now: new Date(at), bucketWidthMs: BUCKET_MS });

    const before = await api("GET", `/api/v1/targets/${fixture.target.slug}/status`, { key });
    expect(before.status).toBe(200);
    expect(before.body.rollback).toMatchObject({ id: rollbackId, trafficPercent: 25, lastStepCheck: null });
    expect(before.body.rollback.arms).toMatchObject([
      { arm: "KNOWN_GOOD", version: 1 },
      { arm: "CURRENT", version: 2 },
    ]);

    await attributed(db, fixture.target.id, 1, T, 60, { perSecond: 3 });
    await attributed(db, fixture.target.id, 2, T, 60, { perSecond: 3 });
    await cycle(T + 60_000);
    await attributed(db, fixture.target.id, 1, T + 60_000, 30, { perSecond: 2, errorEvery: 4 });
    await attributed(db, fixture.target.id, 2, T + 60_000, 30, { perSecond: 2 });

    const status = await api("GET", `/api/v1/targets/${fixture.target.slug}/status`, { key });
    expect(status.status).toBe(200);
    expect(status.body.rollback).toMatchObject({
      id: rollbackId,
      trafficPercent: 50,
      currentStep: 1,
      arms: [
        {
          arm: "KNOWN_GOOD",
          version: 1,
          requests: 60,
          errorRate: 0.25,
          p95LatencyMs: expect.any(Number),
          costPerRequestUsd: 0.001,
          ttftP95Ms: null,
        },
        { arm: "CURRENT", version: 2, requests: 60, errorRate: 0, costPerRequestUsd: 0.001, ttftP95Ms: null },
      ],
      lastStepCheck: {
        outcome: "ADVANCE",
        checkedAt: new Date(T + 60_000).toISOString(),
        perArm: true,
        step: 0,
        arms: [
          { arm: "KNOWN_GOOD", version: 1, requests: 180 },
          { arm: "CURRENT", version: 2, requests: 180 },
        ],
        slos: [
          { slo: "ERROR_RATE", knownGood: 0, current: 0, pValue: expect.closeTo(1, 9), worse: null },
          { slo: "P95_LATENCY", pValue: expect.any(Number), worse: null },
          { slo: "COST_PER_REQUEST", knownGood: 0.001, current: 0.001, pValue: null, worse: null },
        ],
      },
    });
  });
});
