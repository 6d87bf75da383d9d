// CloudWatch metrics through GetMetricData: the one request that reads every configured metric over the judged
// window (one datapoint each: the period is the window), and its answer made into a number per reading. The
// shapes are those of @aws-sdk/client-cloudwatch's GetMetricDataCommand input and output, written out here so
// the domain stays free of the SDK.
import { EXPRESSION_ID_PREFIX, pulledKeyLabel, pulledKeys, type CloudWatchConfig, type PulledKey } from "./config";
import { PullFailure, toPulledReadings, type PulledReadings, type PullWindow } from "./readings";

const MINUTE_MS = 60_000;

export interface GetMetricDataInput {
  StartTime: Date;
  EndTime: Date;
  ScanBy: "TimestampDescending";
  MetricDataQueries: {
    Id: string;
    MetricStat?: {
      Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };
      Period: number;
      Stat: string;
    };
    Expression?: string;
    Period?: number;
    Label?: string;
    ReturnData: boolean;
  }[];
}

export interface GetMetricDataOutput {
  MetricDataResults?: {
    Id?: string;
    Timestamps?: Date[];
    Values?: number[];
    StatusCode?: string;
    Messages?: { Code?: string; Value?: string }[];
  }[];
  Messages?: { Code?: string; Value?: string }[];
}

/**
 * The whole minutes the request covers. CloudWatch's standard metrics (AWS/Bedrock among them) have one-minute
 * resolution, so the range ends at the last whole minute and lasts the window's length in whole minutes (at
 * least one); a window cut at a configuration change covers only the whole minutes after it (none yet: null,
 * nothing to judge).
 */
export function cloudWatchRange(window: PullWindow): { start: number; end: number; periodSeconds: number } | null {
  const end = Math.floor(window.to / MINUTE_MS) * MINUTE_MS;
  const periodMinutes = window.sinceChange
    ? Math.floor((end - window.from) / MINUTE_MS)
    : Math.max(1, Math.round((window.to - window.from) / MINUTE_MS));
  if (periodMinutes <= 0) return null;
  return { start: end - periodMinutes * MINUTE_MS, end, periodSeconds: periodMinutes * 60 };
}

/** The query id whose result is a reading: the metric's own when the reading is a bare metric id. */
function resultId(config: CloudWatchConfig, key: PulledKey): string | null {
  const expression = config.queries[key];
  if (expression === undefined) return null;
  return config.metrics.some((metric) => metric.id === expression) ? expression : `${EXPRESSION_ID_PREFIX}${key}`;
}

export function getMetricDataInput(
  config: CloudWatchConfig,
  range: NonNullable<ReturnType<typeof cloudWatchRange>>,
): GetMetricDataInput {
  const returned = new Set(pulledKeys.map((key) => resultId(config, key)));
  return {
    StartTime: new Date(range.start),
    EndTime: new Date(range.end),
    ScanBy: "TimestampDescending",
    MetricDataQueries: [
      ...config.metrics.map((metric) => ({
        Id: metric.id,
        MetricStat: {
          Metric: {
            Namespace: metric.namespace,
            MetricName: metric.metricName,
            Dimensions: metric.dimensions.map(({ name, value }) => ({ Name: name, Value: value })),
          },
          Period: range.periodSeconds,
          Stat: metric.stat,
        },
        // Only readings come back; metrics that feed expressions alone stay in CloudWatch.
        ReturnData: returned.has(metric.id),
      })),
      ...pulledKeys.flatMap((key) => {
        const id = resultId(config, key);
        const expression = config.queries[key];
        if (id === null || expression === undefined || !id.startsWith(EXPRESSION_ID_PREFIX)) return [];
        return [{ Id: id, Expression: expression, Period: range.periodSeconds, Label: key, ReturnData: true }];
      }),
    ],
  };
}

function messagesOf(messages: { Code?: string; Value?: string }[] | undefined): string {
  return (messages ?? []).map((message) => [message.Code, message.Value].filter(Boolean).join(": ")).join("; ");
}

/**
 * The readings of a GetMetricData answer: per reading, the datapoint of the requested period (the newest when
 * CloudWatch split it). A reading without its result, with a failed status or without datapoints is a failure
 * naming it: CloudWatch publishes no datapoint for a period without data (an error metric in a quiet window),
 * which metric math's FILL(m, 0) turns into 0.
 */
export function readGetMetricData(
  config: CloudWatchConfig,
  range: NonNullable<ReturnType<typeof cloudWatchRange>>,
  output: GetMetricDataOutput,
): PulledReadings {
  const results = new Map((output.MetricDataResults ?? []).map((result) => [result.Id, result]));
  const values: Partial<Record<PulledKey, number>> = {};
  for (const key of pulledKeys) {
    const id = resultId(config, key);
    if (id === null) continue;
    const label = `${pulledKeyLabel(key)} (${config.queries[key]})`;
    const result = results.get(id);
    const notes = messagesOf(result?.Messages) || messagesOf(output.Messages);
    if (!result) throw new PullFailure(`${label}: CloudWatch returned no result${notes ? `: ${notes}` : ""}`);
    if (result.StatusCode === "InternalError" || result.StatusCode === "Forbidden")
      throw new PullFailure(`${label}: ${result.StatusCode}${notes ? `: ${notes}` : ""}`);
    const timestamps = result.Timestamps ?? [];
    const datapoints = result.Values ?? [];
    if (datapoints.length === 0)
      throw new PullFailure(`${label}: no datapoints in the window${notes ? ` (${notes})` : ""}`);
    const at = timestamps.findIndex((timestamp) => timestamp.getTime() === range.start);
    values[key] = datapoints[at === -1 ? 0 : at];
  }
  return toPulledReadings(values);
}
