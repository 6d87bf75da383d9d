import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  aggregateEvents,
  bucketStart,
  combineTotals,
  emptyTotals,
  errorWindow,
  mergeWindow,
  metricEventSchema,
  usdToMicros,
  type MetricEvent,
} from "@/server/domain/metrics";
import { LatencySketch } from "@/server/domain/sketch";
import { T0 } from "./fixtures";

const MINUTE = 60_000;

function event(overrides: Partial<MetricEvent> = {}): MetricEvent {
  return { ts: T0, latencyMs: 1_000, ok: true, ...overrides };
}

describe("bucketStart", () => {
  it("floors to a multiple of the width, before and after 1970", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e13, max: 1e13 }), fc.integer({ min: 1, max: 86_400_000 }), (ts, width) => {
        const start = bucketStart(ts, width);
        expect(start).toBeLessThanOrEqual(ts);
        expect(ts - start).toBeLessThan(width);
        expect(Math.abs(start % width)).toBe(0);
      }),
    );
  });

  it("rejects a width that is not a positive integer", () => {
    for (const width of [0, -60_000, 1.5]) expect(() => bucketStart(T0, width)).toThrow(RangeError);
  });
});

describe("usdToMicros", () => {
  it("rounds each amount to whole micro-dollars so sums stay exact", () => {
    expect(usdToMicros(0.1) + usdToMicros(0.2)).toBe(300_000);
    expect(usdToMicros(0.0000014)).toBe(1);
    const events = Array.from({ length: 10 }, () => event({ costUsd: 0.1 }));
    expect(aggregateEvents(events, { widthMs: MINUTE })[0]?.costMicros).toBe(1_000_000);
  });
});

describe("metricEventSchema", () => {
  it("accepts epoch ms or an ISO date-time and yields epoch ms", () => {
    expect(metricEventSchema.parse(event({ ts: T0 })).ts).toBe(T0);
    expect(metricEventSchema.parse({ ...event(), ts: "2025-01-06T12:00:00.000Z" }).ts).toBe(T0);
  });

  it("rejects negative latency and cost with a message on the field", () => {
    const result = metricEventSchema.safeParse({ ...event(), latencyMs: -3, costUsd: -1 });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual(["latencyMs", "costUsd"]);
  });

  it("takes the flags evaluated for the request, naming a bad key or value by its path", () => {
    expect(metricEventSchema.parse({ ...event(), flags: { "chat.streaming": true } }).flags).toEqual({
      "chat.streaming": true,
    });
    const result = metricEventSchema.safeParse({ ...event(), flags: { "Chat Streaming": true, "chat.tools": "on" } });
    expect(result.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["flags.Chat Streaming", "Not a flag key: lowercase letters, digits, dots, dashes and underscores"],
      ["flags.chat.tools", "A flag is true (on for this request) or false"],
    ]);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`flag-${i}`, true]));
    expect(metricEventSchema.safeParse({ ...event(), flags: many }).error?.issues[0]?.message).toBe(
      "At most 50 flags per event",
    );
  });
});

describe("aggregateEvents", () => {
  const events: MetricEvent[] = [
    event({
      ts: T0 + 5_000,
      latencyMs: 100,
      costUsd: 0.01,
      provider: "openai",
      model: "gpt-4o",
      inputTokens: 10,
      outputTokens: 5,
    }),
    event({ ts: T0 + 59_999, latencyMs: 300, ok: false, provider: "anthropic", model: "claude" }),
    event({ ts: T0 + MINUTE, latencyMs: 200, costUsd: 0.02, provider: "openai", model: "gpt-4o" }),
  ];

  it("folds events into buckets by start, counting errors, cost, tokens and latency", () => {
    const buckets = aggregateEvents(events, { widthMs: MINUTE });
    expect(
      buckets.map((b) => [b.start, b.requestCount, b.errorCount, b.costMicros, b.inputTokens, b.outputTokens]),
    ).toEqual([
      [T0, 2, 1, 10_000, 10, 5],
      [T0 + MINUTE, 1, 0, 20_000, 0, 0],
    ]);
    expect(buckets.every((b) => b.provider === null && b.model === null)).toBe(true);
    expect(buckets[0]?.latency.count).toBe(2);
  });

  it("splits by provider and model when asked, sorted by start then key", () => {
    const buckets = aggregateEvents([...events].reverse(), { widthMs: MINUTE, breakdown: true });
    expect(buckets.map((b) => [b.start, b.provider, b.model, b.requestCount])).toEqual([
      [T0, "anthropic", "claude", 1],
      [T0, "openai", "gpt-4o", 1],
      [T0 + MINUTE, "openai", "gpt-4o", 1],
    ]);
  });
});

describe("mergeWindow", () => {
  it("merges the buckets starting in [from, to) into rates, P95 and cost per request", () => {
    const events = Array.from({ length: 300 }, (_, i) =>
      event({ ts: T0 + i * 1_000, latencyMs: 100 + i, ok: i % 10 !== 0, costUsd: 0.003 }),
    );
    const buckets = aggregateEvents(events, { widthMs: MINUTE });
    const window = mergeWindow(buckets, { from: T0 + MINUTE, to: T0 + 4 * MINUTE });
    const inRange = events.filter((e) => e.ts >= T0 + MINUTE && e.ts < T0 + 4 * MINUTE);
    expect(window.requestCount).toBe(180);
    expect(window.errorCount).toBe(18);
    expect(window.errorRate).toBeCloseTo(0.1, 12);
    expect(window.costMicros).toBe(180 * 3_000);
    expect(window.costPerRequestUsd).toBeCloseTo(0.003, 12);
    expect(window.p95Ms).toBe(LatencySketch.of(inRange.map((e) => e.latencyMs)).quantile(0.95));
  });

  it("has no rates and no P95 over an empty range", () => {
    const window = mergeWindow([], { from: T0, to: T0 + MINUTE });
    expect(window).toMatchObject({ requestCount: 0, errorRate: null, p95Ms: null, costPerRequestUsd: null });
  });
});

describe("combineTotals", () => {
  it("adds counters and merges sketches without touching either input", () => {
    const a = {
      ...emptyTotals(),
      requestCount: 2,
      errorCount: 1,
      costMicros: 5,
      latency: LatencySketch.of([10, 20]),
    };
    const b = { ...emptyTotals(), requestCount: 1, costMicros: 7, latency: LatencySketch.of([30]) };
    const sum = combineTotals(a, b);
    expect([sum.requestCount, sum.errorCount, sum.costMicros, sum.latency.count]).toEqual([3, 1, 12, 3]);
    expect([a.latency.count, b.latency.count]).toEqual([2, 1]);
  });
});

describe("errorWindow", () => {
  it("counts exactly what mergeWindow counts, without sketches", () => {
    const events = Array.from({ length: 500 }, (_, i) => ({ ts: T0 + i * 997, latencyMs: 100 + i, ok: i % 7 !== 0 }));
    const buckets = aggregateEvents(events, { widthMs: 10_000 });
    for (const range of [
      { from: T0, to: T0 + 60_000 },
      { from: T0 + 25_000, to: T0 + 400_000 },
      { from: T0 - 10_000, to: T0 },
    ]) {
      const merged = mergeWindow(buckets, range);
      expect(errorWindow(buckets, range)).toEqual({
        from: range.from,
        to: range.to,
        requestCount: merged.requestCount,
        errorCount: merged.errorCount,
        errorRate: merged.errorRate,
      });
    }
  });
});
