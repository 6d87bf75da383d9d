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
