// Synthetic LLM traffic for the simulator (scripts/simulate.ts) and benchmarks: what each provider's model
// does (latency, failures, tokens, list price), the demo targets with their configurations, and the request
// events a configuration produces over a stretch of time. Pure: randomness and time are parameters.

export type Random = () => number;

/** mulberry32: small, seeded, good enough for traffic. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function standardNormal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Log-normal with the given median: the usual shape of request latencies and token counts. */
export function logNormal(random: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * standardNormal(random));
}

/** A Poisson-like count with mean `mean` (normal approximation above 30). */
export function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * standardNormal(random)));
  const limit = Math.exp(-mean);
  let count = 0;
  for (let p = random(); p > limit; p *= random()) count++;
  return count;
}

/** How a provider's model behaves, roughly, and what it costs (illustrative list prices, USD per 1M tokens). */
export interface ModelProfile {
  provider: string;
  model: string;
  /** Time to first token. */
  firstTokenMs: { median: number; sigma: number };
  /** Output speed; 0 for models that return all at once (embeddings). */
  tokensPerSecond: number;
  /** Share of requests that fail fast (429s, 5xx, auth errors). */
  errorRate: number;
  /** Reasoning models bill hidden output tokens: this many times the visible ones. */
  outputTokenFactor?: number;
  pricePerMillion: { input: number; output: number };
}

export const MODELS = {
  "openai/gpt-4o": {
    provider: "openai",
    model: "gpt-4o",
    firstTokenMs: { median: 450, sigma: 0.35 },
    tokensPerSecond: 110,
    errorRate: 0.006,
    pricePerMillion: { input: 2.5, output: 10 },
  },
  "anthropic/claude-sonnet-4": {
    provider: "anthropic",
    model: "claude-sonnet-4",
    firstTokenMs: { median: 650, sigma: 0.35 },
    tokensPerSecond: 95,
    errorRate: 0.01,
    pricePerMillion: { input: 3, output: 15 },
  },
  /** A reasoning model: long thinking before the first visible token. */
  "openai/o3": {
    provider: "openai",
    model: "o3",
    firstTokenMs: { median: 6_500, sigma: 0.45 },
    tokensPerSecond: 80,
    errorRate: 0.008,
    outputTokenFactor: 3,
    pricePerMillion: { input: 2, output: 8 },
  },
  /**
   * A cheaper processing tier under load: requests queue before their first token, then stream fast, so the
   * total latency barely moves while the time to first token triples.
   */
  "openai/gpt-4o-flex": {
    provider: "openai",
    model: "gpt-4o-flex",
    firstTokenMs: { median: 2_600, sigma: 0.3 },
    tokensPerSecond: 240,
    errorRate: 0.006,
    pricePerMillion: { input: 1.25, output: 5 },
  },
  /** A regional deployment whose quota was cut: mostly 429s and 503s, failing fast. */
  "azure/gpt-4o-eastus2": {
    provider: "azure",
    model: "gpt-4o",
    firstTokenMs: { median: 500, sigma: 0.35 },
    tokensPerSecond: 105,
    errorRate: 0.85,
    pricePerMillion: { input: 2.5, output: 10 },
  },
  "openai/gpt-4o-mini": {
    provider: "openai",
    model: "gpt-4o-mini",
    firstTokenMs: { median: 350, sigma: 0.35 },
    tokensPerSecond: 150,
    errorRate: 0.006,
    pricePerMillion: { input: 0.15, output: 0.6 },
  },
  "google/gemini-2.0-flash": {
    provider: "google",
    model: "gemini-2.0-flash",
    firstTokenMs: { median: 300, sigma: 0.35 },
    tokensPerSecond: 180,
    errorRate: 0.008,
    pricePerMillion: { input: 0.1, output: 0.4 },
  },
  "openai/gpt-4.1": {
    provider: "openai",
    model: "gpt-4.1",
    firstTokenMs: { median: 500, sigma: 0.35 },
    tokensPerSecond: 100,
    errorRate: 0.006,
    pricePerMillion: { input: 2, output: 8 },
  },
  "openai/text-embedding-3-small": {
    provider: "openai",
    model: "text-embedding-3-small",
    firstTokenMs: { median: 110, sigma: 0.4 },
    tokensPerSecond: 0,
    errorRate: 0.004,
    pricePerMillion: { input: 0.02, output: 0 },
  },
} satisfies Record<string, ModelProfile>;

export type ModelName = keyof typeof MODELS;

/** What the orchestrator runs for a target: the snapshot config the simulator publishes and reads back. */
export interface RouteConfig {
  routes: { use: ModelName; weight: number }[];
  timeoutMs: number;
}

/** The requests a target serves: their rate and size. */
export interface Workload {
  requestsPerSecond: number;
  inputTokens: { median: number; sigma: number };
  outputTokens: { median: number; sigma: number };
  /** Responses stream to the user, so each successful request reports its time to first token. */
  streaming?: boolean;
}

/** What the simulator sends per request, as POST /api/v1/ingest takes it. */
export interface RequestEvent {
  ts: number;
  latencyMs: number;
  ok: boolean;
  costUsd: number;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** Streaming workloads only, on requests that produced output. */
  ttftMs?: number;
  /** The snapshot version that served the request, as an orchestrator reports it (docs/API.md). */
  snapshotVersion?: number;
  /** The flags as evaluated for this request (docs/API.md), when the served config has any. */
  flags?: Record<string, boolean>;
}

/** A flag as config delivery serves it. */
export interface ServedFlag {
  key: string;
  enabled: boolean;
  percent: number;
}

/**
 * Evaluates the served flags for one request, as an orchestrator would: an enabled flag is on for `percent`% of
 * requests, drawn at random per request.
 */
export function evaluateFlags(flags: readonly ServedFlag[], random: Random): Record<string, boolean> {
  return Object.fromEntries(flags.map((flag) => [flag.key, flag.enabled && random() * 100 < flag.percent]));
}

/** Reads a route config back from a snapshot; null when it is not one of ours. */
export function parseRouteConfig(config: unknown): RouteConfig | null {
  if (typeof config !== "object" || config === null) return null;
  const { routes, timeoutMs } = config as Partial<RouteConfig>;
  if (!Array.isArray(routes) || typeof timeoutMs !== "number") return null;
  const valid = routes.every(
    (route) => typeof route?.use === "string" && route.use in MODELS && typeof route.weight === "number",
  );
  return valid && routes.length > 0 ? { routes, timeoutMs } : null;
}

function pickWeighted<T extends { weight: number }>(items: readonly T[], random: Random): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let draw = random() * total;
  for (const item of items) {
    draw -= item.weight;
    if (draw < 0) return item;
  }
  return items[items.length - 1] as T;
}

/** One request on one model. `extraErrorRate` adds failures on top of the model's own (an error burst). */
export function simulateRequest(
  profile: ModelProfile,
  workload: Workload,
  options: { ts: number; timeoutMs: number; random: Random; extraErrorRate?: number },
): RequestEvent {
  const { ts, timeoutMs, random } = options;
  const inputTokens = Math.max(
    1,
    Math.round(logNormal(random, workload.inputTokens.median, workload.inputTokens.sigma)),
  );
  const base = { ts, provider: profile.provider, model: profile.model, inputTokens };
  const inputCost = (inputTokens * profile.pricePerMillion.input) / 1e6;
  if (random() < profile.errorRate + (options.extraErrorRate ?? 0)) {
    // Refused before any work: fast, nothing billed.
    return { ...base, latencyMs: Math.round(logNormal(random, 250, 0.6)), ok: false, costUsd: 0, outputTokens: 0 };
  }
  const visible =
    workload.outputTokens.median > 0
      ? Math.max(1, Math.round(logNormal(random, workload.outputTokens.median, workload.outputTokens.sigma)))
      : 0;
  const outputTokens = Math.round(visible * (profile.outputTokenFactor ?? 1));
  const firstToken = logNormal(random, profile.firstTokenMs.median, profile.firstTokenMs.sigma);
  const generation = profile.tokensPerSecond > 0 ? (visible / profile.tokensPerSecond) * 1000 : 0;
  const latencyMs = Math.round(firstToken + generation * logNormal(random, 1, 0.15));
  if (latencyMs >= timeoutMs) {
    // The client gave up; the input was still billed.
    return { ...base, latencyMs: timeoutMs, ok: false, costUsd: round6(inputCost), outputTokens: 0 };
  }
  const costUsd = inputCost + (outputTokens * profile.pricePerMillion.output) / 1e6;
  const streamed = workload.streaming && visible > 0 && { ttftMs: Math.min(Math.round(firstToken), latencyMs) };
  return { ...base, latencyMs, ok: true, costUsd: round6(costUsd), outputTokens, ...streamed };
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * The configurations a target serves at once: one normally, two weighted ones during a rollback, each with the
 * snapshot version it came from (reported on every request it serves).
 */
export type TrafficSplit = readonly { config: RouteConfig; weight: number; version?: number }[];

/**
 * The requests of [from, to): a Poisson number at the workload's rate × `speed`, timestamps spread evenly at
 * random, each routed to a configuration of the split by weight and then to one of its routes by weight.
 */
export function generateEvents(input: {
  from: number;
  to: number;
  workload: Workload;
  split: TrafficSplit;
  random: Random;
  speed?: number;
  /** Failures on top of each model's own at `ts` (error bursts, a provider outage). */
  extraErrorRate?: (ts: number, model: ModelName) => number;
}): RequestEvent[] {
  const { from, to, workload, split, random } = input;
  if (to <= from || split.length === 0) return [];
  const count = poisson(random, ((workload.requestsPerSecond * (input.speed ?? 1) * (to - from)) / 1000) | 0);
  const events: RequestEvent[] = [];
  for (let i = 0; i < count; i++) {
    const ts = from + Math.floor(random() * (to - from));
    const { config, version } = pickWeighted(split, random);
    const route = pickWeighted(config.routes, random);
    const event = simulateRequest(MODELS[route.use], workload, {
      ts,
      timeoutMs: config.timeoutMs,
      random,
      extraErrorRate: input.extraErrorRate?.(ts, route.use) ?? 0,
    });
    events.push(version === undefined ? event : { ...event, snapshotVersion: version });
  }
  return events.sort((a, b) => a.ts - b.ts);
}

/**
 * Short provider hiccups on healthy traffic: now and then a few seconds of extra failures, at most one every
 * `minGapMs`, small enough never to make a violation on their own. Deterministic for a given random source.
 */
export class ErrorBursts {
  #bursts: { start: number; end: number; rate: number }[] = [];
  #plannedUntil: number;

  constructor(
    private readonly random: Random,
    start: number,
    private readonly options = { meanGapMs: 90_000, minGapMs: 45_000, maxLengthMs: 6_000, rate: 0.08 },
  ) {
    this.#plannedUntil = start;
  }

  /** Extra error rate at `ts` (times must be asked in roughly increasing order). */
  at(ts: number): number {
    while (this.#plannedUntil <= ts) {
      const { meanGapMs, minGapMs, maxLengthMs, rate } = this.options;
      const start = this.#plannedUntil + minGapMs + -Math.log(1 - this.random()) * (meanGapMs - minGapMs);
      const end = start + 2_000 + this.random() * (maxLengthMs - 2_000);
      this.#bursts.push({ start, end, rate });
      this.#plannedUntil = end;
    }
    this.#bursts = this.#bursts.filter((burst) => burst.end > ts - 600_000);
    return this.#bursts.find((burst) => burst.start <= ts && ts < burst.end)?.rate ?? 0;
  }
}
