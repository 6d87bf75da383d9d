// The traffic simulator (npm run simulate) against the test server, over HTTP only: it sets its demo targets
// up through the config-as-code API, streams signed traffic, deploys a failing configuration, and Rewind
// rolls that back on the ingest request that shows the emergency.
import { describe, expect, inject, it } from "vitest";
import { simulate } from "@/scripts/lib/simulator";
import { api, makeKey, testDb } from "./helpers";

const db = testDb();

describe("npm run simulate -- --scenario emergency", () => {
  it("deploys a failing configuration that Rewind rolls back to v1 at once, verified EFFECTIVE on v1's traffic", async () => {
    const key = await makeKey(db, { scopes: ["ingest", "config:read", "snapshots:write", "policies:write"] });
    const lines: string[] = [];
    const result = await simulate({
      scenario: "emergency",
      url: inject("baseUrl"),
      key: key.key,
      secret: key.secret,
      // The test server has no scheduler: the simulator runs the cycle that makes v1 known-good. With no bake
      // time that takes one cycle; the emergency itself needs none.
      cronSecret: inject("cronSecret"),
      bakeTimeSeconds: 0,
      durationSeconds: 240,
      log: (line) => lines.push(line),
    });
    const output = lines.join("\n");

    // Judged on v1's own traffic after completion (the orchestrator reports snapshotVersion), not on windows
    // still holding v2's errors: EFFECTIVE, never "Ineffective".
    expect(result, output).toMatchObject({ scenario: "emergency", outcome: "rolled-back", verification: "EFFECTIVE" });
    expect(result.targets).toHaveLength(3);
    expect(result.eventsSent).toBeGreaterThan(1_000);
    expect(output).toMatch(/Deployed v2 to sim-[0-9a-f]{4}-chat/);
    expect(output).toMatch(/Rewind acted on this batch at once: BREACH\/EMERGENCY → EMERGENCY_ROLLBACK/);

    const slug = result.incidentTarget as string;
    const status = await api("GET", `/api/v1/targets/${slug}/status`, { key });
    expect(status.status).toBe(200);
    expect(status.body.rollback).toBeNull();
    expect(status.body.lastRollback).toMatchObject({ id: result.rollback?.id, verification: "EFFECTIVE" });
    expect(output).toMatch(/rollback verification: EFFECTIVE/);
    expect(output).not.toMatch(/INEFFECTIVE/);

    // The orchestrator serves v1 again, and only the degraded target was touched.
    const config = await api("GET", `/api/v1/targets/${slug}/config`, { key });
    expect(config.body).toMatchObject({ snapshot: { version: 1 }, rollback: null });
    for (const other of result.targets.filter((target) => target !== slug)) {
      const otherStatus = await api("GET", `/api/v1/targets/${other}/status`, { key });
      expect(otherStatus.body).toMatchObject({ rollback: null, verdict: { status: "HEALTHY" } });
    }
  }, 300_000);
});

describe("npm run simulate -- --scenario emergency --via otlp-metrics", () => {
  // Until the rollback only: the verification after it (EFFECTIVE, as through /api/v1/ingest) takes two more minutes.
  it("sends OTLP GenAI metrics through /api/otlp/v1/metrics, and their windows make Rewind roll back at once", async () => {
    const key = await makeKey(db, { scopes: ["ingest", "config:read", "snapshots:write", "policies:write"] });
    const lines: string[] = [];
    const result = await simulate({
      scenario: "emergency",
      url: inject("baseUrl"),
      key: key.key,
      secret: key.secret,
      cronSecret: inject("cronSecret"),
      bakeTimeSeconds: 0,
      durationSeconds: 90,
      until: "rollback",
      via: "otlp-metrics",
      log: (line) => lines.push(line),
    });
    const output = lines.join("\n");

    expect(result, output).toMatchObject({ outcome: "rollback-active", rollback: { trigger: "EMERGENCY" } });
    expect(output).toMatch(/Traffic goes through \/api\/otlp\/v1\/metrics \(OTLP GenAI metrics/);
    expect(output).toMatch(/OTLP metric exports/);
    // The windows carried the snapshot version: the emergency was judged on v2's own traffic.
    expect(output).toMatch(/BREACH\/EMERGENCY: Emergency: error rate [\d.]+% > 15% .* of v2's traffic/);
  }, 120_000);
});

describe("npm run simulate -- --scenario gradual-ttft", () => {
  it("breaches on time to first token alone and proposes a gradual rollback", async () => {
    const key = await makeKey(db, { scopes: ["ingest", "config:read", "snapshots:write", "policies:write"] });
    const lines: string[] = [];
    const result = await simulate({
      scenario: "gradual-ttft",
      url: inject("baseUrl"),
      key: key.key,
      secret: key.secret,
      cronSecret: inject("cronSecret"),
      // Unlike an emergency, a breach needs v1 to stay the known-good snapshot: the bake must outlast the ~12 s
      // a bad deploy takes to breach with cycles every 2 s, or v2 would be blessed first.
      bakeTimeSeconds: 20,
      until: "rollback",
      durationSeconds: 120,
      log: (line) => lines.push(line),
    });
    const output = lines.join("\n");

    expect(result, output).toMatchObject({ scenario: "gradual-ttft", outcome: "rollback-active" });
    expect(output).toMatch(/P95 TTFT ≤ 2,000 ms/);
    const slug = result.incidentTarget as string;
    const status = await api("GET", `/api/v1/targets/${slug}/status`, { key });
    expect(status.body.rollback).toMatchObject({ trigger: "SLO", status: "PENDING_APPROVAL" });

    // Every violation on the way was of time to first token; P95 latency stayed within its 8 s.
    const target = await db.target.findUniqueOrThrow({ where: { slug } });
    const verdicts = await db.verdictRecord.findMany({
      where: { targetId: target.id, status: { in: ["VIOLATION", "BREACH"] } },
      select: { details: true },
    });
    // Two, by the streak: not one burn-rate alert read from a deploy's first seconds of traffic.
    expect(verdicts.length, output).toBeGreaterThanOrEqual(2);
    for (const { details } of verdicts) {
      const { violations, observed } = details as { violations: { slo: string }[]; observed: { p95Ms: number } };
      expect(violations.map((violation) => violation.slo)).toEqual(["TTFT_P95"]);
      expect(observed.p95Ms).toBeLessThan(8_000);
    }
  }, 180_000);
});

describe("npm run simulate -- --scenario bad-known-good", () => {
  it("starts an automatic gradual rollback whose step check finds the known-good v1 worse and ABORTs", async () => {
    const key = await makeKey(db, { scopes: ["ingest", "config:read", "snapshots:write", "policies:write"] });
    const lines: string[] = [];
    const result = await simulate({
      scenario: "bad-known-good",
      url: inject("baseUrl"),
      key: key.key,
      secret: key.secret,
      cronSecret: inject("cronSecret"),
      // As gradual-ttft: v1 must be known-good before v2 arrives, and v2 must breach before it bakes.
      bakeTimeSeconds: 20,
      durationSeconds: 200,
      log: (line) => lines.push(line),
    });
    const output = lines.join("\n");

    expect(result, output).toMatchObject({ scenario: "bad-known-good", outcome: "gate-aborted" });
    expect(output).toMatch(
      /step check at step 1 of 3: ABORT · known-good v1 \d+ requests, [\d.]+% errors · current v2/,
    );
    const slug = result.incidentTarget as string;
    const status = await api("GET", `/api/v1/targets/${slug}/status`, { key });
    expect(status.body).toMatchObject({
      rollback: null,
      lastRollback: { id: result.rollback?.id, status: "FAILED", lastStepCheck: { outcome: "ABORT", perArm: true } },
    });
    const slos = status.body.lastRollback.lastStepCheck.slos as { slo: string; worse: string | null }[];
    expect(slos.find((slo) => slo.slo === "ERROR_RATE")).toMatchObject({ worse: "KNOWN_GOOD" });

    // The orchestrator is told to serve v2 alone again, and the abort paged.
    const config = await api("GET", `/api/v1/targets/${slug}/config`, { key });
    expect(config.body).toMatchObject({ rollback: null, snapshot: { version: 2 } });
    const rollbackRow = await db.rollback.findUniqueOrThrow({ where: { id: result.rollback?.id ?? "" } });
    expect(rollbackRow).toMatchObject({ status: "FAILED", trafficPercent: 0 });
    expect(
      await db.notification.findFirst({
        where: { rollbackId: rollbackRow.id, event: "rollback.gate_aborted" },
        select: { severity: true },
      }),
    ).toEqual({ severity: "CRITICAL" });
  }, 240_000);
});
