// Prometheus' HTTP API, read without a client library: the instant query's URL for a window, and its answer
// (https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries) made into one number or a
// PullFailure that says what to change. Thanos, Mimir and VictoriaMetrics answer the same shape.
import { PullFailure, windowSeconds, type PullWindow } from "./readings";

/** `GET <base>/api/v1/query?query=…&time=<end of the window, in seconds>`, `$window` made the window's length. */
export function prometheusQueryUrl(baseUrl: string, query: string, window: Pick<PullWindow, "from" | "to">): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, "")}/api/v1/query`);
  url.searchParams.set("query", query.replaceAll("$window", `${windowSeconds(window)}s`));
  url.searchParams.set("time", String(window.to / 1000));
  return url.toString();
}

const MAX_SHOWN = 300;

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_SHOWN ? `${flat.slice(0, MAX_SHOWN)}…` : flat;
}

/** Prometheus writes sample values as strings: decimal, exponent, "NaN", "+Inf", "-Inf". */
export function sampleValue(text: unknown): number {
  if (typeof text !== "string")
    throw new PullFailure(`a sample value is not a string: ${shorten(JSON.stringify(text) ?? "")}`);
  if (text === "NaN") return Number.NaN;
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  if (text.trim() === "" || Number.isNaN(value))
    throw new PullFailure(`a sample value is not a number: “${shorten(text)}”`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function seriesName(metric: unknown): string {
  if (!isRecord(metric)) return "{}";
  const labels = Object.entries(metric).map(([name, value]) => `${name}="${String(value)}"`);
  return `{${labels.join(", ")}}`;
}

/**
 * The one value of an instant query's answer. Failures: an HTTP status other than 2xx (with Prometheus'
 * `errorType: error` when it sent one), a body that is not Prometheus' JSON, `status: "error"`, an empty vector,
 * a vector of several series (the query must aggregate them to one), a range vector or a string.
 */
export function readPrometheusAnswer(httpStatus: number, body: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new PullFailure(
      httpStatus >= 200 && httpStatus < 300
        ? `the answer is not JSON (is the URL Prometheus' base URL?): ${shorten(body)}`
        : `HTTP ${httpStatus}: ${shorten(body) || "no body"}`,
    );
  }
  if (!isRecord(parsed)) throw new PullFailure(`the answer is not a Prometheus API response: ${shorten(body)}`);
  if (parsed.status === "error" || httpStatus < 200 || httpStatus >= 300) {
    const kind = typeof parsed.errorType === "string" ? ` (${parsed.errorType})` : "";
    const message = typeof parsed.error === "string" ? parsed.error : shorten(body);
    throw new PullFailure(`HTTP ${httpStatus}${kind}: ${message}`);
  }
  if (parsed.status !== "success" || !isRecord(parsed.data))
    throw new PullFailure(`the answer is not a Prometheus API response: ${shorten(body)}`);
  const { resultType, result } = parsed.data;
  if (resultType === "scalar") {
    if (!Array.isArray(result) || result.length !== 2) throw new PullFailure("a scalar answer without [time, value]");
    return sampleValue(result[1]);
  }
  if (resultType !== "vector")
    throw new PullFailure(
      resultType === "matrix"
        ? "the query returned a range vector: Rewind needs one number (wrap it, e.g. sum(rate(x[$window])))"
        : `the query returned a ${String(resultType)}, not a number`,
    );
  if (!Array.isArray(result)) throw new PullFailure("a vector answer without a result list");
  if (result.length === 0) throw new PullFailure("the query returned no series (empty result)");
  if (result.length > 1) {
    const names = result.slice(0, 3).map((series) => seriesName(isRecord(series) ? series.metric : undefined));
    throw new PullFailure(
      `the query returned ${result.length} series (${names.join(", ")}${result.length > 3 ? ", …" : ""}): ` +
        "aggregate them to one, e.g. with sum(…)",
    );
  }
  const [series] = result as unknown[];
  if (!isRecord(series) || !Array.isArray(series.value) || series.value.length !== 2)
    throw new PullFailure("a vector sample without [time, value]");
  return sampleValue(series.value[1]);
}
