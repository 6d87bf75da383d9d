// Delta OTLP metric points folded into one window per target, bucket, provider, model and snapshot version.
import { bucketStart } from "../metrics";
import { LatencySketch } from "../sketch";
import { GENAI_ATTRIBUTES } from "./genai-spans";
import { wholeNumberOf, type IntakeWindow, type MappedBatch, type RefusedItem } from "./intake-items";
import { pointToSketch } from "./otlp-histograms";
import { firstPresent, type MetricPoint, type MetricPoints, type PointValue } from "./otlp-metrics";

const NANOS_PER_MS = 1_000_000n;

interface Group {
  target: string | null;
  start: number;
  provider: string | undefined;
  model: string | undefined;
  snapshotVersion: unknown;
  snapshotVersionSource: string | undefined;
  points: MetricPoint[];
}

function countOf(value: PointValue): number {
  return value.kind === "number" ? 0 : value.count;
}

/** Sum of a histogram, value of a sum, in Rewind's unit. */
function totalOf(point: MetricPoint): number {
  const total = point.value.kind === "number" ? point.value.value : (point.value.sum ?? 0);
  return total * point.unitFactor;
}

function windowOf(group: Group, refused: RefusedItem[]): IntakeWindow | null {
  let latency = LatencySketch.empty();
  let ttft = LatencySketch.empty();
  const window = { requestCount: 0, errorCount: 0, costUsd: 0, inputTokens: 0, outputTokens: 0 };
  const sources: IntakeWindow["sources"] = { start: `${group.points[0]?.path ?? ""}.timeUnixNano` };
  const ttftPoints: MetricPoint[] = [];
  let used = 0;
  for (const point of group.points) {
    if (point.role === "duration") {
      const count = countOf(point.value);
      window.requestCount += count;
      if (firstPresent(point.attributes, GENAI_ATTRIBUTES.errorType)) window.errorCount += count;
      latency = LatencySketch.merge([latency, pointToSketch(point.value, point.unitFactor)]);
      sources.requestCount ??= point.path;
      sources.sketch ??= point.path;
      used++;
    } else if (point.role === "ttft") {
      ttftPoints.push(point);
    } else if (point.role === "tokens") {
      const field = point.attributes.get("gen_ai.token.type") === "input" ? "inputTokens" : "outputTokens";
      window[field] += Math.round(totalOf(point));
      sources[field] ??= `${point.path}.sum`;
      used++;
    } else {
      window.costUsd += totalOf(point);
      sources.costUsd ??= point.path;
      used++;
    }
  }
  const ttftCount = ttftPoints.reduce((total, point) => total + countOf(point.value), 0);
  if (ttftCount > window.requestCount) {
    // A bucket's TTFT values are some of its requests' (the SLO reads them so): without those requests they cannot
    // be stored.
    const reason = `${ttftCount} times to first token but ${window.requestCount} requests (gen_ai.client.operation.duration) in this bucket for this target, provider and model: send both metrics`;
    for (const point of ttftPoints) refused.push({ path: point.path, reason });
  } else if (ttftPoints.length > 0) {
    ttft = LatencySketch.merge(ttftPoints.map((point) => pointToSketch(point.value, point.unitFactor)));
    sources.ttftSketch = ttftPoints[0]?.path;
    used += ttftPoints.length;
  }
  if (used === 0) return null;
  return {
    path: group.points[0]?.path ?? "",
    target: group.target,
    points: used,
    sources: { ...sources, ...(group.snapshotVersionSource && { snapshotVersion: group.snapshotVersionSource }) },
    window: {
      start: group.start,
      ...(group.provider !== undefined && { provider: group.provider }),
      ...(group.model !== undefined && { model: group.model }),
      ...window,
      sketch: latency.toData(),
      ...(ttft.count > 0 && { ttftSketch: ttft.toData() }),
      ...(group.snapshotVersion !== undefined && { snapshotVersion: group.snapshotVersion }),
    },
  };
}

/**
 * Delta points as windows (checked later as /ingest checks windows): one per target, bucket, provider, model and
 * snapshot version. A point falls in the bucket of its end time (`timeUnixNano`), however long it spans. Requests
 * and the latency sketch come from the duration histogram (its points with `error.type` are failed requests), TTFT
 * from the TTFT histograms, tokens from the token usage histogram's sums per `gen_ai.token.type`, cost from the
 * cost metric's sum. Provider, model, target and snapshot version are read as from spans (`GENAI_ATTRIBUTES`),
 * target and snapshot version from the point, else its resource.
 */
export function mapMetricPoints(
  read: MetricPoints,
  options: { bucketWidthMs: number },
): MappedBatch & { windows: IntakeWindow[] } {
  const refused = [...read.refused];
  const groups = new Map<string, Group>();
  for (const point of read.points) {
    if (point.role !== "cost" && countOf(point.value) === 0) continue;
    if (point.role === "cost" && totalOf(point) === 0) continue;
    const own = (names: readonly string[]) => firstPresent(point.attributes, names);
    const rewind = (names: readonly string[]) => {
      const found = own(names);
      if (found) return { ...found, source: `${point.path}.attributes.${found.name}` };
      const inResource = firstPresent(point.resourceAttributes, names);
      return inResource && { ...inResource, source: `${point.resourcePath}.attributes.${inResource.name}` };
    };
    const target = rewind(GENAI_ATTRIBUTES.target);
    if (target && typeof target.value !== "string") {
      refused.push({ path: target.source, reason: "rewind.target must be a target's slug (text)" });
      continue;
    }
    const version = rewind(GENAI_ATTRIBUTES.snapshotVersion);
    const provider = own(GENAI_ATTRIBUTES.provider)?.value;
    const model = own(GENAI_ATTRIBUTES.model)?.value;
    const group: Group = {
      target: target ? String(target.value).trim() : null,
      start: bucketStart(Number(point.timeUnixNano / NANOS_PER_MS), options.bucketWidthMs),
      provider: provider === undefined ? undefined : String(provider),
      model: model === undefined ? undefined : String(model),
      snapshotVersion: version ? wholeNumberOf(version.value) : undefined,
      snapshotVersionSource: version?.source,
      points: [],
    };
    const key = JSON.stringify([group.target, group.start, group.provider, group.model, group.snapshotVersion]);
    const existing = groups.get(key);
    if (existing) existing.points.push(point);
    else groups.set(key, { ...group, points: [point] });
  }
  const windows: IntakeWindow[] = [];
  for (const group of groups.values()) {
    const window = windowOf(group, refused);
    if (window) windows.push(window);
  }
  return { items: [], windows, refused, ignored: read.ignored };
}
