import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { testDb } from "./helpers";

const db = testDb();
const baseUrl = inject("baseUrl");

function cron(method: "GET" | "POST", token?: string) {
  return fetch(`${baseUrl}/api/cron/monitor`, {
    method,
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  });
}

describe("/api/cron/monitor", () => {
  it("refuses a missing or wrong secret with 401 and runs nothing", async () => {
    const before = await db.cycleRun.count();
    for (const response of [
      await cron("POST"),
      await cron("GET", "wrong"),
      await cron("POST", `${inject("cronSecret")}x`),
    ]) {
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
    }
    expect(await db.cycleRun.count()).toBe(before);
  });

  it("runs one cycle for 10 concurrent calls; the others say a cycle is running", async () => {
    // Cycles start at least a second apart: wait out any earlier test's spacing.
    await db.lease.deleteMany({});
    const before = await db.cycleRun.count();
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => cron(i % 2 === 0 ? "POST" : "GET", inject("cronSecret"))),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, ...Array<number>(9).fill(409)]);
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as { status: string }[];
    expect(bodies.filter((body) => body.status === "ran")).toHaveLength(1);
    expect(bodies.filter((body) => body.status === "busy")).toHaveLength(9);
    expect(await db.cycleRun.count()).toBe(before + 1);
    expect(await db.cycleRun.findFirst({ orderBy: { startedAt: "desc" } })).toMatchObject({ trigger: "cron" });
  });
});

describe("/api/metrics", () => {
  it("refuses a scrape without the token and serves the Prometheus text format with it", async () => {
    expect((await fetch(`${baseUrl}/api/metrics`)).status).toBe(401);
    const response = await fetch(`${baseUrl}/api/metrics`, {
      headers: { Authorization: `Bearer ${inject("metricsToken")}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const runs = await db.cycleRun.count({ where: { trigger: "cron" } });
    expect(text).toContain("# TYPE rewind_cycle_duration_seconds gauge");
    expect(text).toContain(`rewind_cycle_runs_total{trigger="cron"} ${runs}`);
    expect(text).toMatch(/^rewind_ingested_events_total \d+$/m);
    expect(text).toMatch(
      /^rewind_outbox_notifications\{channel="[a-z]+",status="PENDING"\} \d+$|# TYPE rewind_outbox_notifications gauge/m,
    );
    expect(text).toMatch(/^rewind_cycle_lease_held(\{holder="[^"]+"\} 1| 0)$/m);
  });
});
