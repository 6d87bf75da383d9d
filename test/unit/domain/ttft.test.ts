// Time to first token end to end in the domain: judged like the other SLOs when the policy sets a limit, never
// when it does not or when no request of the window streamed; and what ingest accepts of it.
import { describe, expect, it } from "vitest";
import { evaluate, type EvaluationInput } from "@/server/domain/evaluation";
import { aggregateEvents, mergeWindow, metricBatchSchema } from "@/server/domain/metrics";
import { LatencySketch } from "@/server/domain/sketch";
import { policy, T0, windowOf } from "./fixtures";

function run(input: Partial<EvaluationInput>) {
  return evaluate({ window: windowOf(), policy: policy(), recentVerdicts: [], ...input });
}

const ttftPolicy = (overrides = {}) => policy({ maxTtftP95Ms: 2_000, consecutiveViolations: 3, ...overrides });

describe("evaluate: P95 time to first token", () => {
  it("is a violation above the policy's limit, with the reading in the verdict", () => {
    const verdict = run({ policy: ttftPolicy(), window: windowOf({ ttftP95Ms: 2_600 }) });
    expect(verdict).toMatchObject({
      status: "VIOLATION",
      violations: [{ slo: "TTFT_P95", observed: 2_600, threshold: 2_000 }],
      observed: { ttftP95Ms: 2_600 },
    });
    expect(verdict.explanation).toMatch(/P95 time to first token 2\.6 s > 2 s/);
  });

  it("breaches after the streak like any SLO, and is healthy at the limit", () => {
    const recentVerdicts = [{ status: "VIOLATION" as const }, { status: "VIOLATION" as const }];
    expect(run({ policy: ttftPolicy(), window: windowOf({ ttftP95Ms: 2_600 }), recentVerdicts })).toMatchObject({
      status: "BREACH",
      severity: "CRITICAL",
    });
    expect(run({ policy: ttftPolicy(), window: windowOf({ ttftP95Ms: 2_000 }) }).status).toBe("HEALTHY");
  });

  it("is an emergency above limit × emergencyMultiplier, with no streak, and not at exactly that", () => {
    const p = ttftPolicy({ emergencyMultiplier: 3 });
    expect(run({ policy: p, window: windowOf({ ttftP95Ms: 6_100 }) })).toMatchObject({
      status: "BREACH",
      severity: "EMERGENCY",
      consecutiveCount: 1,
      violations: [{ slo: "TTFT_P95" }],
    });
    expect(run({ policy: p, window: windowOf({ ttftP95Ms: 6_000 }) }).status).toBe("VIOLATION");
  });

  it("is never judged when the policy leaves maxTtftP95Ms unset, however slow the first token", () => {
    for (const ttftP95Ms of [2_001, 60_000, 1e9]) {
      const verdict = run({ window: windowOf({ ttftP95Ms }) });
      expect(verdict.status).toBe("HEALTHY");
      expect(verdict.observed.ttftP95Ms).toBe(ttftP95Ms);
    }
  });

  it("never violates on a window where no request reported a time to first token", () => {
    // Events without ttftMs, merged as the evaluation pass merges stored buckets.
    const events = Array.from({ length: 100 }, (_, i) => ({ ts: T0 + i * 100, latencyMs: 500, ok: true }));
    const window = mergeWindow(aggregateEvents(events, { widthMs: 10_000 }), { from: T0, to: T0 + 10_000 });
    expect(window.ttftP95Ms).toBeNull();
    expect(run({ policy: ttftPolicy({ minRequests: 10 }), window })).toMatchObject({
      status: "HEALTHY",
      observed: { ttftP95Ms: null },
    });
  });

  it("reads the P95 of the merged TTFT sketches of streamed requests only", () => {
    const events = Array.from({ length: 100 }, (_, i) => ({
      ts: T0 + i * 100,
      latencyMs: 5_000,
      ok: true,
      // Half the requests stream; the others leave the TTFT sketch alone.
      ...(i % 2 === 0 && { ttftMs: 100 + i * 10 }),
    }));
    const window = mergeWindow(aggregateEvents(events, { widthMs: 10_000 }), { from: T0, to: T0 + 10_000 });
    expect(window.requestCount).toBe(100);
    // 50 streamed values 100, 120, …, 1,080: rank floor(0.95 × 49) = 46 is 1,020 ms, within the sketch's 1%.
    expect(Math.abs((window.ttftP95Ms ?? 0) / 1_020 - 1)).toBeLessThanOrEqual(0.01);
    expect(window.p95Ms).toBeCloseTo(5_000, -2);
  });
});

describe("ingest validation of ttftMs and ttftSketch", () => {
  const paths = (input: unknown) => {
    const result = metricBatchSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((issue) => [issue.path.join("."), issue.message]);
  };
  const event = (extra: object) => ({ ts: T0, latencyMs: 800, ok: true, ...extra });
  const sketch = LatencySketch.of([100, 200, 300]).toData();
  const window = (extra: object) => ({ start: T0, requestCount: 3, errorCount: 0, costUsd: 0, sketch, ...extra });

  it("takes events with and without ttftMs, up to the latency itself", () => {
    expect(paths({ events: [event({}), event({ ttftMs: 0 }), event({ ttftMs: 800 })] })).toEqual([]);
  });

  it("refuses a time to first token above the request's latency, at events.N.ttftMs", () => {
    expect(paths({ events: [event({ ttftMs: 100 }), event({ ttftMs: 801 })] })).toEqual([
      ["events.1.ttftMs", "Time to first token must not exceed the latency"],
    ]);
  });

  it("refuses a negative time to first token", () => {
    expect(paths({ events: [event({ ttftMs: -1 })] })).toEqual([
      ["events.0.ttftMs", "Time to first token must not be negative"],
    ]);
  });

  it("takes a window's ttftSketch, and refuses one holding more values than the window has requests", () => {
    expect(paths({ windows: [window({ ttftSketch: sketch })] })).toEqual([]);
    expect(paths({ windows: [window({}), window({ ttftSketch: LatencySketch.of([1, 2, 3, 4]).toData() })] })).toEqual([
      ["windows.1.ttftSketch", "TTFT sketch holds more values than the window has requests"],
    ]);
    expect(paths({ windows: [window({ ttftSketch: { keys: [3, 2], counts: [1, 1] } })] })).toEqual([
      ["windows.0.ttftSketch.keys", "keys must be strictly ascending"],
    ]);
  });
});
