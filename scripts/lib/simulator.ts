// The traffic simulator behind `npm run simulate`: plays an orchestrator in front of three demo targets. It
// sets them up through the config-as-code API, streams their traffic through signed ingestion, routes each
// request by the configuration Rewind serves (GET …/config, so a rollback's split changes the traffic), and
// deploys a bad configuration to one target so that the scenario's rollback plays out. HTTP only, except
// that without a key it uses its own key in the local database (simulatorApiKey, scripts/lib/local-api-key.ts).
import { randomBytes, randomUUID } from "node:crypto";
import { signRequestV2, type ApiKeyScope, type SignedRequestLine } from "../../server/domain/api-keys";
import type { PolicyInput } from "../../server/domain/policy";
import {
  encodeOtlpMetrics,
  liteLlmPayloads,
  OTLP_METRICS_BUCKET_MS,
  otlpMetrics,
  otlpTraces,
  VIA_PATHS,
  type Via,
} from "./intake-formats";
import {
  ErrorBursts,
  evaluateFlags,
  generateEvents,
  parseRouteConfig,
  seededRandom,
  type Random,
  type RequestEvent,
  type RouteConfig,
  type ServedFlag,
  type TrafficSplit,
  type ModelName,
  type Workload,
} from "./traffic";

export const SCENARIOS = ["healthy", "emergency", "gradual", "gradual-ttft", "cost", "bad-known-good"] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** What the simulator's requests need (it plays an orchestrator and a CI job), checked against apiKeyScopes. */
export const SIMULATOR_SCOPES = [
  "ingest",
  "config:read",
  "snapshots:write",
  "policies:write",
] as const satisfies readonly ApiKeyScope[];
const TICK_MS = 1_000;
const STATUS_EVERY_MS = 2_000;
const SUMMARY_EVERY_MS = 10_000;
const CYCLE_EVERY_MS = 2_000;
/** History sent at the start, so the first monitoring cycle has a full evaluation window to judge. */
const BACKFILL_MS = 120_000;
const MAX_EVENTS_PER_BATCH = 5_000;
/** `--via otlp-metrics`: how often each target's calls are exported, an SDK's periodic reader at Rewind's bucket width. */
const OTLP_EXPORT_EVERY_MS = OTLP_METRICS_BUCKET_MS;

/**
 * The demo policies react in seconds rather than minutes: a 30 s window, a streak of 2, steps 30 s apart (a
 * step as long as the window, so that a completed rollback is judged on traffic it served alone).
 * The bake (30 s) must outlast the time a bad deploy takes to show up as a violation (a bucket to fill and a
 * cycle to run, up to ~20 s with the 10 s scheduler), or the bad snapshot would be blessed as known-good first.
 * Step checks count each arm's traffic from 5 s after a step (the simulator reads its config every second) and
 * need 30 requests per arm, so a 25% arm of the smallest target gets its comparison within a step or two.
 */
function demoPolicy(overrides: PolicyInput, bakeTimeSeconds: number): PolicyInput {
  return {
    evaluationWindowSeconds: 30,
    minRequests: 30,
    consecutiveViolations: 2,
    steps: [25, 50, 100],
    stepIntervalSeconds: 30,
    configPickupSeconds: 5,
    stepMinRequests: 30,
    bakeTimeSeconds,
    verificationWindowSeconds: 60,
    approvalTimeoutSeconds: 900,
    ...overrides,
  };
}

type TargetRole = "chat" | "embeddings" | "summarize";

interface DemoTarget {
  role: TargetRole;
  name: string;
  description: string;
  workload: Workload;
  policy: PolicyInput;
  config: RouteConfig;
}

const DEMO_TARGETS: readonly DemoTarget[] = [
  {
    role: "chat",
    name: "Chat completions",
    description: "User-facing chat: GPT-4o with Claude Sonnet for 30% (simulated)",
    workload: {
      requestsPerSecond: 30,
      inputTokens: { median: 900, sigma: 0.6 },
      outputTokens: { median: 250, sigma: 0.5 },
      streaming: true,
    },
    policy: { maxErrorRate: 0.05, maxP95LatencyMs: 8_000, maxCostPerRequestUsd: 0.02, mode: "APPROVAL" },
    config: {
      routes: [
        { use: "openai/gpt-4o", weight: 70 },
        { use: "anthropic/claude-sonnet-4", weight: 30 },
      ],
      timeoutMs: 30_000,
    },
  },
  {
    role: "embeddings",
    name: "Embeddings",
    description: "Document and query embeddings for retrieval (simulated)",
    workload: {
      requestsPerSecond: 60,
      inputTokens: { median: 400, sigma: 0.8 },
      outputTokens: { median: 0, sigma: 0 },
    },
    policy: { maxErrorRate: 0.03, maxP95LatencyMs: 1_000, maxCostPerRequestUsd: 0.001, mode: "APPROVAL" },
    config: { routes: [{ use: "openai/text-embedding-3-small", weight: 100 }], timeoutMs: 10_000 },
  },
  {
    role: "summarize",
    name: "Summaries",
    description: "Batch summaries of long documents: small models, automatic rollbacks (simulated)",
    workload: {
      requestsPerSecond: 8,
      inputTokens: { median: 6_000, sigma: 0.5 },
      outputTokens: { median: 300, sigma: 0.4 },
    },
    policy: { maxErrorRate: 0.05, maxP95LatencyMs: 20_000, maxCostPerRequestUsd: 0.01, mode: "AUTOMATIC" },
    config: {
      routes: [
        { use: "openai/gpt-4o-mini", weight: 70 },
        { use: "google/gemini-2.0-flash", weight: 30 },
      ],
      timeoutMs: 60_000,
    },
  },
];

interface Incident {
  role: TargetRole;
  /** The bad deploy. */
  config: RouteConfig;
  label: string;
  story: string;
  expect: string;
  defaultDurationSeconds: number;
  /** Added to the incident target's demo policy from the start, for an SLO only this scenario judges. */
  policy?: PolicyInput;
  /** From when the rollback appears, this model (used by the known-good v1) fails this share of its requests. */
  knownGoodOutage?: { model: ModelName; errorRate: number };
}

const INCIDENTS: Record<Exclude<Scenario, "healthy">, Incident> = {
  emergency: {
    role: "chat",
    config: { routes: [{ use: "azure/gpt-4o-eastus2", weight: 100 }], timeoutMs: 30_000 },
    label: "move chat to azure eastus2",
    story: "v2 sends all chat traffic to an Azure deployment whose quota was cut: ~85% of requests fail",
    expect:
      "an emergency (errors over 3 × the 5% limit): Rewind rolls back to v1 at once, on the ingest request " +
      "that shows it, without waiting for a cycle or an approval",
    defaultDurationSeconds: 180,
  },
  gradual: {
    role: "chat",
    config: { routes: [{ use: "openai/o3", weight: 100 }], timeoutMs: 30_000 },
    label: "switch chat to o3",
    story: "v2 switches chat to a reasoning model: P95 latency climbs to ~18 s against an 8 s SLO",
    expect:
      "an SLO breach after 2 violating cycles: Rewind proposes a gradual rollback (25% → 50% → 100%) that " +
      "an approver must approve in the dashboard",
    defaultDurationSeconds: 1_200,
  },
  "gradual-ttft": {
    role: "chat",
    config: { routes: [{ use: "openai/gpt-4o-flex", weight: 100 }], timeoutMs: 30_000 },
    label: "move chat to the flex tier",
    story:
      "v2 moves chat to a cheaper processing tier whose requests queue before the first token: P95 time to " +
      "first token climbs to ~4.3 s against a 2 s SLO while P95 latency stays within its 8 s",
    expect:
      "a time-to-first-token breach after 2 violating cycles (latency still within its SLO): Rewind proposes a " +
      "gradual rollback (25% → 50% → 100%) that an approver must approve in the dashboard",
    defaultDurationSeconds: 1_200,
    // Only here: o3's first tokens in `gradual` would be an emergency against 3 × 2 s.
    policy: { maxTtftP95Ms: 2_000 },
  },
  cost: {
    role: "summarize",
    config: { routes: [{ use: "openai/gpt-4.1", weight: 100 }], timeoutMs: 60_000 },
    label: "upgrade summaries to gpt-4.1",
    story: "v2 upgrades summaries to gpt-4.1: cost per request goes from ~$0.001 to ~$0.016 against a $0.01 SLO",
    expect:
      "a cost-per-request breach after 2 violating cycles: this target's policy is AUTOMATIC, so Rewind rolls " +
      "back gradually on its own (25% → 50% → 100%)",
    defaultDurationSeconds: 600,
  },
  "bad-known-good": {
    role: "summarize",
    config: { routes: [{ use: "openai/gpt-4.1", weight: 100 }], timeoutMs: 60_000 },
    label: "upgrade summaries to gpt-4.1",
    story:
      "v2 upgrades summaries to gpt-4.1 (cost ~$0.016 against a $0.01 SLO); as the rollback starts, Google's API " +
      "begins failing 95% of requests, and the known-good v1 sends 30% of its traffic to gemini-2.0-flash",
    expect:
      "an automatic gradual rollback whose first step check finds the known-good v1 arm failing far more often " +
      "than v2: the gate ABORTs, all traffic returns to v2, the rollback ends FAILED and escalates",
    defaultDurationSeconds: 600,
    knownGoodOutage: { model: "google/gemini-2.0-flash", errorRate: 0.95 },
  },
};

export interface SimulationOptions {
  scenario: Scenario;
  /** Rewind's base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  /** An API key with SIMULATOR_SCOPES; without one, the local database's simulator key is used (local-api-key.ts). */
  key?: string;
  /** The key's signing secret; leave out for a key created with --unsigned. */
  secret?: string;
  /** Stop after this long at the latest (default by scenario: 60, 180, 1200, 1200, 600). */
  durationSeconds?: number;
  /** Traffic multiplier: 1 sends ~100 requests/s over the three targets. */
  speed?: number;
  /** Run cycles through /api/cron/monitor whenever the scenario waits on one (servers without the scheduler). */
  cronSecret?: string;
  /** Where the dashboard is, for links (default: APP_URL of the local .env, else `url`). */
  appUrl?: string;
  /** "completed" (default) runs until the rollback has ended; "rollback" stops as soon as one is active. */
  until?: "rollback" | "completed";
  /** Keep serving traffic after the scenario's outcome until `durationSeconds` (to try flag re-enablement). */
  linger?: boolean;
  /** Bake time of the demo policies (default 30 s; see demoPolicy before lowering it). */
  bakeTimeSeconds?: number;
  /** How traffic reaches Rewind: signed /api/v1/ingest (default), OTLP/JSON traces, OTLP metrics or LiteLLM payloads. */
  via?: Via;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface RollbackView {
  id: string;
  trigger: string;
  status: string;
  trafficPercent: number;
  currentStep: number;
  steps: number[];
  reason: string | null;
}

export interface SimulationResult {
  scenario: Scenario;
  targets: string[];
  /** The target the scenario degrades (null for healthy). */
  incidentTarget: string | null;
  eventsSent: number;
  batches: number;
  /** The last state seen of the rollback the scenario caused. */
  rollback: RollbackView | null;
  /** How Rewind judged the completed rollback on v1's own traffic (EFFECTIVE, INEFFECTIVE, INCONCLUSIVE). */
  verification: string | null;
  outcome:
    "ran" | "rollback-active" | "rolled-back" | "rollback-ended" | "gate-aborted" | "no-rollback" | "interrupted";
}

/** A problem the person running the simulator can fix; the CLI prints its message alone. */
export class SimulatorError extends Error {}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface ApiResponse<Body = unknown> {
  status: number;
  headers: Headers;
  /** JSON from the server, trusted to follow docs/API.md. */
  body: Body;
}

interface SnapshotBody {
  id: string;
  version: number;
}

interface IngestBody {
  action: {
    verdict: { status: string; severity: string | null; explanation: string };
    decision: string;
    rollback: { id: string; status: string } | null;
  } | null;
}

/** A machine client as docs/API.md describes one: bearer key, signed bodies, JSON errors. */
class RewindClient {
  readonly #used = new Map<string, number>();

  constructor(
    readonly baseUrl: string,
    private readonly key: string,
    private readonly secret: string | null,
  ) {}

  /** `raw`: a body sent as it is, unsigned (the intake routes read no signature); its answer is not read as JSON. */
  async request<Body = unknown>(
    method: string,
    path: string,
    options: {
      body?: unknown;
      raw?: { bytes: Uint8Array; contentType: string };
      headers?: Record<string, string>;
      accept?: number[];
    } = {},
  ): Promise<ApiResponse<Body>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}`, ...options.headers };
    let raw: string | Uint8Array<ArrayBuffer> | undefined;
    if (options.raw) {
      raw = new Uint8Array(options.raw.bytes);
      headers["content-type"] = options.raw.contentType;
    } else if (options.body !== undefined) {
      raw = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
      if (this.secret !== null) {
        const { pathname, search } = new URL(`${this.baseUrl}${path}`);
        headers["x-rewind-signature"] = await this.sign({ method, path: `${pathname}${search}`, rawBody: raw });
      }
    }
    const response = await fetchOrExplain(`${this.baseUrl}${path}`, { method, headers, body: raw });
    const text = await response.text();
    const json = /json/.test(response.headers.get("content-type") ?? "application/json");
    const body: unknown = text && json ? JSON.parse(text) : null;
    if (response.status >= 400 && !options.accept?.includes(response.status)) {
      const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(response.status, error?.code ?? "HTTP", error?.message ?? `HTTP ${response.status}`);
    }
    return { status: response.status, headers: response.headers, body: body as Body };
  }

  /**
   * Signs method, path and body (v2). Rewind refuses a signature twice: an identical request in the same second
   * waits for the next one.
   */
  private async sign(request: SignedRequestLine & { rawBody: string }): Promise<string> {
    for (;;) {
      const now = Date.now();
      const signature = signRequestV2(this.secret ?? "", Math.floor(now / 1000), request);
      if (!this.#used.has(signature)) {
        for (const [used, at] of this.#used) if (at < now - 10_000) this.#used.delete(used);
        this.#used.set(signature, now);
        return signature;
      }
      await sleep(1_000 - (now % 1_000) + 5);
    }
  }
}

async function fetchOrExplain(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const origin = new URL(url).origin;
    throw new SimulatorError(
      `Rewind is not reachable at ${origin} (${cause?.code ?? cause?.message ?? String(error)}). ` +
        "Start it with `npm start`, or point --url at a running server.",
    );
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

interface SimTarget extends DemoTarget {
  slug: string;
  random: Random;
  /**
   * Provider hiccups on healthy traffic; none on the incident's target, whose story is its deploy alone: a
   * hiccup just after a configuration change lands in a window cut to that configuration's few seconds, where 6 s
   * of extra failures are most of what is judged and read as an error-rate violation the scenario did not cause.
   */
  bursts: ErrorBursts | null;
  /** Snapshot id → version, for what we published. */
  versions: Map<string, number>;
  v1Id: string;
  split: TrafficSplit;
  splitLabel: string;
  /** The flags the served config carries; each request reports how they evaluated for it. */
  flags: ServedFlag[];
  etag: string | null;
  sentUntil: number;
  lastVerdict: string | null;
  knownGood: string | null;
}

interface StatusBody {
  snapshots: { current: string | null; knownGood: string | null };
  verdict: { status: string; severity: string | null; consecutiveCount: number; explanation: string | null } | null;
  rollback:
    (RollbackView & { approvalCount: number; approvalsRequired: number; lastStepCheck: StepCheckBody | null }) | null;
  lastRollback: { id: string; verification: string | null; lastStepCheck: StepCheckBody | null } | null;
}

/** `rollback.lastStepCheck` of the status endpoint (docs/API.md). */
interface StepCheckBody {
  outcome: string;
  checkedAt: string;
  perArm: boolean;
  step: number;
  arms: { arm: string; version: number | null; requests: number }[];
  slos: {
    slo: string;
    knownGood: number | null;
    current: number | null;
    pValue: number | null;
    worse: string | null;
  }[];
}

const formatCount = (value: number) => Math.round(value).toLocaleString("en-US");

/** Runs one scenario to its end; the CLI is a thin wrapper around it. */
export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const { scenario, signal } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const started = Date.now();
  const stamp = (line: string) => log(`[${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s] ${line}`);
  const baseUrl = options.url.replace(/\/+$/, "");
  const incident = scenario === "healthy" ? null : INCIDENTS[scenario];
  const durationMs = (options.durationSeconds ?? incident?.defaultDurationSeconds ?? 60) * 1000;
  const speed = options.speed ?? 1;
  const until = options.until ?? "completed";
  const via = options.via ?? "ingest";
  const runId = randomBytes(2).toString("hex");
  const slugOf = (role: TargetRole) => `sim-${runId}-${role}`;

  log(`Rewind traffic simulator: scenario "${scenario}" against ${baseUrl}`);
  if (via !== "ingest") {
    const what = {
      otlp: "OTLP/JSON GenAI spans",
      "otlp-metrics": `OTLP GenAI metrics, one protobuf export per target every ${OTLP_EXPORT_EVERY_MS / 1000} s`,
      litellm: "LiteLLM payloads",
    }[via];
    log(
      `Traffic goes through ${VIA_PATHS[via]} (${what}), unsigned with the key as a bearer token; it carries the ` +
        "snapshot version but no per-request flags.",
    );
  }
  await checkHealth(baseUrl);

  let key = options.key;
  let secret = options.secret ?? null;
  let appUrl = options.appUrl;
  const keyIsLocal = !key;
  if (!key) {
    const { simulatorApiKey } = await import("./local-api-key");
    const local = await simulatorApiKey(SIMULATOR_SCOPES);
    key = local.key;
    secret = local.signingSecret;
    appUrl ??= process.env.APP_URL || undefined;
    log(
      `No --key given: ${local.reused ? "reusing" : "created"} API key "${local.name}" (${local.prefix}…) in ` +
        `${local.database} (kept in data/ for the next runs; revoke it in Settings when done).`,
    );
  }
  const dashboard = (appUrl ?? baseUrl).replace(/\/+$/, "");
  const client = new RewindClient(baseUrl, key, secret);
  const refusal = (error: unknown): never => {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      const hint = keyIsLocal
        ? "The key was created in the local database: is the server at that URL using the same DATABASE_URL " +
          "and API_KEY_ENCRYPTION_KEY (.env and data/)? Otherwise pass --key and --secret."
        : "Check --key and --secret; create a key with `npm run apikey:create -- --name simulator --scopes " +
          `${SIMULATOR_SCOPES.join(",")}\`.`;
      throw new SimulatorError(`Rewind refused the API key (${error.status} ${error.code}: ${error.message}). ${hint}`);
    }
    throw error;
  };

  // Targets, policies and the first configuration, as a CI job would apply them from git.
  const bakeTimeSeconds = options.bakeTimeSeconds ?? 30;
  const targets: SimTarget[] = [];
  const seed = Number.parseInt(runId, 16);
  for (const [index, demo] of DEMO_TARGETS.entries()) {
    const slug = slugOf(demo.role);
    const policy = demoPolicy(
      { ...demo.policy, ...(incident?.role === demo.role && incident.policy) },
      bakeTimeSeconds,
    );
    await client
      .request("PUT", `/api/v1/targets/${slug}`, {
        body: { name: `${demo.name} (sim ${runId})`, description: demo.description },
      })
      .catch(refusal);
    const saved = await client
      .request<{ version: number }>("PUT", `/api/v1/targets/${slug}/policy`, { body: policy })
      .catch(refusal);
    const v1 = await client
      .request<SnapshotBody>("POST", `/api/v1/targets/${slug}/snapshots`, {
        body: { label: "initial config", config: demo.config },
      })
      .catch(refusal);
    const random = seededRandom(seed * 31 + index);
    targets.push({
      ...demo,
      slug,
      random,
      bursts: incident?.role === demo.role ? null : new ErrorBursts(random, started - BACKFILL_MS),
      versions: new Map([[v1.body.id, v1.body.version]]),
      v1Id: v1.body.id,
      split: [{ config: demo.config, weight: 100, version: v1.body.version }],
      splitLabel: "v1",
      flags: [],
      etag: null,
      sentUntil: started - BACKFILL_MS,
      lastVerdict: null,
      knownGood: null,
    });
    log(
      `Created target ${slug} with policy v${saved.body.version} (${policy.mode}: errors ≤ ${percent(demo.policy.maxErrorRate ?? 0)}, ` +
        `P95 ≤ ${formatCount(demo.policy.maxP95LatencyMs ?? 0)} ms, ≤ $${demo.policy.maxCostPerRequestUsd}/request` +
        `${policy.maxTtftP95Ms === undefined ? "" : `, P95 TTFT ≤ ${formatCount(policy.maxTtftP95Ms)} ms`} over 30 s) ` +
        `and snapshot v${v1.body.version} (${describeConfig(demo.config)})`,
    );
  }
  const focus = incident ? targets.find((target) => target.role === incident.role) : undefined;

  let eventsSent = 0;
  let batches = 0;
  let sentSinceSummary = 0;
  let lastStatusAt = 0;
  /** OTLP metrics: calls wait for their target's next export, as an SDK's periodic reader holds them. */
  const unexported = new Map<SimTarget, { events: RequestEvent[]; exportedAt: number }>();
  const send = async (target: SimTarget, generated: RequestEvent[], exportNow = false) => {
    let events = generated;
    if (via === "otlp-metrics") {
      const pending = unexported.get(target) ?? { events: [], exportedAt: Date.now() };
      unexported.set(target, pending);
      pending.events.push(...generated);
      if (!exportNow && Date.now() - pending.exportedAt < OTLP_EXPORT_EVERY_MS) return;
      events = pending.events.splice(0);
      pending.exportedAt = Date.now();
    }
    // OTLP/JSON and LiteLLM payloads are several times the size of an ingest event: smaller batches keep them
    // under the 2 MB body limit. A metrics export is one request whatever its calls.
    const batchSize =
      via === "ingest"
        ? MAX_EVENTS_PER_BATCH
        : via === "otlp-metrics"
          ? Math.max(1, events.length)
          : MAX_EVENTS_PER_BATCH / 5;
    for (let i = 0; i < events.length; i += batchSize) {
      const batch = events.slice(i, i + batchSize);
      const response = await deliver(client, target.slug, batch, via).catch(refusal);
      if (!response) {
        stamp(`${target.slug}: a batch of ${batch.length} events failed three times and was dropped`);
        continue;
      }
      eventsSent += batch.length;
      sentSinceSummary += batch.length;
      batches++;
      const action = via === "ingest" ? response.body.action : null;
      if (action) {
        lastStatusAt = 0;
        stamp(
          `${target.slug}: Rewind acted on this batch at once: ${action.verdict.status}/${action.verdict.severity ?? "-"} → ` +
            `${action.decision}${action.rollback ? `, rollback ${action.rollback.id} ${action.rollback.status}` : ""}. ${action.verdict.explanation}`,
        );
      }
    }
  };

  // The recent past, so that the first cycle has a full evaluation window.
  await Promise.all(
    targets.map((target) => {
      const events = generateEvents({
        from: target.sentUntil,
        to: started,
        workload: target.workload,
        split: target.split,
        random: target.random,
        speed,
        extraErrorRate: (ts) => target.bursts?.at(ts) ?? 0,
      });
      target.sentUntil = started;
      return send(target, events, true);
    }),
  );
  sentSinceSummary = 0;
  log(
    `Backfilled the last ${BACKFILL_MS / 1000} s of traffic (${formatCount(eventsSent)} events) so Rewind has a window to judge`,
  );
  if (incident && focus) {
    log(
      `Plan: once v1 of ${focus.slug} is known-good (bake ${bakeTimeSeconds} s and a healthy cycle), deploy v2: ${incident.story}.`,
    );
    log(`Expected: ${incident.expect}.`);
  } else {
    log(`Plan: ${Math.round(durationMs / 1000)} s of healthy traffic; watch the verdicts and v1 becoming known-good.`);
  }
  if (options.cronSecret)
    log("Running monitoring cycles through /api/cron/monitor whenever the scenario waits on one.");
  else log("Monitoring cycles: the server's built-in scheduler (every 10 s by default).");

  type Phase = "warmup" | "incident" | "rollback" | "verifying";
  let phase: Phase = "warmup";
  let phaseSince = Date.now();
  let rollback: RollbackView | null = null;
  let outcome: SimulationResult["outcome"] | null = null;
  let lastSummaryAt = Date.now();
  let lastCycleAt = 0;
  let lastApprovalHintAt = 0;
  let breachWithoutRollback = 0;
  let verification: string | null = null;
  let lastCheckAt: string | null = null;
  /** The scenario's provider outage on the known-good configuration, from when the rollback appears. */
  const outageRate = (target: SimTarget, model: ModelName) =>
    target === focus && phase !== "warmup" && phase !== "incident" && incident?.knownGoodOutage?.model === model
      ? incident.knownGoodOutage.errorRate
      : 0;
  const statuses = new Map<string, StatusBody>();

  const versionOf = (target: SimTarget, id: string | null) =>
    id === null ? "none" : target.versions.has(id) ? `v${target.versions.get(id)}` : id;

  /** The orchestrator's side of one tick: read the served configuration (a rollback's split included), serve, report. */
  const serveTraffic = async () => {
    await Promise.all(targets.map((target) => refreshSplit(client, target, stamp)));
    await Promise.all(
      targets.map((target) => {
        const now = Date.now();
        const events = generateEvents({
          from: target.sentUntil,
          to: now,
          workload: target.workload,
          split: target.split,
          random: target.random,
          speed,
          extraErrorRate: (ts, model) => (target.bursts?.at(ts) ?? 0) + outageRate(target, model),
        });
        target.sentUntil = now;
        if (target.flags.length === 0) return send(target, events);
        return send(
          target,
          events.map((event) => ({ ...event, flags: evaluateFlags(target.flags, target.random) })),
        );
      }),
    );
  };

  while (outcome === null) {
    const tickStart = Date.now();
    if (signal?.aborted) {
      outcome = "interrupted";
      break;
    }

    await serveTraffic();

    const needsCycle = phase === "warmup" || phase === "rollback" || phase === "verifying" || scenario !== "emergency";
    if (options.cronSecret && needsCycle && tickStart - lastCycleAt >= CYCLE_EVERY_MS) {
      lastCycleAt = tickStart;
      await runCycle(baseUrl, options.cronSecret);
    }

    if (tickStart - lastStatusAt >= STATUS_EVERY_MS) {
      lastStatusAt = tickStart;
      for (const target of targets) {
        const { body: status } = await client
          .request<StatusBody>("GET", `/api/v1/targets/${target.slug}/status`)
          .catch(refusal);
        statuses.set(target.slug, status);
        const verdict = status.verdict;
        // A violation's streak is news; a breach repeated by each cycle while the rollback runs is not.
        const verdictKey = verdict
          ? `${verdict.status}/${verdict.severity}${verdict.status === "VIOLATION" ? `/${verdict.consecutiveCount}` : ""}`
          : null;
        // Every target's first verdict, then the incident target's changes and anything unhealthy elsewhere.
        const quiet = target !== focus && verdict?.status === "HEALTHY" && target.lastVerdict?.startsWith("HEALTHY");
        if (verdict && verdictKey !== target.lastVerdict && !quiet) {
          const severity = verdict.severity ? `/${verdict.severity}` : "";
          stamp(`${target.slug}: ${verdict.status}${severity}: ${verdict.explanation ?? ""}`);
        }
        target.lastVerdict = verdictKey;
        if (status.snapshots.knownGood !== target.knownGood) {
          target.knownGood = status.snapshots.knownGood;
          if (target.knownGood) stamp(`${target.slug}: ${versionOf(target, target.knownGood)} is known-good now`);
        }
      }
      const status = focus ? statuses.get(focus.slug) : undefined;

      if (focus && incident && phase === "warmup") {
        if (focus.knownGood === focus.v1Id) {
          const v2 = await client
            .request<SnapshotBody>("POST", `/api/v1/targets/${focus.slug}/snapshots`, {
              body: { label: incident.label, config: incident.config },
            })
            .catch(refusal);
          focus.versions.set(v2.body.id, v2.body.version);
          stamp(
            `Deployed v${v2.body.version} to ${focus.slug} (${describeConfig(incident.config)}): ${incident.story}`,
          );
          phase = "incident";
          phaseSince = Date.now();
        } else if (Date.now() - phaseSince > (bakeTimeSeconds + 90) * 1000) {
          throw new SimulatorError(
            `v1 of ${focus.slug} did not become known-good within ${bakeTimeSeconds + 90} s ` +
              `(latest verdict: ${status?.verdict?.status ?? "none yet"}). ` +
              (status?.verdict
                ? "Is monitoring paused (Settings)?"
                : "No monitoring cycle has judged it: is the server's scheduler off (MONITOR_SCHEDULER=off)? " +
                  "Pass --cron-secret to run cycles through /api/cron/monitor."),
          );
        }
      }

      if (focus && status && phase !== "warmup") {
        const seen = status.rollback;
        // The check first: it explains the traffic change reported next.
        const check =
          seen?.lastStepCheck ?? (status.lastRollback?.id === rollback?.id ? status.lastRollback?.lastStepCheck : null);
        if (check && check.checkedAt !== lastCheckAt && rollback) {
          lastCheckAt = check.checkedAt;
          stamp(`${focus.slug}: ${describeStepCheck(check, rollback.steps.length)}`);
        }
        if (
          seen &&
          (!rollback ||
            rollback.id !== seen.id ||
            rollback.status !== seen.status ||
            rollback.trafficPercent !== seen.trafficPercent)
        ) {
          if (!rollback || rollback.id !== seen.id) {
            stamp(`${focus.slug}: rollback ${seen.id} (${seen.trigger}) to v1: ${seen.reason ?? ""}`);
          }
          const jumped =
            rollback?.status === "IN_PROGRESS" &&
            seen.status === "IN_PROGRESS" &&
            seen.currentStep > rollback.currentStep + 1;
          if (jumped) {
            stamp(`${focus.slug}: the step check found v2 worse than v1: Rewind jumped to 100% and escalated`);
          }
          stamp(
            `${focus.slug}: rollback ${seen.status}` +
              (seen.status === "IN_PROGRESS"
                ? `: ${seen.trafficPercent}% of traffic on v1 (step ${seen.currentStep + 1} of ${seen.steps.length}: ${seen.steps.join("% → ")}%)`
                : seen.status === "PENDING_APPROVAL"
                  ? `: ${seen.approvalCount} of ${seen.approvalsRequired} approval(s)`
                  : ""),
          );
          rollback = pickRollback(seen);
          phase = "rollback";
          if (until === "rollback") outcome = "rollback-active";
        }
        if (seen?.status === "PENDING_APPROVAL" && Date.now() - lastApprovalHintAt >= 60_000) {
          lastApprovalHintAt = Date.now();
          stamp(`Waiting for an approver: approve it at ${dashboard}/approvals (sign in as an approver or admin)`);
        }
        if (!seen && rollback && phase === "rollback") {
          const completed = status.snapshots.current === focus.v1Id;
          rollback = { ...rollback, status: completed ? "COMPLETED" : "ENDED" };
          stamp(
            completed
              ? `${focus.slug}: rollback completed: v1 is the current configuration again`
              : `${focus.slug}: the rollback ended without completing (rejected, cancelled, expired or failed)`,
          );
          if (completed) {
            phase = "verifying";
            stamp(`${focus.slug}: verifying the rollback on v1's own traffic after completion…`);
          } else if (check?.outcome === "ABORT") {
            stamp(
              `${focus.slug}: the step gate stopped the rollback: the known-good v1 served worse than v2, so all ` +
                "traffic went back to v2 and Rewind escalated (status FAILED)",
            );
            outcome = "gate-aborted";
          } else outcome = "rollback-ended";
        }
        const judged: StatusBody["lastRollback"] = phase === "verifying" ? status.lastRollback : null;
        if (judged && judged.id === rollback?.id && judged.verification && judged.verification !== "PENDING") {
          verification = judged.verification;
          stamp(`${focus.slug}: rollback verification: ${verification}`);
          outcome = "rolled-back";
        }
        if (!seen && !rollback && status.verdict?.status === "BREACH" && ++breachWithoutRollback === 3) {
          stamp(
            `${focus.slug}: Rewind records a breach but started no rollback: is monitoring paused or the emergency ` +
              `stop active? See ${dashboard}/`,
          );
        }
      }
    }

    if (tickStart - lastSummaryAt >= SUMMARY_EVERY_MS) {
      const seconds = (tickStart - lastSummaryAt) / 1000;
      const verdicts = targets
        .map((target) => `${target.role} ${statuses.get(target.slug)?.verdict?.status ?? "…"} (${target.splitLabel})`)
        .join(" · ");
      stamp(`${formatCount(sentSinceSummary / seconds)} events/s · ${verdicts}`);
      lastSummaryAt = tickStart;
      sentSinceSummary = 0;
    }

    if (outcome === null && Date.now() - started >= durationMs) {
      outcome =
        scenario === "healthy"
          ? "ran"
          : rollback
            ? phase === "verifying"
              ? "rolled-back"
              : "rollback-active"
            : "no-rollback";
      if (scenario !== "healthy") stamp(`Stopping after ${Math.round(durationMs / 1000)} s (--duration)`);
    }
    if (outcome === null) await sleep(Math.max(0, TICK_MS - (Date.now() - tickStart)), signal);
  }

  if (options.linger && outcome !== "interrupted" && Date.now() - started < durationMs && !signal?.aborted) {
    stamp(
      `Scenario over (${outcome}): still serving traffic, by the configuration and flags Rewind serves, until ` +
        `--duration ends or Ctrl+C — e.g. re-enable the kill switches at ${dashboard}/flags`,
    );
    let lastLingerCycleAt = 0;
    while (Date.now() - started < durationMs && !signal?.aborted) {
      const tickStart = Date.now();
      await serveTraffic();
      if (options.cronSecret && tickStart - lastLingerCycleAt >= CYCLE_EVERY_MS) {
        lastLingerCycleAt = tickStart;
        await runCycle(baseUrl, options.cronSecret);
      }
      if (tickStart - lastSummaryAt >= SUMMARY_EVERY_MS) {
        const flags = targets.flatMap((target) => target.flags.filter((flag) => flag.enabled));
        const served = targets.map((target) => `${target.role} ${target.splitLabel}`).join(" · ");
        const on = [...new Map(flags.map((flag) => [flag.key, `${flag.key} ${flag.percent}%`])).values()];
        stamp(
          `${formatCount((sentSinceSummary * 1000) / (tickStart - lastSummaryAt))} events/s · ${served}` +
            (on.length > 0 ? ` · flags on: ${on.join(", ")}` : ""),
        );
        lastSummaryAt = tickStart;
        sentSinceSummary = 0;
      }
      await sleep(Math.max(0, TICK_MS - (Date.now() - tickStart)), signal);
    }
  }

  const seconds = Math.round((Date.now() - started) / 1000);
  log("");
  const sentAs = {
    ingest: "signed batches",
    otlp: "OTLP exports",
    "otlp-metrics": "OTLP metric exports",
    litellm: "LiteLLM batches",
  }[via];
  log(`Done after ${seconds} s: ${formatCount(eventsSent)} events in ${formatCount(batches)} ${sentAs}.`);
  const endings: Record<SimulationResult["outcome"], string> = {
    ran: "Healthy traffic only: no rollback was expected.",
    "rolled-back": `${focus?.slug} was rolled back to v1 (${rollback?.trigger}); verification: ${verification ?? "not judged yet"}.`,
    "rollback-active": `${focus?.slug} has an active rollback: ${rollback?.status}, ${rollback?.trafficPercent}% of its traffic on v1.`,
    "rollback-ended": `${focus?.slug}'s rollback ended without completing.`,
    "gate-aborted": `${focus?.slug}'s rollback was stopped by its step check: the known-good v1 was worse than v2.`,
    "no-rollback": `No rollback of ${focus?.slug} appeared in time.`,
    interrupted: "Interrupted.",
  };
  log(endings[outcome]);
  log(`Dashboard: ${dashboard}/ · rollbacks ${dashboard}/rollbacks · audit ${dashboard}/audit`);
  return {
    scenario,
    targets: targets.map((target) => target.slug),
    incidentTarget: focus?.slug ?? null,
    eventsSent,
    batches,
    rollback,
    verification,
    outcome,
  };
}

async function checkHealth(baseUrl: string): Promise<void> {
  const response = await fetchOrExplain(`${baseUrl}/api/health`, {});
  if (!response.ok) {
    throw new SimulatorError(
      `Rewind at ${baseUrl} answers its health check with ${response.status}: ${(await response.text()).slice(0, 300)}`,
    );
  }
}

/** One batch, with an Idempotency-Key so that a retry after a timeout or a 5xx counts once. */
/**
 * Posts one batch the way `via` names, retrying what a sender would retry. Only /api/v1/ingest answers with the
 * action Rewind took on the batch; the other formats answer as their senders expect (OTLP partial success).
 */
async function deliver(
  client: RewindClient,
  slug: string,
  events: RequestEvent[],
  via: Via,
): Promise<ApiResponse<IngestBody> | null> {
  const request: Parameters<RewindClient["request"]>[2] =
    via === "otlp"
      ? { body: otlpTraces(slug, events), headers: {} }
      : via === "otlp-metrics"
        ? { raw: { bytes: encodeOtlpMetrics(otlpMetrics(slug, events)), contentType: "application/x-protobuf" } }
        : via === "litellm"
          ? { body: liteLlmPayloads(events), headers: { "x-rewind-target": slug } }
          : { body: { target: slug, events }, headers: { "idempotency-key": randomUUID() } };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await client.request<IngestBody>("POST", VIA_PATHS[via], request);
    } catch (error) {
      const retryable =
        error instanceof ApiError && (error.status >= 500 || error.status === 409 || error.status === 429);
      if (!retryable) throw error;
      await sleep(500 * 2 ** attempt);
    }
  }
  return null;
}

interface Served {
  id: string;
  version: number;
  config: unknown;
}

interface ServedConfig {
  snapshot: Served | null;
  rollback: { split: (Served & { weight: number })[] } | null;
  flags?: ServedFlag[];
}

/** Polls the served configuration (304 when unchanged) and routes by it, as an orchestrator would. */
async function refreshSplit(client: RewindClient, target: SimTarget, stamp: (line: string) => void): Promise<void> {
  const response = await client.request<ServedConfig>("GET", `/api/v1/targets/${target.slug}/config`, {
    headers: target.etag ? { "if-none-match": target.etag } : {},
    accept: [304],
  });
  if (response.status === 304) return;
  target.etag = response.headers.get("etag");
  const body = response.body;
  target.flags = body.flags ?? [];
  const served: (Served & { weight: number })[] =
    body.rollback?.split ?? (body.snapshot ? [{ ...body.snapshot, weight: 100 }] : []);
  const split = served.flatMap((entry) => {
    const config = parseRouteConfig(entry.config);
    return config ? [{ config, weight: entry.weight, version: entry.version }] : [];
  });
  if (split.length === 0) return;
  const label = served.map((entry) => `v${entry.version}${served.length > 1 ? ` ${entry.weight}%` : ""}`).join(" + ");
  if (label !== target.splitLabel) stamp(`${target.slug}: now serving ${label}`);
  target.split = split;
  target.splitLabel = label;
}

async function runCycle(baseUrl: string, cronSecret: string): Promise<void> {
  const response = await fetchOrExplain(`${baseUrl}/api/cron/monitor`, {
    method: "POST",
    headers: { authorization: `Bearer ${cronSecret}` },
  });
  if (response.status === 401) throw new SimulatorError("The server refused --cron-secret (401)");
  if (response.status === 503) {
    throw new SimulatorError("The server has no CRON_SECRET set: leave out --cron-secret and let its scheduler run");
  }
  await response.body?.cancel();
}

function pickRollback(status: RollbackView): RollbackView {
  const { id, trigger, status: state, trafficPercent, currentStep, steps, reason } = status;
  return { id, trigger, status: state, trafficPercent, currentStep, steps, reason };
}

function describeConfig(config: RouteConfig): string {
  return config.routes.map((route) => `${route.use} ${route.weight}%`).join(", ");
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

/** "step check at step 1 of 3: ABORT · known-good v1 40 requests, 28.1% errors · current v2 … · p: error rate 2e-9, …" */
function describeStepCheck(check: StepCheckBody, steps: number): string {
  const errors = check.slos.find((slo) => slo.slo === "ERROR_RATE");
  const names: Record<string, string> = {
    KNOWN_GOOD: "known-good",
    CURRENT: "current",
    BEFORE_STEP: "before the step",
    SINCE_STEP: "since the step",
  };
  const arms = check.arms.map((arm, i) => {
    const rate = i === 0 ? errors?.knownGood : errors?.current;
    const version = arm.version === null ? "" : ` v${arm.version}`;
    return `${names[arm.arm] ?? arm.arm}${version} ${formatCount(arm.requests)} requests, ${rate == null ? "no" : percent(rate)} errors`;
  });
  const pValues = check.slos
    .filter((slo) => slo.pValue !== null)
    .map((slo) => `${slo.slo.toLowerCase().replace(/_/g, " ")} ${formatP(slo.pValue ?? 1)}`);
  return (
    `step check at step ${check.step + 1} of ${steps}: ${check.outcome} · ${arms.join(" · ")}` +
    (pValues.length > 0 ? ` · p: ${pValues.join(", ")}` : "") +
    (check.perArm ? "" : " (time windows: no snapshot versions reported)")
  );
}

function formatP(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : p.toPrecision(2);
}
