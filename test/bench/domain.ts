// Benchmarks of the pure evaluation engine: decision latency and sketch accuracy.
import { logNormal, rng } from "../unit/domain/fixtures";
import { decide, type DecisionTarget } from "@/server/domain/decision";
import { evaluate } from "@/server/domain/evaluation";
import {
  aggregateEvents,
  errorWindow,
  mergeWindow,
  type MetricBucket,
  type MetricEvent,
} from "@/server/domain/metrics";
import { defaultPolicy } from "@/server/domain/policy";
import { LatencySketch } from "@/server/domain/sketch";
import { percentile, timeMicros, type Figure } from "./lib";

const BUCKET_MS = 10_000;

/** An hour of 10 s buckets for one target: ~20 requests a bucket, LLM-like latencies, 1% errors. */
export function hourOfBuckets(end: number, seed: number): MetricBucket[] {
  const random = rng(seed);
  const events: MetricEvent[] = [];
  for (let ts = end - 3_600_000; ts < end; ts += 500) {
    events.push({ ts, latencyMs: logNormal(random, Math.log(1_800), 0.6), ok: random() > 0.01, costUsd: 0.004 });
  }
  return aggregateEvents(events, { widthMs: BUCKET_MS });
}

const target: DecisionTarget = {
  hasActiveRollback: false,
  currentSnapshotId: "current",
  knownGoodSnapshotId: "known-good",
  lastRollbackAt: null,
  autoRollbacksInLastHour: 0,
  automationPaused: false,
};

/** What the cycle does per target once the buckets are loaded: three windows, evaluate, decide. */
export function evaluateAndDecide(buckets: readonly MetricBucket[], now: number) {
  const policy = defaultPolicy;
  const window = mergeWindow(buckets, { from: now - policy.evaluationWindowSeconds * 1000, to: now });
  const longWindow = errorWindow(buckets, { from: now - policy.burnRate.longWindowSeconds * 1000, to: now });
  const shortWindow = errorWindow(buckets, { from: now - policy.burnRate.shortWindowSeconds * 1000, to: now });
  const verdict = evaluate({ window, policy, recentVerdicts: [], burnRate: { longWindow, shortWindow } });
  return decide({ verdict, target, policy, now: new Date(now) });
}

export function decisionLatency(): Figure[] {
  const now = Date.UTC(2026, 0, 1);
  const buckets = hourOfBuckets(now, 7);
  const samples = timeMicros(() => evaluateAndDecide(buckets, now), 2_000);
  const name = `evaluate + decide, 1 h of 10 s buckets (${buckets.length} buckets)`;
  return [
    { benchmark: name, metric: "median", value: percentile(samples, 0.5), unit: "µs" },
    { benchmark: name, metric: "p99", value: percentile(samples, 0.99), unit: "µs", note: "goal < 1,000 µs" },
  ];
}

/** Prometheus client default buckets (seconds), as histogram_quantile interpolates them. */
const PROMETHEUS_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function prometheusQuantile(valuesMs: readonly number[], q: number): number {
  const counts = PROMETHEUS_BUCKETS_S.map((le) => valuesMs.filter((v) => v / 1000 <= le).length);
  const total = valuesMs.length;
  const rank = q * total;
  const index = counts.findIndex((count) => count >= rank);
  // Past the last finite bucket histogram_quantile returns that bucket's upper bound.
  if (index === -1) return (PROMETHEUS_BUCKETS_S.at(-1) ?? 0) * 1000;
  const upper = PROMETHEUS_BUCKETS_S[index] ?? 0;
  const lower = index === 0 ? 0 : (PROMETHEUS_BUCKETS_S[index - 1] ?? 0);
  const below = index === 0 ? 0 : (counts[index - 1] ?? 0);
  const inBucket = (counts[index] ?? 0) - below;
  return (lower + (upper - lower) * ((rank - below) / inBucket)) * 1000;
}

function exactP95(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return percentile(sorted, 0.95);
}

export function sketchAccuracy(): Figure[] {
  const random = rng(42);
  const distributions: { name: string; sample: () => number }[] = [
    { name: "log-normal, median 1.8 s (chat)", sample: () => logNormal(random, Math.log(1_800), 0.6) },
    { name: "log-normal, median 600 ms (fast model)", sample: () => logNormal(random, Math.log(600), 0.4) },
    { name: "log-normal, median 7 s (long generation)", sample: () => logNormal(random, Math.log(7_000), 0.5) },
    {
      name: "bimodal: 90% 800 ms, 10% 12 s fallbacks",
      sample: () => (random() < 0.9 ? logNormal(random, Math.log(800), 0.3) : logNormal(random, Math.log(12_000), 0.3)),
    },
  ];
  const figures: Figure[] = [];
  for (const { name, sample } of distributions) {
    const values = Array.from({ length: 100_000 }, sample);
    const exact = exactP95(values);
    const sketch = LatencySketch.of(values).quantile(0.95) ?? Number.NaN;
    const histogram = prometheusQuantile(values, 0.95);
    const error = (estimate: number) => ((estimate - exact) / exact) * 100;
    figures.push(
      { benchmark: `P95 error, ${name}`, metric: "DDSketch", value: error(sketch), unit: "%" },
      { benchmark: `P95 error, ${name}`, metric: "Prometheus default buckets", value: error(histogram), unit: "%" },
    );
  }
  return figures;
}
