// The SNS settings as code over real HTTP: GET/PUT /api/v1/intake/sns (signed, replace-all, audited), bad input
// refused by field path with nothing written, and keys limited to some targets refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, makeKey, makeTarget, testDb, type TestKey } from "./helpers";

const db = testDb();
const SNS = "/api/v1/intake/sns";
const TOPIC = "arn:aws:sns:us-east-1:123456789012:rewind-alarms-as-code";
let admin: TestKey;
let before: unknown;

beforeAll(async () => {
  admin = await makeKey(db, { scopes: ["policies:write", "config:read"] });
  before = (await api("GET", SNS, { key: admin })).body;
});
// The settings are global (sns.test.ts relies on its own): put back what was there.
afterAll(async () => {
  const timestamp = Math.floor(Date.now() / 1000) + 2;
  expect((await api("PUT", SNS, { key: admin, body: before, timestamp })).status).toBe(200);
});

describe("GET/PUT /api/v1/intake/sns", () => {
  it("replaces the settings with a signed PUT, reads them back, and records the change once", async () => {
    const target = await makeTarget(db);
    const settings = {
      allowedTopicArns: [TOPIC],
      alarmTargets: [{ alarmName: `latency-${target.slug}`, target: target.slug, level: "emergency" }],
    };
    const put = await api("PUT", SNS, { key: admin, body: settings });
    expect(put.status).toBe(200);
    expect(put.body).toEqual(settings);
    expect((await api("GET", SNS, { key: admin })).body).toEqual(settings);

    const audited = () =>
      db.auditEvent.count({ where: { action: "integration.sns_settings_changed", actorId: admin.id } });
    const count = await audited();
    expect(count).toBeGreaterThanOrEqual(1);
    // The same body again, signed at another second: a replay of the first request would be refused as one.
    const again = await api("PUT", SNS, { key: admin, body: settings, timestamp: Math.floor(Date.now() / 1000) + 1 });
    expect(again.status).toBe(200);
    expect(await audited()).toBe(count);
  });

  it("refuses a bad body with 422 by field path and writes nothing", async () => {
    const saved = (await api("GET", SNS, { key: admin })).body;
    const put = await api("PUT", SNS, {
      key: admin,
      body: { allowedTopicArns: ["not an arn"], alarmTargets: [{ alarmName: "", target: "x" }] },
    });
    expect(put.status).toBe(422);
    const issues = (put.body as { error: { issues: Record<string, string> } }).error.issues;
    expect(Object.keys(issues)).toEqual(expect.arrayContaining(["allowedTopicArns.0", "alarmTargets.0.alarmName"]));
    expect((await api("GET", SNS, { key: admin })).body).toEqual(saved);
  });

  it("refuses keys limited to some targets, and keys without the scope", async () => {
    const target = await makeTarget(db);
    const limited = await makeKey(db, { scopes: ["policies:write", "config:read"], targets: [target.slug] });
    expect((await api("GET", SNS, { key: limited })).status).toBe(403);
    const put = await api("PUT", SNS, { key: limited, body: { allowedTopicArns: [], alarmTargets: [] } });
    expect(put.status).toBe(403);
    expect((put.body as { error: { message: string } }).error.message).toMatch(/limited to some targets/);
    const reader = await makeKey(db, { scopes: ["config:read"] });
    expect((await api("PUT", SNS, { key: reader, body: { allowedTopicArns: [], alarmTargets: [] } })).status).toBe(403);
  });
});
