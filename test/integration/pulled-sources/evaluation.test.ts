// The evaluation pass on pulled sources, against local stand-ins answering Prometheus' and CloudWatch's real
// wire formats: readings become verdicts and decisions as stored buckets do; a failed pull is INSUFFICIENT_DATA
// that says why, recorded on the source; one target's failure leaves the others alone.
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import type { PolicyInput } from "@/server/domain/policy";
import { systemActor } from "@/server/services/audit/audit-log";
import { updatePolicy } from "@/server/services/config/policies";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { evaluateMonitoredTargets, evaluateTarget } from "@/server/services/monitoring/evaluation";
import { saveMetricSource } from "@/server/services/pulled-sources/metric-sources";
import { BUCKET_MS, makeTarget, testDb, traffic } from "../helpers";
import { cloudWatchStandIn, prometheusStandIn, type PromAnswer } from "./stand-ins";

const db = testDb();
const KEY = randomBytes(32);
const encryptionKey = () => KEY;
const MINUTE = 60_000;
const TOKEN = "prom-token-0123456789";

const policy: PolicyInput = {
  evaluationWindowSeconds: 300,
  minRequests: 50,
  consecutiveViolations: 2,
  maxP95LatencyMs: 1_000,
  emergencyMultiplier: 10,
  burnRate: { enabled: false },
};

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

async function prometheus(answers: Record<string, PromAnswer>) {
  const server = await prometheusStandIn((query) => answers[query]);
  closers.push(server.close);
  return server;
}

async function target() {
  const created = await makeTarget(db, { currentSnapshotId: "snap-new", knownGoodSnapshotId: "snap-good" });
  await updatePolicy(db, { actorId: null, targetId: created.id, policy }, new Date(0));
  return created;
}

async function pullFromPrometheus(targetId: string, url: string, queries: Record<string, string>, timeoutSeconds = 5) {
  await saveMetricSource(
    db,
    {
      actor: systemActor,
      targetId,
      source: { kind: "PROMETHEUS", config: { url, timeoutSeconds, queries }, bearerToken: TOKEN },
    },
    { now: new Date(0), encryptionKey },
  );
}

const evaluate = (targetId: string, now: number) =>
  evaluateTarget(db, targetId, { now: new Date(now), bucketWidthMs: BUCKET_MS, encryptionKey });

describe("Prometheus", () => {
  it("judges the pulled readings: violation, then a breach and the proposal stored buckets would get", async () => {
    const T = Date.UTC(2026, 11, 6, 12, 0, 5);
    const slow = await target();
    const server = await prometheus({
      "sum(increase(requests_total[300s]))": "600",
      "sum(increase(errors_total[300s])) / sum(increase(requests_total[300s]))": "0.01",
      "1000 * histogram_quantile(0.95, sum by (le) (rate(latency_seconds_bucket[300s])))": "2500.5",
    });
    await pullFromPrometheus(slow.id, server.url, {
      requestCount: "sum(increase(requests_total[$window]))",
      errorRate: "sum(increase(errors_total[$window])) / sum(increase(requests_total[$window]))",
      p95Ms: "1000 * histogram_quantile(0.95, sum by (le) (rate(latency_seconds_bucket[$window])))",
    });

    const first = await evaluate(slow.id, T);
    expect(first.verdict).toMatchObject({
      status: "VIOLATION",
      consecutiveCount: 1,
      observed: { requestCount: 600, errorRate: 0.01, p95Ms: 2500.5, windowSeconds: 300, pulledFrom: "Prometheus" },
    });
    expect(first.verdict.explanation).toBe(
      "P95 latency 2.5 s > 1 s over the last 5 min (1st consecutive violation; 2 make a breach) (pulled from Prometheus)",
    );
    expect(first.decision.kind).toBe("NOTIFY");
    const second = await evaluate(slow.id, T + MINUTE);
    expect(second.verdict).toMatchObject({ status: "BREACH", severity: "CRITICAL", consecutiveCount: 2 });
    expect(second.decision).toMatchObject({ kind: "PROPOSE_ROLLBACK", escalate: false });

    // The same readings sent as traffic decide the same way.
    const buckets = await target();
    await recordMetrics(
      db,
      { targetId: buckets.id, events: traffic(T - 5 * MINUTE, 300, { perSecond: 2, latencyMs: 2_500 }) },
      { bucketWidthMs: BUCKET_MS, now: new Date(T) },
    );
    await evaluate(buckets.id, T);
    expect((await evaluate(buckets.id, T + MINUTE)).decision.kind).toBe("PROPOSE_ROLLBACK");

    // Each query at the window's end (the bucket boundary), with the token; the pull recorded on the source.
    const asked = server.requests.at(-1)!;
    expect(asked.url.searchParams.get("time")).toBe(String((T + MINUTE - 5_000) / 1000));
    expect(asked.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(await db.metricSource.findUnique({ where: { targetId: slow.id } })).toMatchObject({
      lastPulledAt: new Date(T + MINUTE),
      lastError: null,
      lastReadings: { requestCount: 600, readings: { errorRate: 0.01, p95Ms: 2500.5 } },
    });
  });

  it("is an emergency at once above the multiplier, and thin pulled data is no verdict", async () => {
    const T = Date.UTC(2026, 11, 6, 13);
    const burning = await target();
    const thin = await target();
    const server = await prometheus({ requests: "1200", thin: "12", p95: "15000", errors: { scalar: "0.002" } });
    await pullFromPrometheus(burning.id, server.url, { requestCount: "requests", p95Ms: "p95", errorRate: "errors" });
    await pullFromPrometheus(thin.id, server.url, { requestCount: "thin", p95Ms: "p95" });
    const emergency = await evaluate(burning.id, T);
    expect(emergency.verdict).toMatchObject({
      status: "BREACH",
      severity: "EMERGENCY",
      observed: { errorRate: 0.002 },
    });
    expect(emergency.decision.kind).toBe("EMERGENCY_ROLLBACK");
    const none = await evaluate(thin.id, T);
    expect(none.verdict.status).toBe("INSUFFICIENT_DATA");
    expect(none.verdict.explanation).toMatch(/^Only 12 requests over the last 5 min; at least 50 are needed/);
    expect(none.decision.kind).toBe("NONE");
  });

  it("makes every kind of failed pull INSUFFICIENT_DATA with the reason, and ends the streak", async () => {
    const T = Date.UTC(2026, 11, 6, 14);
    const server = await prometheus({
      requests: "600",
      slow: "5000",
      many: { vector: ["1", "2"] },
      empty: { vector: [] },
      nan: "NaN",
      inf: "+Inf",
      unavailable: { status: 503, body: { status: "error", errorType: "unavailable", error: "storage is down" } },
      proxy: { status: 502, body: "<html>Bad Gateway</html>" },
      hang: { hang: true },
    });
    const cases: [Record<string, string>, string, number?][] = [
      [
        { requestCount: "requests", p95Ms: "nope" },
        "P95 latency: HTTP 400 (bad_data): 1:1: parse error: unknown query nope",
      ],
      [{ requestCount: "requests", p95Ms: "unavailable" }, "P95 latency: HTTP 503 (unavailable): storage is down"],
      [{ requestCount: "proxy" }, "Request count: HTTP 502: <html>Bad Gateway</html>"],
      [
        { requestCount: "many" },
        'Request count: the query returned 2 series ({instance="litellm-0:4000"}, {instance="litellm-1:4000"}): aggregate them to one, e.g. with sum(…)',
      ],
      [{ requestCount: "empty" }, "Request count: the query returned no series (empty result)"],
      [{ requestCount: "nan" }, "Request count: the query answered NaN"],
      [
        { requestCount: "requests", p95Ms: "inf" },
        "P95 latency: the query answered +Inf (a quantile beyond the histogram's highest finite bucket?)",
      ],
      [{ requestCount: "hang" }, "no answer within 1 s (the source's timeout)", 1],
    ];
    for (const [queries, reason, timeout] of cases) {
      const failing = await target();
      await pullFromPrometheus(failing.id, server.url, queries, timeout);
      await db.verdictRecord.create({
        data: {
          targetId: failing.id,
          evaluatedAt: new Date(T - MINUTE),
          status: "VIOLATION",
          consecutiveCount: 1,
          details: {},
        },
      });
      const { verdict, decision } = await evaluate(failing.id, T);
      expect(verdict).toEqual({
        status: "INSUFFICIENT_DATA",
        observed: {
          windowSeconds: 300,
          requestCount: 0,
          errorRate: null,
          p95Ms: null,
          costPerRequestUsd: null,
          ttftP95Ms: null,
          pulledFrom: "Prometheus",
        },
        explanation: `Could not pull the readings from Prometheus: ${reason}`,
      });
      expect(decision.kind).toBe("NONE");
      expect(
        await db.metricSource.findUnique({ where: { targetId: failing.id }, select: { lastError: true } }),
      ).toEqual({
        lastError: reason,
      });
      const recorded = await db.verdictRecord.findFirst({
        where: { targetId: failing.id },
        orderBy: { evaluatedAt: "desc" },
      });
      expect(recorded).toMatchObject({ status: "INSUFFICIENT_DATA", consecutiveCount: 0 });
      expect(JSON.stringify(recorded?.details)).not.toContain(TOKEN);
    }
  });

  it("cannot reach a source: the network's reason, and no secret in it", async () => {
    const server = await prometheus({});
    await server.close();
    const unreachable = await target();
    await pullFromPrometheus(unreachable.id, server.url, { requestCount: "requests" });
    const { verdict } = await evaluate(unreachable.id, Date.UTC(2026, 11, 6, 15));
    expect(verdict.explanation).toMatch(
      /^Could not pull the readings from Prometheus: Request count: fetch failed \(ECONNREFUSED\)$/,
    );
  });
});

describe("CloudWatch", () => {
  const ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
  const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  const bedrock = (endpoint: string) => ({
    kind: "CLOUDWATCH",
    config: {
      region: "us-east-1",
      endpoint,
      accessKeyId: ACCESS_KEY_ID,
      metrics: [
        {
          id: "invocations",
          namespace: "AWS/Bedrock",
          metricName: "Invocations",
          stat: "Sum",
          dimensions: [{ name: "ModelId", value: "anthropic.claude-3-5-sonnet-20240620-v1:0" }],
        },
        { id: "errors", namespace: "AWS/Bedrock", metricName: "InvocationServerErrors", stat: "Sum" },
        { id: "latency", namespace: "AWS/Bedrock", metricName: "InvocationLatency", stat: "p95" },
      ],
      queries: { requestCount: "invocations", errorRate: "FILL(errors, 0) / invocations", p95Ms: "latency" },
    },
    secretAccessKey: SECRET,
  });

  it("reads Bedrock's metrics through GetMetricData, signed with the saved key, and judges them", async () => {
    const T = Date.UTC(2026, 11, 6, 16, 0, 25);
    const values: Record<string, number | null> = { invocations: 900, latency: 12_500, rewind_errorRate: 0.004 };
    const server = await cloudWatchStandIn((query) => values[query.Id] ?? null);
    closers.push(server.close);
    const slow = await target();
    await saveMetricSource(
      db,
      { actor: systemActor, targetId: slow.id, source: bedrock(server.url) },
      { now: new Date(0), encryptionKey },
    );

    const { verdict, decision } = await evaluate(slow.id, T);
    expect(verdict).toMatchObject({
      status: "BREACH",
      severity: "EMERGENCY",
      observed: { requestCount: 900, p95Ms: 12_500, errorRate: 0.004 },
    });
    expect(verdict.explanation).toMatch(/\(pulled from CloudWatch\)$/);
    expect(decision.kind).toBe("EMERGENCY_ROLLBACK");

    const [request] = server.requests;
    expect(request?.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/\\d{8}/us-east-1/monitoring/aws4_request`),
    );
    expect(JSON.stringify(request?.headers)).not.toContain(SECRET);
    const body = JSON.parse(request?.body ?? "{}") as { MetricDataQueries: unknown[] };
    // Five whole minutes ending at the last whole minute before the window's end.
    expect(body).toMatchObject({
      StartTime: (T - 25_000) / 1000 - 300,
      EndTime: (T - 25_000) / 1000,
      ScanBy: "TimestampDescending",
    });
    expect(body.MetricDataQueries).toContainEqual({
      Id: "rewind_errorRate",
      Expression: "FILL(errors, 0) / invocations",
      Period: 300,
      Label: "errorRate",
      ReturnData: true,
    });
  });

  it("shows CloudWatch's own error, and a metric without datapoints, as INSUFFICIENT_DATA", async () => {
    const T = Date.UTC(2026, 11, 6, 17);
    const denied = await cloudWatchStandIn(() => 1, {
      error: { code: "InvalidParameterValue", message: "The value p95x for parameter Stat is not valid." },
    });
    const quiet = await cloudWatchStandIn((query) => (query.Id === "latency" ? null : 100));
    closers.push(denied.close, quiet.close);
    const refused = await target();
    const empty = await target();
    await saveMetricSource(
      db,
      { actor: systemActor, targetId: refused.id, source: bedrock(denied.url) },
      { now: new Date(0), encryptionKey },
    );
    await saveMetricSource(
      db,
      { actor: systemActor, targetId: empty.id, source: bedrock(quiet.url) },
      { now: new Date(0), encryptionKey },
    );
    const refusedVerdict = (await evaluate(refused.id, T)).verdict;
    expect(refusedVerdict.status).toBe("INSUFFICIENT_DATA");
    expect(refusedVerdict.explanation).toBe(
      "Could not pull the readings from CloudWatch: InvalidParameterValueException: The value p95x for parameter Stat is not valid.",
    );
    expect((await evaluate(empty.id, T)).verdict.explanation).toBe(
      "Could not pull the readings from CloudWatch: P95 latency (latency): no datapoints in the window",
    );
  });
});

describe("the pass", () => {
  it("keeps each target's pull to itself: a failing source, a breaching one, and one on its buckets", async () => {
    // A clock in 2001, where no other test keeps data: the pass evaluates every monitored target.
    const T = Date.UTC(2001, 0, 1, 12);
    const server = await prometheus({ requests: "500", slow: "9000", broken: { status: 500, body: "boom" } });
    const failing = await target();
    const breaching = await target();
    const onBuckets = await target();
    const disabled = await target();
    await pullFromPrometheus(failing.id, server.url, { requestCount: "requests", p95Ms: "broken" });
    await pullFromPrometheus(breaching.id, server.url, { requestCount: "requests", p95Ms: "slow" });
    await pullFromPrometheus(disabled.id, server.url, { requestCount: "requests", p95Ms: "slow" });
    await db.metricSource.update({ where: { targetId: disabled.id }, data: { enabled: false } });
    await recordMetrics(
      db,
      { targetId: onBuckets.id, events: traffic(T - 5 * MINUTE, 300, { latencyMs: 500 }) },
      { bucketWidthMs: BUCKET_MS, now: new Date(T) },
    );
    await recordMetrics(
      db,
      { targetId: disabled.id, events: traffic(T - 5 * MINUTE, 300, { latencyMs: 500 }) },
      { bucketWidthMs: BUCKET_MS, now: new Date(T) },
    );

    const outcomes = await evaluateMonitoredTargets(db, { now: new Date(T), bucketWidthMs: BUCKET_MS, encryptionKey });
    const statusOf = (id: string) => {
      const outcome = outcomes.find((candidate) => candidate.target.id === id);
      return outcome && "result" in outcome ? outcome.result.verdict.status : outcome;
    };
    expect(statusOf(failing.id)).toBe("INSUFFICIENT_DATA");
    expect(statusOf(breaching.id)).toBe("VIOLATION");
    expect(statusOf(onBuckets.id)).toBe("HEALTHY");
    // A source switched off: the target is judged on its buckets again, and nothing is pulled for it.
    expect(statusOf(disabled.id)).toBe("HEALTHY");
    expect(await db.metricSource.findUnique({ where: { targetId: disabled.id } })).toMatchObject({
      lastPulledAt: null,
    });
    expect(await db.metricSource.findUnique({ where: { targetId: failing.id } })).toMatchObject({
      lastError: "P95 latency: HTTP 500: boom",
    });
  });

  it("cuts the pulled window at a configuration change, as for stored buckets", async () => {
    const T = Date.UTC(2026, 11, 6, 18);
    const server = await prometheus({ "requests[120s]": "80", "requests[0s]": "0" });
    const changed = await target();
    await pullFromPrometheus(changed.id, server.url, { requestCount: "requests[$window]" });
    // Changed 150 s ago; the default pickup grace of 30 s leaves 120 s of the new configuration.
    await db.target.update({ where: { id: changed.id }, data: { configChangedAt: new Date(T - 150_000) } });
    const { verdict } = await evaluate(changed.id, T);
    expect(verdict).toMatchObject({ status: "HEALTHY", observed: { requestCount: 80, windowSeconds: 120 } });
    expect(verdict.explanation).toMatch(/over the last 2 min since the configuration changed: 80 requests/);
    // Changed a moment ago: nothing to ask yet, no request sent.
    const asked = server.requests.length;
    await db.target.update({ where: { id: changed.id }, data: { configChangedAt: new Date(T + MINUTE - 5_000) } });
    const fresh = await evaluate(changed.id, T + MINUTE);
    expect(fresh.verdict).toMatchObject({
      status: "INSUFFICIENT_DATA",
      observed: { requestCount: 0, windowSeconds: 0 },
    });
    expect(server.requests.length).toBe(asked);
  });
});
