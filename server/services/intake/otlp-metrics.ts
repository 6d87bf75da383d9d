// OTLP/HTTP metrics (POST /api/v1/otlp/v1/metrics): ExportMetricsServiceRequest as binary protobuf or OTLP/JSON, the
// GenAI metrics' points turned into windows (server/domain/intake/otlp-metrics.ts), answered as the traces route
// answers (otlp-http.ts). Cumulative points become deltas against each stream's last point, kept in
// OtlpMetricStream so that restarts and other instances continue from it. docs/INTEGRATIONS.md ("OTLP metrics").
import "server-only";
import { createHash } from "node:crypto";
import type { Db, Prisma } from "../../db";
import { AppError, fieldIssues } from "../../domain/errors";
import type { AttributeValue, Attributes } from "../../domain/intake/genai-spans";
import { GENAI_ATTRIBUTES } from "../../domain/intake/genai-spans";
import {
  countRefused,
  describeRefusals,
  type IntakeWindow,
  type MappedBatch,
  type RefusedItem,
} from "../../domain/intake/intake-items";
import type { RuleMatch, ServiceRuleLookup } from "../../domain/intake/target-rules";
import {
  exportMetricsRequestSchema,
  readMetricPoints,
  type MetricPoint,
  type MetricPoints,
  type PointValue,
} from "../../domain/intake/otlp-metrics";
import { cumulativeToDelta, type StreamState } from "../../domain/intake/otlp-temporality";
import { mapMetricPoints } from "../../domain/intake/otlp-windows";
import { isWriteConflict } from "../platform/retry";
import { decodeOtlpBody, encodeOtlp, OTLP_CONTENT_TYPES, otlpRefusal } from "./otlp-http";
import { otlpMetricTypes } from "./otlp-proto";
import {
  IntakeError,
  type IntakeAdapter,
  type IntakeContext,
  type IntakeOutcome,
  type IntakeReply,
  type MapOptions,
  type Prepared,
} from "./types";

/** Compare-and-set attempts per stream before the request is answered 503 (its sender retries it). */
const MAX_STREAM_ATTEMPTS = 5;

function decode(body: Buffer, contentType: string): MetricPoints {
  const raw = decodeOtlpBody(otlpMetricTypes(), body, contentType, "ExportMetricsServiceRequest");
  const parsed = exportMetricsRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = Object.entries(fieldIssues(parsed.error)).slice(0, 5);
    throw new IntakeError(
      400,
      `Body is not an OTLP ExportMetricsServiceRequest: ${issues.map(([path, message]) => `${path}: ${message}`).join("; ")}`,
    );
  }
  return readMetricPoints(parsed.data);
}

type StreamRow = { key: string; startTime: string; time: string; point: Prisma.JsonValue };

const STREAM_SELECT = { key: true, startTime: true, time: true, point: true } satisfies Prisma.OtlpMetricStreamSelect;

/** A stream's stored point, or null for one stored in a shape this code does not know (read as a new stream). */
function stateOf(row: StreamRow | null): StreamState | null {
  const value = row?.point as PointValue | null | undefined;
  if (
    !row ||
    typeof value !== "object" ||
    value === null ||
    !["explicit", "exponential", "number"].includes(value.kind)
  ) {
    return null;
  }
  return { startTimeUnixNano: BigInt(row.startTime), timeUnixNano: BigInt(row.time), value };
}

/** What this request changed in a stream's row, to put back when the request writes nothing after all. */
interface Claim {
  key: string;
  previous: StreamRow | null;
  time: string;
}

/**
 * A stream's points of this request, oldest first, against its stored last point: the deltas they add and the stale
 * ones refused. The row moves to the newest point by compare-and-set on `time` (an insert for a new stream); when
 * another request moved it first, the stream is read again and done over, so of two instances given the same point
 * exactly one counts it.
 */
async function advanceStream(
  db: Db,
  key: string,
  points: readonly MetricPoint[],
  row: StreamRow | null,
  now: Date,
): Promise<{ deltas: MetricPoint[]; refused: RefusedItem[]; claim: Claim | null }> {
  for (let attempt = 1; ; attempt++) {
    const deltas: MetricPoint[] = [];
    const refused: RefusedItem[] = [];
    let state = stateOf(row);
    for (const point of points) {
      const step = cumulativeToDelta(state, point);
      if (step.kind === "stale") {
        refused.push({ path: `${point.path}.timeUnixNano`, reason: step.reason });
        continue;
      }
      if (step.kind === "delta") deltas.push({ ...point, temporality: "delta", value: step.value });
      state = { startTimeUnixNano: point.startTimeUnixNano, timeUnixNano: point.timeUnixNano, value: point.value };
    }
    if (!state || (row && String(state.timeUnixNano) === row.time)) return { deltas, refused, claim: null };
    const data = {
      startTime: String(state.startTimeUnixNano),
      time: String(state.timeUnixNano),
      point: state.value as Prisma.InputJsonValue,
      updatedAt: now,
    };
    let won: boolean;
    if (row) {
      won = (await db.otlpMetricStream.updateMany({ where: { key, time: row.time }, data })).count === 1;
    } else {
      try {
        await db.otlpMetricStream.create({ data: { key, ...data }, select: { key: true } });
        won = true;
      } catch (error) {
        if (!isWriteConflict(error)) throw error;
        won = false;
      }
    }
    if (won) return { deltas, refused, claim: { key, previous: row, time: data.time } };
    if (attempt >= MAX_STREAM_ATTEMPTS) {
      throw new AppError("CONFLICT", "A cumulative metric stream kept changing under concurrent requests: try again");
    }
    row = await db.otlpMetricStream.findUnique({ where: { key }, select: STREAM_SELECT });
  }
}

/** Puts claimed streams back where this request found them, unless another request has moved them since. */
async function undoClaims(db: Db, claims: readonly Claim[]): Promise<void> {
  for (const { key, previous, time } of [...claims].reverse()) {
    if (previous === null) await db.otlpMetricStream.deleteMany({ where: { key, time } });
    else {
      await db.otlpMetricStream.updateMany({
        where: { key, time },
        data: {
          startTime: previous.startTime,
          time: previous.time,
          point: previous.point as Prisma.InputJsonValue,
        },
      });
    }
  }
}

export function streamKeyOf(stream: string): string {
  return createHash("sha256").update(stream).digest("hex");
}

/** Delta points as they are; cumulative ones through their stream's state (`advanceStream`). */
async function prepare(read: MetricPoints, { db, now }: IntakeContext): Promise<Prepared<MetricPoints>> {
  const points = read.points.filter((point) => point.temporality === "delta");
  const streams = new Map<string, MetricPoint[]>();
  for (const point of read.points) {
    if (point.temporality !== "cumulative") continue;
    const key = streamKeyOf(point.stream);
    const stream = streams.get(key);
    if (stream) stream.push(point);
    else streams.set(key, [point]);
  }
  const refused: RefusedItem[] = [];
  const claims: Claim[] = [];
  try {
    const keys = [...streams.keys()];
    const rows =
      keys.length === 0
        ? []
        : await db.otlpMetricStream.findMany({ where: { key: { in: keys } }, select: STREAM_SELECT });
    const stored = new Map(rows.map((row) => [row.key, row]));
    for (const [key, stream] of streams) {
      stream.sort((a, b) => (a.timeUnixNano < b.timeUnixNano ? -1 : a.timeUnixNano > b.timeUnixNano ? 1 : 0));
      const advanced = await advanceStream(db, key, stream, stored.get(key) ?? null, now);
      points.push(...advanced.deltas);
      refused.push(...advanced.refused);
      if (advanced.claim) claims.push(advanced.claim);
    }
  } catch (error) {
    await undoClaims(db, claims);
    throw error;
  }
  return { decoded: { ...read, points }, refused, undo: () => undoClaims(db, claims) };
}

function reply(outcome: IntakeOutcome, contentType: string): IntakeReply {
  const rejected = countRefused(outcome.refused);
  let partialSuccess: { rejectedDataPoints: string; errorMessage: string } | undefined;
  if (rejected > 0) {
    partialSuccess = {
      rejectedDataPoints: String(rejected),
      errorMessage: describeRefusals(outcome.refused, "data point"),
    };
  } else if (outcome.accepted === 0 && outcome.ignored > 0) {
    partialSuccess = {
      rejectedDataPoints: "0",
      errorMessage: `No GenAI metric among ${outcome.ignored} data point${outcome.ignored === 1 ? "" : "s"}: Rewind reads gen_ai.client.operation.duration, gen_ai.client.token.usage, the time-to-first-token histograms and gen_ai.usage.cost`,
    };
  }
  return {
    status: 200,
    ...encodeOtlp(otlpMetricTypes(), "response", partialSuccess ? { partialSuccess } : {}, contentType),
    headers: {
      "X-Rewind-Accepted-Windows": String(outcome.accepted),
      "X-Rewind-Rejected-Points": String(rejected),
      "X-Rewind-Ignored-Points": String(outcome.ignored),
    },
  };
}

const present = (value: AttributeValue | undefined) => value !== undefined && value !== null && value !== "";
const textOf = (value: AttributeValue | undefined) => (typeof value === "string" ? value : undefined);

/**
 * Windows as `mapMetricPoints` makes them, with target mapping rules: points that name no target (`rewind.target` on
 * the point or its resource) are grouped by the rule their resource's service.name, operation and model match, each
 * group mapped on its own (a window holds one target's points) and its windows given the rule's target.
 */
function mapWithRules(read: MetricPoints, options: MapOptions): MappedBatch {
  const rules = options.targetRules;
  if (!rules || rules.size === 0) return mapMetricPoints(read, options);
  const lookups = new Map<Attributes, ServiceRuleLookup | null>();
  const groups = new Map<string, { match: RuleMatch | null; points: MetricPoint[] }>();
  for (const point of read.points) {
    let match: RuleMatch | null = null;
    const [target] = GENAI_ATTRIBUTES.target;
    if (!present(point.attributes.get(target)) && !present(point.resourceAttributes.get(target))) {
      let lookup = lookups.get(point.resourceAttributes);
      if (lookup === undefined) {
        lookup = rules.forService(point.resourceAttributes.get("service.name"));
        lookups.set(point.resourceAttributes, lookup);
      }
      const model = GENAI_ATTRIBUTES.model.map((name) => point.attributes.get(name)).find(present);
      match = lookup?.(textOf(point.attributes.get("gen_ai.operation.name")), textOf(model)) ?? null;
    }
    const key = match?.rule ?? "";
    const group = groups.get(key);
    if (group) group.points.push(point);
    else groups.set(key, { match, points: [point] });
  }
  const batch: MappedBatch & { windows: IntakeWindow[] } = {
    items: [],
    windows: [],
    refused: [...read.refused],
    ignored: read.ignored,
  };
  for (const { match, points } of groups.values()) {
    const mapped = mapMetricPoints({ points, refused: [], ignored: 0 }, options);
    batch.refused.push(...mapped.refused);
    for (const window of mapped.windows) {
      batch.windows.push(
        match && window.target === null ? { ...window, target: match.target, targetRule: match.rule } : window,
      );
    }
  }
  return batch;
}

export const otlpMetricsAdapter: IntakeAdapter<MetricPoints> = {
  name: "otlp-metrics",
  itemNoun: "data point",
  contentTypes: OTLP_CONTENT_TYPES,
  partialSuccess: true,
  targetRules: true,
  decode,
  prepare,
  map: mapWithRules,
  reply,
  refusal: (refused, contentType) => otlpRefusal(otlpMetricTypes(), refused, contentType),
};
