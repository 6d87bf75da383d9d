// GET /api/metrics on three production servers: with METRICS_TOKEN (the suite's), with none, and public.
// Only the token's holder learns who holds the cycle lease (its host name and process id).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { startBuiltApp, type BuiltApp } from "../built-app";
import { testDb } from "./helpers";

const db = testDb();
const holder = "rewind-7.internal:4242";
const others: BuiltApp[] = [];
let withoutToken: BuiltApp;
let publicMetrics: BuiltApp;

beforeAll(async () => {
  // An empty value is "unset" to server/env.js.
  [withoutToken, publicMetrics] = await Promise.all([
    startBuiltApp({ databaseUrl: inject("databaseUrl"), env: { METRICS_TOKEN: "" } }),
    startBuiltApp({ databaseUrl: inject("databaseUrl"), env: { METRICS_TOKEN: "", METRICS_PUBLIC: "true" } }),
  ]);
  others.push(withoutToken, publicMetrics);
  const now = Date.now();
  await db.lease.upsert({
    where: { name: "monitoring-cycle" },
    create: { name: "monitoring-cycle", holder, acquiredAt: new Date(now), expiresAt: new Date(now + 60_000) },
    update: { holder, acquiredAt: new Date(now), expiresAt: new Date(now + 60_000) },
  });
}, 120_000);

afterAll(async () => {
  await db.lease.deleteMany({ where: { holder } });
  await Promise.all(others.map((app) => app.stop()));
});

function scrape(baseUrl: string, token?: string) {
  return fetch(`${baseUrl}/api/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

describe("GET /api/metrics", () => {
  it("shows the lease holder to the token only", async () => {
    const response = await scrape(inject("baseUrl"), inject("metricsToken"));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(`rewind_cycle_lease_held{holder="${holder}"} 1`);

    const anonymous = await scrape(inject("baseUrl"));
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain(holder);
  });

  it("is refused by a production server without METRICS_TOKEN, saying what to set", async () => {
    const response = await scrape(withoutToken.baseUrl);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("NOT_CONFIGURED");
    expect(body.error.message).toMatch(/METRICS_TOKEN.*METRICS_PUBLIC=true/);
    expect((await scrape(withoutToken.baseUrl, "anything-at-all-here")).status).toBe(503);
  });

  it("with METRICS_PUBLIC=true, serves everyone but names no holder", async () => {
    const response = await scrape(publicMetrics.baseUrl);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^rewind_cycle_lease_held 1$/m);
    expect(text).not.toContain(holder);
    expect(text).toContain("# TYPE rewind_cycle_duration_seconds gauge");
  });
});
