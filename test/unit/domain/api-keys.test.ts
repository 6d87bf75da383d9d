import { describe, expect, it } from "vitest";
import { alertVerdict, alertsByTarget, type Alert } from "@/server/domain/alertmanager";
import { createHmac } from "node:crypto";
import { createApiKeySchema, signRequest, signRequestV2, TokenBucket, verifySignature } from "@/server/domain/api-keys";
import { AppError } from "@/server/domain/errors";

const secret = "rws_test-secret";
const now = new Date("2026-05-01T12:00:00Z");
const t = now.getTime() / 1000;
const body = Buffer.from('{"target":"chat","events":[]}');

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error("expected a refusal");
}

const line = { method: "POST", path: "/api/v1/ingest" };

describe("request signatures", () => {
  it("accept the documented HMAC over '<t>.<raw body>'", () => {
    const header = signRequest(secret, t, body);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(header, { ...line, secret, rawBody: body, now })).toEqual({
      signature: `${t}.POST /api/v1/ingest.${header.split("v1=")[1]}`,
      timestampSeconds: t,
    });
  });

  it("accept any matching v1 among several (secret rotation)", () => {
    const good = signRequest(secret, t, body).split(",")[1];
    expect(() =>
      verifySignature(`t=${t},v1=${"0".repeat(64)},${good}`, { ...line, secret, rawBody: body, now }),
    ).not.toThrow();
  });

  it("v2: cover the method and the path with its query, so a body cannot be sent elsewhere", () => {
    const header = signRequestV2(secret, t, { ...line, rawBody: body });
    expect(header).toMatch(/^t=\d+,v2=[0-9a-f]{64}$/);
    const expected = createHmac("sha256", secret).update(`${t}.POST./api/v1/ingest.`).update(body).digest("hex");
    expect(header).toBe(`t=${t},v2=${expected}`);
    expect(verifySignature(header, { ...line, secret, rawBody: body, now })).toEqual({
      signature: `${t}.POST /api/v1/ingest.${expected}`,
      timestampSeconds: t,
    });
    const elsewhere = { secret, rawBody: body, now };
    for (const other of [
      { method: "PUT", path: "/api/v1/ingest" },
      { method: "POST", path: "/api/v1/targets/other/policy" },
      { method: "POST", path: "/api/v1/ingest?x=1" },
    ]) {
      expect(refusal(() => verifySignature(header, { ...other, ...elsewhere }))).toMatch(/method, path and body/);
    }
  });

  it("record the same v1 body signed for two paths as two requests, not a replay", () => {
    const header = signRequest(secret, t, body);
    const first = verifySignature(header, { ...line, secret, rawBody: body, now });
    const second = verifySignature(header, {
      method: "POST",
      path: "/api/v1/targets/b/policy",
      secret,
      rawBody: body,
      now,
    });
    expect(first.signature).not.toBe(second.signature);
  });

  it("refuse a missing, malformed, wrong or stale signature as UNAUTHORIZED", () => {
    expect(refusal(() => verifySignature(null, { ...line, secret, rawBody: body, now }))).toMatch(
      /^UNAUTHORIZED: .*send X-Rewind-Signature/,
    );
    expect(refusal(() => verifySignature("v1=abc", { ...line, secret, rawBody: body, now }))).toMatch(/Malformed/);
    expect(refusal(() => verifySignature(`t=${t},v1=zz`, { ...line, secret, rawBody: body, now }))).toMatch(
      /does not match/,
    );
    const otherBody = signRequest(secret, t, "{}");
    expect(refusal(() => verifySignature(otherBody, { ...line, secret, rawBody: body, now }))).toMatch(
      /does not match/,
    );
    expect(
      refusal(() => verifySignature(signRequest("rws_other", t, body), { ...line, secret, rawBody: body, now })),
    ).toMatch(/does not match/);
    expect(
      refusal(() => verifySignature(signRequest(secret, t - 301, body), { ...line, secret, rawBody: body, now })),
    ).toMatch(/301 s away/);
    expect(() =>
      verifySignature(signRequest(secret, t + 300, body), { ...line, secret, rawBody: body, now }),
    ).not.toThrow();
  });
});

describe("token bucket", () => {
  it("allows the burst, then refills at the rate and says when to retry", () => {
    const bucket = new TokenBucket(50, 100, 0);
    for (let i = 0; i < 100; i++) expect(bucket.take(0).ok).toBe(true);
    expect(bucket.take(0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(bucket.take(20).ok).toBe(true);
    expect(bucket.take(20).ok).toBe(false);
    expect(bucket.isFull(20)).toBe(false);
    expect(bucket.isFull(2_020)).toBe(true);
  });
});

describe("API key input", () => {
  it("needs a name and known scopes, and de-duplicates lists", () => {
    expect(createApiKeySchema.parse({ name: " ci ", scopes: ["ingest", "ingest"], targetSlugs: ["a", "a"] })).toEqual({
      name: "ci",
      scopes: ["ingest"],
      targetSlugs: ["a"],
      signingRequired: true,
    });
    const result = createApiKeySchema.safeParse({ name: "", scopes: ["root"] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["name", "scopes.0"]);
  });

  it("refuses a target list on an admin key, which acts on every target", () => {
    const result = createApiKeySchema.safeParse({ name: "ops", scopes: ["admin"], targetSlugs: ["a"] });
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["targetSlugs"]);
    expect(createApiKeySchema.parse({ name: "ops", scopes: ["admin", "rollbacks:read"] })).toMatchObject({
      scopes: ["admin", "rollbacks:read"],
    });
  });
});

describe("Alertmanager alerts as verdicts", () => {
  const alert = (status: Alert["status"], severity?: string, extra: Partial<Alert> = {}): Alert => ({
    status,
    labels: { alertname: "HighErrors", rewind_target: "chat", ...(severity && { severity }) },
    annotations: {},
    ...extra,
  });

  it("group alerts by rewind_target and leave the others out", () => {
    const other = { ...alert("firing"), labels: { alertname: "DiskFull" } };
    expect([...alertsByTarget([alert("firing"), other]).keys()]).toEqual(["chat"]);
  });

  it("map severity: emergency or page → emergency, critical → critical breach, else a violation", () => {
    expect(alertVerdict([alert("firing", "page")], [])).toMatchObject({ status: "BREACH", severity: "EMERGENCY" });
    expect(alertVerdict([alert("firing", "emergency")], [])).toMatchObject({ status: "BREACH", severity: "EMERGENCY" });
    expect(alertVerdict([alert("firing", "critical")], [])).toMatchObject({ status: "BREACH", severity: "CRITICAL" });
    expect(alertVerdict([alert("firing", "warning")], [])).toMatchObject({ status: "VIOLATION", consecutiveCount: 1 });
    expect(alertVerdict([alert("firing")], [])).toMatchObject({ status: "VIOLATION" });
    // The worst firing alert wins.
    expect(alertVerdict([alert("firing", "warning"), alert("firing", "critical")], [])).toMatchObject({
      severity: "CRITICAL",
    });
  });

  it("count the streak like the cycle and read the SLO and numbers from labels and annotations", () => {
    const verdict = alertVerdict(
      [
        alert("firing", "warning", {
          labels: { rewind_target: "chat", rewind_slo: "p95_latency" },
          annotations: { value: "9400", threshold: "8000", summary: "slow" },
        }),
      ],
      [{ status: "VIOLATION" }, { status: "BREACH" }, { status: "HEALTHY" }, { status: "VIOLATION" }],
    );
    expect(verdict).toMatchObject({
      status: "VIOLATION",
      consecutiveCount: 3,
      violations: [{ slo: "P95_LATENCY", observed: 9400, threshold: 8000, windowSeconds: 0 }],
      explanation: "Alertmanager: firing alert: slow",
    });
  });

  it("make only-resolved alerts a healthy verdict", () => {
    expect(alertVerdict([alert("resolved", "critical")], [{ status: "BREACH" }])).toMatchObject({
      status: "HEALTHY",
      explanation: "Alertmanager: resolved HighErrors (critical)",
    });
  });
});
