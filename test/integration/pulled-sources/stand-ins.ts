// Local HTTP servers standing in for Prometheus and CloudWatch, answering in their real wire formats:
// Prometheus' instant-query JSON (vector, scalar, status:error), and CloudWatch's GetMetricData in the protocol
// the installed @aws-sdk/client-cloudwatch speaks (awsJson1_0, query-compatible: X-Amz-Target
// GraniteServiceVersion20100801.GetMetricData, epoch-second timestamps, errors as __type with x-amzn-query-error).
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface StandInRequest {
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a Prometheus query answers: a number as Prometheus writes it, or a whole answer. */
export type PromAnswer =
  string | { status: number; body: unknown } | { hang: true } | { vector: string[] } | { scalar: string };

async function listen(
  handle: (
    request: StandInRequest,
    reply: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ) => void,
) {
  const requests: StandInRequest[] = [];
  const server: Server = createServer((incoming, response) => {
    let body = "";
    incoming.on("data", (chunk: Buffer) => (body += chunk.toString()));
    incoming.on("end", () => {
      const request = { url: new URL(incoming.url ?? "/", "http://stand-in"), headers: incoming.headers, body };
      requests.push(request);
      handle(request, (status, answer, headers = {}) => {
        response.writeHead(status, { "content-type": "application/json", ...headers });
        response.end(typeof answer === "string" ? answer : JSON.stringify(answer));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Prometheus: `answers` maps a query (after `$window` was replaced) to its answer; an unknown query is
 * Prometheus' bad_data error. The answer's sample time is the request's `time`.
 */
export function prometheusStandIn(answers: (query: string) => PromAnswer | undefined) {
  return listen((request, reply) => {
    if (request.url.pathname !== "/api/v1/query") return reply(404, "404 page not found\n");
    const query = request.url.searchParams.get("query") ?? "";
    const time = Number(request.url.searchParams.get("time"));
    const answer = answers(query);
    if (answer === undefined)
      return reply(400, { status: "error", errorType: "bad_data", error: `1:1: parse error: unknown query ${query}` });
    if (typeof answer === "string") return reply(200, vectorOf([answer], time));
    if ("hang" in answer) return;
    if ("vector" in answer) return reply(200, vectorOf(answer.vector, time));
    if ("scalar" in answer)
      return reply(200, { status: "success", data: { resultType: "scalar", result: [time, answer.scalar] } });
    return reply(answer.status, answer.body);
  });
}

function vectorOf(values: string[], time: number) {
  return {
    status: "success",
    data: {
      resultType: "vector",
      result: values.map((value, i) => ({ metric: { instance: `litellm-${i}:4000` }, value: [time, value] })),
    },
  };
}

interface MetricDataQuery {
  Id: string;
  Expression?: string;
  MetricStat?: { Metric: { Namespace: string; MetricName: string }; Period: number; Stat: string };
  ReturnData?: boolean;
}

/**
 * CloudWatch: `values` gives each returned query's value (by its Id; an expression's Id is rewind_<reading>),
 * null for a query without datapoints; `error` answers every request with that CloudWatch error instead.
 */
export function cloudWatchStandIn(
  values: (query: MetricDataQuery) => number | null,
  options: { error?: { code: string; message: string } } = {},
) {
  return listen((request, reply) => {
    const target = request.headers["x-amz-target"];
    if (
      target !== "GraniteServiceVersion20100801.GetMetricData" ||
      request.headers["content-type"] !== "application/x-amz-json-1.0"
    ) {
      return reply(400, { __type: "com.amazonaws.cloudwatch#InvalidAction", message: `Unknown ${String(target)}` });
    }
    if (options.error) {
      return reply(
        400,
        { __type: `com.amazonaws.cloudwatch#${options.error.code}Exception`, message: options.error.message },
        { "x-amzn-query-error": `${options.error.code};Sender`, "content-type": "application/x-amz-json-1.0" },
      );
    }
    const input = JSON.parse(request.body) as { StartTime: number; MetricDataQueries: MetricDataQuery[] };
    reply(
      200,
      {
        MetricDataResults: input.MetricDataQueries.filter((query) => query.ReturnData !== false).map((query) => {
          const value = values(query);
          return {
            Id: query.Id,
            Label: query.MetricStat?.Metric.MetricName ?? query.Id,
            Timestamps: value === null ? [] : [input.StartTime],
            Values: value === null ? [] : [value],
            StatusCode: "Complete",
          };
        }),
        Messages: [],
      },
      { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "00000000-0000-4000-8000-000000000000" },
    );
  });
}
