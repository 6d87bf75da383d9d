// The traffic simulator (npm run simulate) against the test server, over HTTP only: it sets its demo targets
// up through the config-as-code API, streams signed traffic, deploys a failing configuration, and Rewind
// rolls that back on the ingest request that shows the emergency.
import { describe, expect, inject, it } from "vitest";
import { simulate } from "@/scripts/lib/simulator";
import { api, makeKey, testDb } from "./helpers";

const db = testDb();

describe("npm run simulate -- --scenario emergency", () => {
  it("deploys a failing configuration that Rewind rolls back to v1 at once", async () => {
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
      until: "rollback",
      durationSeconds: 60,
      log: (line) => lines.push(line),
    });
    const output = lines.join("\n");

    expect(result, output).toMatchObject({ scenario: "emergency", outcome: "rollback-active" });
    expect(result.targets).toHaveLength(3);
    expect(result.eventsSent).toBeGreaterThan(1_000);
    expect(output).toMatch(/Deployed v2 to sim-[0-9a-f]{4}-chat/);
    expect(output).toMatch(/Rewind acted on this batch at once: BREACH\/EMERGENCY → EMERGENCY_ROLLBACK/);

    const slug = result.incidentTarget as string;
    const status = await api("GET", `/api/v1/targets/${slug}/status`, { key });
    expect(status.status).toBe(200);
    expect(status.body.verdict).toMatchObject({ status: "BREACH", severity: "EMERGENCY" });
    expect(status.body.rollback).toMatchObject({ trigger: "EMERGENCY", status: "IN_PROGRESS", trafficPercent: 100 });
    expect(status.body.rollback.id).toBe(result.rollback?.id);

    // The orchestrator is told to serve v1 again, and only the degraded target was touched.
    const config = await api("GET", `/api/v1/targets/${slug}/config`, { key });
    expect(config.body.rollback.split).toEqual([expect.objectContaining({ version: 1, weight: 100 })]);
    for (const other of result.targets.filter((target) => target !== slug)) {
      const otherStatus = await api("GET", `/api/v1/targets/${other}/status`, { key });
      expect(otherStatus.body).toMatchObject({ rollback: null, verdict: { status: "HEALTHY" } });
    }
  }, 90_000);
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
    expect(verdicts.length).toBeGreaterThanOrEqual(2);
    for (const { details } of verdicts) {
      const { violations, observed } = details as { violations: { slo: string }[]; observed: { p95Ms: number } };
      expect(violations.map((violation) => violation.slo)).toEqual(["TTFT_P95"]);
      expect(observed.p95Ms).toBeLessThan(8_000);
    }
  }, 180_000);
});
