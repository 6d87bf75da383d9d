// Deterministic samples and small builders shared by the domain tests.
import type { WindowMetrics } from "@/server/domain/metrics";
import { defaultPolicy, policySchema, type Policy, type PolicyInput } from "@/server/domain/policy";

/** mulberry32: a seeded PRNG, so a fast-check counterexample replays exactly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function logNormal(random: () => number, mu: number, sigma: number): number {
  const u = 1 - random();
  const v = random();
  return Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

/** The library's rank rule: the value at index floor(q × (n − 1)) of the sorted sample. */
export function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] ?? Number.NaN;
}

export function policy(overrides: PolicyInput = {}): Policy {
  return policySchema.parse({ ...defaultPolicy, ...overrides });
}

export const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);

export function windowOf(
  metrics: Partial<Pick<WindowMetrics, "requestCount" | "errorCount" | "p95Ms" | "costPerRequestUsd" | "ttftP95Ms">> & {
    seconds?: number;
    to?: number;
  } = {},
): WindowMetrics {
  const requestCount = metrics.requestCount ?? 1_000;
  const errorCount = metrics.errorCount ?? 0;
  const costPerRequestUsd = metrics.costPerRequestUsd ?? 0.01;
  const to = metrics.to ?? T0;
  return {
    from: to - (metrics.seconds ?? 300) * 1000,
    to,
    requestCount,
    errorCount,
    errorRate: requestCount > 0 ? errorCount / requestCount : null,
    p95Ms: metrics.p95Ms === undefined ? 2_000 : metrics.p95Ms,
    costMicros: Math.round(costPerRequestUsd * 1_000_000 * requestCount),
    costPerRequestUsd: requestCount > 0 ? costPerRequestUsd : null,
    inputTokens: 0,
    outputTokens: 0,
    ttftP95Ms: metrics.ttftP95Ms ?? null,
  };
}
