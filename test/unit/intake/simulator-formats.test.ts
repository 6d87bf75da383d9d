// `npm run simulate -- --via otlp|otlp-metrics|litellm` sends its requests in other senders' formats
// (scripts/lib/intake-formats.ts): through Rewind's own adapters they must read back as the very events
// /api/v1/ingest would have been sent, or, for metrics, as the windows those events make.
import { describe, expect, it } from "vitest";
import { LatencySketch } from "@/server/domain/sketch";
import { liteLlmAdapter } from "@/server/services/intake/litellm";
import { otlpMetricsAdapter } from "@/server/services/intake/otlp-metrics";
import { otlpTracesAdapter } from "@/server/services/intake/otlp-traces";
import {
  encodeOtlpMetrics,
  exponentialHistogram,
  liteLlmPayloads,
  otlpMetrics,
  otlpTraces,
} from "@/scripts/lib/intake-formats";
import type { RequestEvent } from "@/scripts/lib/traffic";

const base = { provider: "openai", model: "gpt-4o", inputTokens: 900, outputTokens: 250 };
const events: RequestEvent[] = [
  { ...base, ts: 1_777_636_800_840, latencyMs: 840, ok: true, costUsd: 0.00475, ttftMs: 420, snapshotVersion: 2 },
  { ...base, ts: 1_777_636_801_000, latencyMs: 250, ok: false, costUsd: 0, outputTokens: 0, snapshotVersion: 1 },
  { ...base, ts: 1_777_636_802_500, latencyMs: 1_210, ok: true, costUsd: 0.0051 },
];

/** What the adapters map to, without their `sources` bookkeeping. */
function mappedEvents(batch: { items: { event: Record<string, unknown> }[]; refused: unknown[] }) {
  expect(batch.refused).toEqual([]);
  return batch.items.map((item) => item.event);
}

const expected = events.map(
  ({ ts, latencyMs, ok, costUsd, provider, model, inputTokens, outputTokens, ...rest }): unknown =>
    expect.objectContaining({
      ts,
      latencyMs,
      ok,
      costUsd,
      provider,
      model,
      inputTokens,
      outputTokens,
      ...(rest.ttftMs !== undefined && { ttftMs: rest.ttftMs }),
      ...(rest.snapshotVersion !== undefined && { snapshotVersion: rest.snapshotVersion }),
    }),
);

describe("the simulator's other formats", () => {
  it("OTLP/JSON spans read back as the simulator's events, with the target on the resource", () => {
    const body = Buffer.from(JSON.stringify(otlpTraces("sim-chat", events)));
    const batch = otlpTracesAdapter.map(otlpTracesAdapter.decode(body, "application/json"), { bucketWidthMs: 10_000 });
    expect(mappedEvents(batch)).toEqual(expected);
    expect(batch.items.map((item) => (item as { target?: string }).target)).toEqual([
      "sim-chat",
      "sim-chat",
      "sim-chat",
    ]);
  });

  it("LiteLLM payloads read back as the simulator's events", () => {
    const body = Buffer.from(JSON.stringify(liteLlmPayloads(events)));
    const batch = liteLlmAdapter.map(liteLlmAdapter.decode(body, "application/json"), { bucketWidthMs: 10_000 });
    expect(mappedEvents(batch)).toEqual(expected);
  });
});

describe("the simulator's OTLP metrics", () => {
  const BUCKET = 10_000;
  const T0 = 1_777_636_800_000; // a bucket's start
  // 240 calls over three buckets, two models, two snapshot versions, some failed, streamed ones with a TTFT.
  const calls: RequestEvent[] = Array.from({ length: 240 }, (_, i) => ({
    ...base,
    model: i % 3 === 0 ? "claude-sonnet-4" : "gpt-4o",
    ts: T0 + Math.floor((i * 29_999) / 240),
    latencyMs: 200 + ((i * 397) % 2_800),
    ok: i % 11 !== 0,
    costUsd: 0.001 * (1 + (i % 4)),
    inputTokens: 500 + i,
    outputTokens: i % 7 === 0 ? 0 : 100 + i,
    ...(i % 2 === 0 && { ttftMs: 50 + (i % 40) * 10 }),
    snapshotVersion: i < 120 ? 1 : 2,
  }));

  it("reads back through the real adapter (protobuf) as one window per bucket, model and version, matching the calls", () => {
    const body = Buffer.from(encodeOtlpMetrics(otlpMetrics("sim-chat", calls, BUCKET)));
    const decoded = otlpMetricsAdapter.decode(body, "application/x-protobuf");
    expect(decoded.points.every((point) => point.temporality === "delta")).toBe(true);
    const batch = otlpMetricsAdapter.map(decoded, { bucketWidthMs: BUCKET });
    expect(batch.refused).toEqual([]);
    const windows = batch.windows ?? [];
    const expected = new Map<string, RequestEvent[]>();
    for (const call of calls) {
      const key = JSON.stringify([Math.floor(call.ts / BUCKET) * BUCKET, call.model, call.snapshotVersion]);
      expected.set(key, [...(expected.get(key) ?? []), call]);
    }
    expect(windows).toHaveLength(expected.size);
    for (const { target, window } of windows) {
      expect(target).toBe("sim-chat");
      const group = expected.get(JSON.stringify([window.start, window.model, window.snapshotVersion])) ?? [];
      const sum = (pick: (call: RequestEvent) => number) => group.reduce((total, call) => total + pick(call), 0);
      expect(window).toMatchObject({
        provider: "openai",
        requestCount: group.length,
        errorCount: group.filter((call) => !call.ok).length,
        inputTokens: sum((call) => call.inputTokens),
        outputTokens: sum((call) => call.outputTokens),
      });
      expect(window.costUsd).toBeCloseTo(
        sum((call) => call.costUsd),
        9,
      );
      // Quantiles within the exponential histogram's stated accuracy at the scale the SDK's 160 buckets allow.
      const exact = LatencySketch.of(group.map((call) => call.latencyMs));
      const read = LatencySketch.fromData(window.sketch);
      expect(read.count).toBe(group.length);
      for (const q of [0.5, 0.95]) {
        expect(Math.abs((read.quantile(q) ?? 0) / (exact.quantile(q) ?? 1) - 1)).toBeLessThan(0.04);
      }
      const ttft = window.ttftSketch ? LatencySketch.fromData(window.ttftSketch) : null;
      expect(ttft?.count ?? 0).toBe(group.filter((call) => call.ttftMs !== undefined).length);
    }
  });

  it("records exponential histograms as the OpenTelemetry SDK does: at most 160 buckets, zeros apart", () => {
    const wide = exponentialHistogram([0, 0.001, 0.5, 1, 2, 90]);
    expect(wide.positive.bucketCounts.length).toBeLessThanOrEqual(160);
    expect(wide).toMatchObject({ count: "6", zeroCount: "1", min: 0, max: 90 });
    expect(wide.positive.bucketCounts.reduce((total, count) => total + Number(count), 0)).toBe(5);
    // Bucket i holds (b^i, b^(i+1)]: a power of two sits at the top of its bucket.
    const one = exponentialHistogram([1]);
    expect(one).toMatchObject({ scale: 20, positive: { offset: -1, bucketCounts: ["1"] } });
  });
});
