// Pulled metric sources, the pure parts: config schemas, Prometheus' answers, GetMetricData's request and
// answer, readings checked and made into verdicts by the same rules as stored buckets.
import { describe, expect, it } from "vitest";
import { fieldIssues } from "@/server/domain/errors";
import { defaultPolicy, policySchema } from "@/server/domain/policy";
import {
  cloudWatchRange,
  getMetricDataInput,
  readGetMetricData,
  type GetMetricDataOutput,
} from "@/server/domain/pulled-sources/cloudwatch";
import {
  cloudWatchConfigSchema,
  expressionIds,
  metricSourceInputSchema,
  prometheusConfigSchema,
  pulledKeys,
  type CloudWatchConfig,
} from "@/server/domain/pulled-sources/config";
import { prometheusQueryUrl, readPrometheusAnswer, sampleValue } from "@/server/domain/pulled-sources/prometheus";
import {
  PullFailure,
  pulledVerdict,
  pulledWindow,
  toPulledReadings,
  type PullWindow,
} from "@/server/domain/pulled-sources/readings";
import { slos } from "@/server/domain/slo";

const END = Date.UTC(2026, 11, 6, 12, 0, 0);
const window: PullWindow = { from: END - 300_000, to: END, sinceChange: false };

function issuesOf(schema: { safeParse: (input: unknown) => { success: boolean; error?: unknown } }, input: unknown) {
  const result = schema.safeParse(input);
  expect(result.success).toBe(false);
  return fieldIssues(result.error as Parameters<typeof fieldIssues>[0]);
}

describe("config schemas", () => {
  it("has one query field per reading of the catalogue, the request count required", () => {
    expect(pulledKeys).toEqual(["requestCount", ...slos.map((slo) => slo.reading)]);
    const parsed = prometheusConfigSchema.parse({ url: "http://prom:9090", queries: { requestCount: "sum(x)" } });
    expect(parsed).toEqual({ url: "http://prom:9090", timeoutSeconds: 5, queries: { requestCount: "sum(x)" } });
    expect(issuesOf(prometheusConfigSchema, { url: "http://prom:9090", queries: {} })).toHaveProperty(
      "queries.requestCount",
    );
  });

  it("refuses URLs that are not http(s), carry credentials or a query, and timeouts out of range", () => {
    const issues = (url: string, timeoutSeconds?: number) =>
      issuesOf(prometheusConfigSchema, { url, timeoutSeconds, queries: { requestCount: "x" } });
    expect(issues("ftp://prom")).toHaveProperty("url");
    expect(issues("not a url")).toHaveProperty("url");
    expect(issues("https://user:pw@prom")["url"]).toMatch(/credentials/);
    expect(issues("https://prom/?token=1")["url"]).toMatch(/query/);
    expect(issues("https://prom", 31)["timeoutSeconds"]).toMatch(/at most 30/);
    expect(issues("https://prom", 0.5)).toHaveProperty("timeoutSeconds");
  });

  it("checks CloudWatch ids, statistics and expressions against the metrics, by path", () => {
    const metric = { namespace: "AWS/Bedrock", metricName: "Invocations", stat: "Sum" };
    const issues = issuesOf(cloudWatchConfigSchema, {
      region: "us-east-1",
      metrics: [
        { ...metric, id: "invocations" },
        { ...metric, id: "invocations" },
        { ...metric, id: "Bad", stat: "Median" },
        { ...metric, id: "rewind_x" },
      ],
      queries: { requestCount: "invocations", errorRate: "FILL(errors, 0) / invocations" },
    });
    expect(issues["metrics.1.id"]).toBe("Each metric needs its own id");
    expect(issues["metrics.2.id"]).toMatch(/lowercase letter/);
    expect(issues["metrics.2.stat"]).toMatch(/p95/);
    expect(issues["metrics.3.id"]).toMatch(/Rewind's own/);
    expect(issues["queries.errorRate"]).toMatch(/“errors” is no metric's id/);
    expect(issues).not.toHaveProperty("queries.requestCount");
    expect(issuesOf(cloudWatchConfigSchema, { region: "Mars", metrics: [], queries: {} })).toMatchObject({
      region: expect.stringMatching(/us-east-1/) as string,
      metrics: "Add the metrics the readings read",
      "queries.requestCount": expect.stringMatching(/minimum of requests/) as string,
    });
  });

  it("accepts extended statistics and finds the ids of metric math outside quotes", () => {
    for (const stat of ["p95", "p99.9", "tm90", "tc(10%:90%)", "IQM", "SampleCount"]) {
      expect(cloudWatchConfigSchema.shape.metrics.element.shape.stat.safeParse(stat).success).toBe(true);
    }
    expect(expressionIds(`FILL(errors, 0) / invocations * 1e3 + SEARCH('{AWS/Bedrock} latency', 'Sum')`)).toEqual([
      "errors",
      "invocations",
    ]);
  });

  it("takes a secret beside the config per kind, and refuses an unknown kind", () => {
    const prometheus = metricSourceInputSchema.parse({
      kind: "PROMETHEUS",
      config: { url: "https://prom", queries: { requestCount: "x" } },
      bearerToken: " token ",
    });
    expect(prometheus).toMatchObject({ enabled: true, bearerToken: "token" });
    expect(issuesOf(metricSourceInputSchema, { kind: "GRAPHITE" })).toEqual({
      kind: "kind must be PROMETHEUS or CLOUDWATCH",
    });
    expect(
      issuesOf(metricSourceInputSchema, {
        kind: "CLOUDWATCH",
        config: {
          region: "us-east-1",
          metrics: [{ id: "n", namespace: "A", metricName: "B", stat: "Sum" }],
          queries: { requestCount: "n" },
        },
        secretAccessKey: "short",
      }),
    ).toHaveProperty("secretAccessKey");
  });
});

describe("Prometheus answers", () => {
  const vector = (...values: string[]) =>
    JSON.stringify({
      status: "success",
      data: {
        resultType: "vector",
        result: values.map((value, i) => ({ metric: { job: `j${i}` }, value: [END / 1000, value] })),
      },
    });

  it("builds the instant query at the window's end with $window as its length", () => {
    const url = new URL(prometheusQueryUrl("http://prom:9090/prefix/", "sum(increase(x_total[$window]))", window));
    expect(url.pathname).toBe("/prefix/api/v1/query");
    expect(url.searchParams.get("query")).toBe("sum(increase(x_total[300s]))");
    expect(url.searchParams.get("time")).toBe(String(END / 1000));
  });

  it("reads one vector sample or a scalar, NaN and ±Inf included", () => {
    expect(readPrometheusAnswer(200, vector("0.0123"))).toBe(0.0123);
    expect(readPrometheusAnswer(200, vector("1e3"))).toBe(1000);
    expect(
      readPrometheusAnswer(
        200,
        JSON.stringify({ status: "success", data: { resultType: "scalar", result: [1, "42"] } }),
      ),
    ).toBe(42);
    expect(readPrometheusAnswer(200, vector("NaN"))).toBeNaN();
    expect(readPrometheusAnswer(200, vector("+Inf"))).toBe(Number.POSITIVE_INFINITY);
    expect(sampleValue("-Inf")).toBe(Number.NEGATIVE_INFINITY);
    expect(() => sampleValue("twelve")).toThrow(/not a number/);
  });

  it("says what went wrong: errors, empty results, several series, range vectors, not JSON", () => {
    const failure = (status: number, body: string) => {
      try {
        readPrometheusAnswer(status, body);
      } catch (error) {
        expect(error).toBeInstanceOf(PullFailure);
        return (error as Error).message;
      }
      throw new Error("no failure");
    };
    expect(
      failure(
        400,
        JSON.stringify({ status: "error", errorType: "bad_data", error: 'parse error at char 4: unexpected "}"' }),
      ),
    ).toBe('HTTP 400 (bad_data): parse error at char 4: unexpected "}"');
    expect(failure(503, JSON.stringify({ status: "error", errorType: "timeout", error: "query timed out" }))).toBe(
      "HTTP 503 (timeout): query timed out",
    );
    expect(failure(502, "<html>Bad gateway</html>")).toBe("HTTP 502: <html>Bad gateway</html>");
    expect(failure(200, "<html>login</html>")).toMatch(/not JSON/);
    expect(failure(200, vector())).toBe("the query returned no series (empty result)");
    expect(failure(200, vector("1", "2"))).toMatch(/returned 2 series \({job="j0"}, {job="j1"}\): aggregate/);
    expect(failure(200, JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } }))).toMatch(
      /range vector/,
    );
    expect(failure(200, JSON.stringify({ data: {} }))).toMatch(/not a Prometheus API response/);
  });
});

describe("readings", () => {
  it("rounds the request count, keeps SLO readings, reads NaN as no reading", () => {
    expect(toPulledReadings({ requestCount: 120.4, errorRate: 0.02, p95Ms: Number.NaN })).toEqual({
      requestCount: 120,
      readings: { errorRate: 0.02, p95Ms: null, costPerRequestUsd: null, ttftP95Ms: null },
    });
  });

  it("refuses what a threshold cannot judge, naming the reading", () => {
    expect(() => toPulledReadings({ requestCount: Number.NaN })).toThrow("Request count: the query answered NaN");
    expect(() => toPulledReadings({ requestCount: 100, p95Ms: Number.POSITIVE_INFINITY })).toThrow(
      /P95 latency: the query answered \+Inf \(a quantile beyond/,
    );
    expect(() => toPulledReadings({ requestCount: 100, errorRate: 5.2 })).toThrow(/fraction 0–1/);
    expect(() => toPulledReadings({ requestCount: -1 })).toThrow(/below 0/);
    expect(() => toPulledReadings({ errorRate: 0.1 })).toThrow(/Request count/);
  });

  it("judges a window of readings like a window of buckets: a breach over the emergency multiplier", () => {
    const readings = toPulledReadings({ requestCount: 400, errorRate: 0.3, p95Ms: 900 });
    expect(pulledWindow(readings, window)).toMatchObject({ requestCount: 400, errorCount: 120, errorRate: 0.3 });
    const verdict = pulledVerdict(
      { kind: "PROMETHEUS", window, readings },
      { policy: defaultPolicy, recentVerdicts: [] },
    );
    expect(verdict).toMatchObject({ status: "BREACH", severity: "EMERGENCY" });
    expect(verdict.explanation).toMatch(
      /^Emergency: error rate 30% > 15% .* over the last 5 min \(pulled from Prometheus\)$/,
    );
  });

  it("keeps the streak and the minimum of requests", () => {
    const policy = policySchema.parse({ consecutiveViolations: 2, minRequests: 100 });
    const violating = toPulledReadings({ requestCount: 400, p95Ms: 9_000 });
    const first = pulledVerdict({ kind: "CLOUDWATCH", window, readings: violating }, { policy, recentVerdicts: [] });
    expect(first).toMatchObject({ status: "VIOLATION", consecutiveCount: 1 });
    const second = pulledVerdict(
      { kind: "CLOUDWATCH", window, readings: violating },
      { policy, recentVerdicts: [{ status: "VIOLATION" }] },
    );
    expect(second).toMatchObject({ status: "BREACH", severity: "CRITICAL", consecutiveCount: 2 });
    const thin = pulledVerdict(
      { kind: "CLOUDWATCH", window, readings: toPulledReadings({ requestCount: 99, p95Ms: 90_000 }) },
      { policy, recentVerdicts: [] },
    );
    expect(thin.status).toBe("INSUFFICIENT_DATA");
    expect(thin.explanation).toMatch(/\(pulled from CloudWatch\)$/);
  });

  it("makes a failed pull INSUFFICIENT_DATA that says why", () => {
    const verdict = pulledVerdict(
      { kind: "PROMETHEUS", window, error: "no answer within 5 s (the source's timeout)" },
      { policy: defaultPolicy, recentVerdicts: [{ status: "VIOLATION" }] },
    );
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
      explanation: "Could not pull the readings from Prometheus: no answer within 5 s (the source's timeout)",
    });
  });
});

describe("CloudWatch GetMetricData", () => {
  const config: CloudWatchConfig = cloudWatchConfigSchema.parse({
    region: "us-east-1",
    metrics: [
      {
        id: "invocations",
        namespace: "AWS/Bedrock",
        metricName: "Invocations",
        stat: "Sum",
        dimensions: [{ name: "ModelId", value: "m" }],
      },
      { id: "errors", namespace: "AWS/Bedrock", metricName: "InvocationServerErrors", stat: "Sum" },
      { id: "latency", namespace: "AWS/Bedrock", metricName: "InvocationLatency", stat: "p95" },
    ],
    queries: { requestCount: "invocations", errorRate: "FILL(errors, 0) / invocations", p95Ms: "latency" },
  });

  it("reads whole minutes, ending at the last whole minute; a cut window only after the change", () => {
    const to = END + 25_000;
    expect(cloudWatchRange({ from: to - 300_000, to, sinceChange: false })).toEqual({
      start: END - 300_000,
      end: END,
      periodSeconds: 300,
    });
    expect(cloudWatchRange({ from: to - 30_000, to, sinceChange: false })).toMatchObject({ periodSeconds: 60 });
    expect(cloudWatchRange({ from: END - 150_000, to, sinceChange: true })).toMatchObject({ periodSeconds: 120 });
    expect(cloudWatchRange({ from: END - 30_000, to, sinceChange: true })).toBeNull();
  });

  it("asks for every metric over one period; only readings come back", () => {
    const range = cloudWatchRange(window)!;
    const input = getMetricDataInput(config, range);
    expect(input).toMatchObject({
      StartTime: new Date(END - 300_000),
      EndTime: new Date(END),
      ScanBy: "TimestampDescending",
    });
    expect(input.MetricDataQueries).toEqual([
      {
        Id: "invocations",
        MetricStat: {
          Metric: {
            Namespace: "AWS/Bedrock",
            MetricName: "Invocations",
            Dimensions: [{ Name: "ModelId", Value: "m" }],
          },
          Period: 300,
          Stat: "Sum",
        },
        ReturnData: true,
      },
      expect.objectContaining({ Id: "errors", ReturnData: false }),
      expect.objectContaining({ Id: "latency", ReturnData: true }),
      {
        Id: "rewind_errorRate",
        Expression: "FILL(errors, 0) / invocations",
        Period: 300,
        Label: "errorRate",
        ReturnData: true,
      },
    ]);
  });

  it("reads the period's datapoint of each reading, and names a reading without one", () => {
    const range = cloudWatchRange(window)!;
    const result = (Id: string, value: number | null) => ({
      Id,
      StatusCode: "Complete",
      Timestamps: value === null ? [] : [new Date(range.start)],
      Values: value === null ? [] : [value],
    });
    const output: GetMetricDataOutput = {
      MetricDataResults: [result("invocations", 500), result("latency", 812.5), result("rewind_errorRate", 0.01)],
    };
    expect(readGetMetricData(config, range, output)).toEqual({
      requestCount: 500,
      readings: { errorRate: 0.01, p95Ms: 812.5, costPerRequestUsd: null, ttftP95Ms: null },
    });
    expect(() =>
      readGetMetricData(config, range, {
        MetricDataResults: [result("invocations", 500), result("rewind_errorRate", 0), result("latency", null)],
      }),
    ).toThrow("P95 latency (latency): no datapoints in the window");
    expect(() =>
      readGetMetricData(config, range, {
        MetricDataResults: [
          { ...result("invocations", 5), StatusCode: "Forbidden", Messages: [{ Code: "Forbidden", Value: "denied" }] },
        ],
      }),
    ).toThrow("Request count (invocations): Forbidden: Forbidden: denied");
  });
});
