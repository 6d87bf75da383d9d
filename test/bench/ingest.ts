// Ingestion benchmarks. In process: the CPU one batch costs in ingestMetrics. Through the production build
// (NEXT_DIST_DIR or `.next`, served as `npm start` serves it, on a fresh database): throughput against a bare Node
// server doing the same ingest work, breach-to-action latency, and the server's memory under sustained load.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { createDb, type Db } from "@/server/db";
import { signRequest, type ApiKeyScope } from "@/server/domain/api-keys";
import { createApiKey } from "@/server/services/access/api-keys";
import { systemActor } from "@/server/services/audit/audit-log";
import { ingestMetrics } from "@/server/services/machine/ingest";
import { root } from "../../scripts/lib/setup";
import { MODELS, seededRandom, simulateRequest, type Random, type Workload } from "../../scripts/lib/traffic";
import { cpuSeconds, freePort, residentMemoryMiB, startBuiltApp, type BuiltApp } from "../built-app";
import { createTestDatabase } from "../test-database";
import { percentile, type Figure } from "./lib";

const WARMUP_MS = 2_000;
const MEASURE_MS = 10_000;
/** A server's first run: its code is still being compiled by the JIT for a few seconds. */
const FIRST_WARMUP_MS = 6_000;
/** Batch size × concurrent clients (each with its own API key and target). */
const THROUGHPUT_RUNS: readonly { batch: number; clients: number }[] = [
  { batch: 100, clients: 4 },
  { batch: 100, clients: 16 },
  { batch: 1_000, clients: 4 },
  { batch: 1_000, clients: 16 },
];

interface BenchDatabase {
  name: "SQLite" | "PostgreSQL";
  url: string;
  db: Db;
}

/** A fresh SQLite database, then a fresh PostgreSQL one when BENCH_POSTGRES_URL or TEST_POSTGRES_URL is set. */
export async function forEachDatabase(run: (database: BenchDatabase) => Promise<void>): Promise<void> {
  const serverUrl = process.env.BENCH_POSTGRES_URL || process.env.TEST_POSTGRES_URL;
  if (!serverUrl) console.error("  No BENCH_POSTGRES_URL or TEST_POSTGRES_URL: PostgreSQL figures are skipped.");
  const kinds = [
    { name: "SQLite" as const, options: {} },
    ...(serverUrl ? [{ name: "PostgreSQL" as const, options: { postgresServerUrl: serverUrl } }] : []),
  ];
  for (const { name, options } of kinds) {
    const created = await createTestDatabase(options);
    const db = createDb(created.url);
    try {
      await run({ name, url: created.url, db });
    } finally {
      await db.$disconnect();
      await created.drop();
    }
  }
}

export async function withApp<T>(database: BenchDatabase, run: (app: BuiltApp) => Promise<T>): Promise<T> {
  const app = await startBuiltApp({ databaseUrl: database.url });
  try {
    return await run(app);
  } finally {
    await app.stop();
  }
}

export async function makeKey(db: Db, app: BuiltApp, scopes: ApiKeyScope[], signed = true) {
  const created = await createApiKey(
    db,
    {
      actor: systemActor,
      name: `bench ${randomBytes(3).toString("hex")}`,
      scopes,
      targetSlugs: null,
      signingRequired: signed,
    },
    { now: new Date(), encryptionKey: Buffer.from(app.apiKeyEncryptionKey, "base64") },
  );
  return { key: created.key, secret: created.signingSecret };
}

export async function makeTargets(db: Db, count: number): Promise<string[]> {
  const slugs = Array.from({ length: count }, () => `bench-${randomBytes(5).toString("hex")}`);
  await db.target.createMany({ data: slugs.map((slug) => ({ slug, name: slug })) });
  return slugs;
}

export const chat: Workload = {
  requestsPerSecond: 0,
  inputTokens: { median: 900, sigma: 0.6 },
  outputTokens: { median: 250, sigma: 0.5 },
};

/**
 * Batch bodies for one target as an orchestrator sends them: events of the last two seconds, so nearly all
 * land in the current bucket. A pool of bodies is rebuilt every 5 s to stay current; each body is split
 * around its first event's timestamp, so that every request is distinct (a signature is accepted once) at
 * the cost of a string concatenation rather than a JSON.stringify.
 */
/** What a load client sends: a body per request, how it is posted, and the status that means it was taken. */
export interface BodySource {
  readonly size: number;
  readonly contentType: string;
  readonly acceptedStatus: number;
  /** Bodies of /api/v1/ingest carry X-Rewind-Signature when the client's key signs; OTLP exporters never sign. */
  readonly signed: boolean;
  next(): string | Uint8Array<ArrayBuffer>;
}

export class BatchSource implements BodySource {
  readonly contentType = "application/json";
  readonly acceptedStatus = 202;
  readonly signed = true;
  #pool: { head: string; tail: string }[] = [];
  #builtAt = 0;
  #sent = 0;

  constructor(
    private readonly slug: string,
    readonly size: number,
    private readonly random: Random,
  ) {}

  next(): string {
    const now = Date.now();
    if (now - this.#builtAt > 5_000) this.#rebuild(now);
    const { head, tail } = this.#pool[this.#sent % this.#pool.length] as { head: string; tail: string };
    this.#sent++;
    return `${head}${this.#builtAt - 1_000 - (this.#sent % 997)}${tail}`;
  }

  #rebuild(now: number): void {
    this.#builtAt = now;
    this.#pool = Array.from({ length: 5 }, () => {
      const events = Array.from({ length: this.size }, (_, i) =>
        simulateRequest(this.random() < 0.7 ? MODELS["openai/gpt-4o"] : MODELS["anthropic/claude-sonnet-4"], chat, {
          ts: now - 1 - Math.floor((i * 2_000) / this.size),
          timeoutMs: 30_000,
          random: this.random,
        }),
      );
      const text = JSON.stringify({ target: this.slug, events });
      const start = text.indexOf('"ts":') + 5;
      const length = /^\d+/.exec(text.slice(start))?.[0].length ?? 0;
      return { head: text.slice(0, start), tail: text.slice(start + length) };
    });
  }
}

interface LoadClient {
  key: { key: string; secret: string } | null;
  source: BodySource;
}

export interface LoadResult {
  eventsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses other than 202 in the measured window, by status, with the first body of each. */
  refused: Map<number, { count: number; example: string }>;
  /**
   * With `serverPid`: the server process's CPU per accepted request over the measured window. Unlike throughput,
   * it barely moves with what else the machine runs, so two servers compare well on it.
   */
  cpuMsPerRequest?: number;
}

/**
 * Each client posts batches back to back for warmup + measure; only responses that arrive within the
 * measured window count. A 429 makes the client wait briefly (the per-key rate limit is part of the product).
 */
export async function drive(
  url: string,
  clients: readonly LoadClient[],
  options: { warmupMs?: number; measureMs?: number; onTick?: () => void; serverPid?: number } = {},
): Promise<LoadResult> {
  const warmupMs = options.warmupMs ?? WARMUP_MS;
  const measureMs = options.measureMs ?? MEASURE_MS;
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + measureMs;
  let events = 0;
  const durations: number[] = [];
  const refused = new Map<number, { count: number; example: string }>();
  const tick = options.onTick ? setInterval(options.onTick, 1_000) : null;
  const { serverPid } = options;
  let cpuFrom: number | null = null;
  const cpuStart = serverPid === undefined ? null : setTimeout(() => (cpuFrom = cpuSeconds(serverPid)), warmupMs);
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < end) {
        const body = client.source.next();
        const headers: Record<string, string> = { "content-type": client.source.contentType };
        if (client.key) {
          headers.authorization = `Bearer ${client.key.key}`;
          if (client.source.signed && typeof body === "string") {
            headers["x-rewind-signature"] = signRequest(client.key.secret, Math.floor(Date.now() / 1000), body);
          }
        }
        const sent = performance.now();
        const response = await fetch(url, { method: "POST", headers, body });
        const text = await response.text();
        const done = performance.now();
        if (done < measureFrom || done > end) continue;
        if (response.status === client.source.acceptedStatus) {
          events += client.source.size;
          durations.push(done - sent);
        } else {
          const seen = refused.get(response.status) ?? { count: 0, example: text.slice(0, 200) };
          seen.count++;
          refused.set(response.status, seen);
          if (response.status === 429) await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }),
  );
  if (tick) clearInterval(tick);
  if (cpuStart) clearTimeout(cpuStart);
  // Read as the last responses arrive: a few requests of the warmup's end and the window's end count either way.
  const cpuTo = serverPid === undefined ? null : cpuSeconds(serverPid);
  durations.sort((a, b) => a - b);
  return {
    eventsPerSecond: events / (measureMs / 1000),
    requests: durations.length,
    p50Ms: percentile(durations, 0.5),
    p99Ms: percentile(durations, 0.99),
    refused,
    ...(cpuFrom !== null &&
      cpuTo !== null &&
      durations.length > 0 && { cpuMsPerRequest: ((cpuTo - cpuFrom) * 1000) / durations.length }),
  };
}

export function describeRefused(result: LoadResult): string {
  return [...result.refused]
    .map(([status, { count, example }]) => `${count} × ${status}${status === 429 ? "" : ` (${example})`}`)
    .join(", ");
}

/** The reference: test/bench/reference-ingest-server.ts in its own process, like the Next server. */
async function startReference(databaseUrl: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["--conditions=react-server", "--import", "tsx", path.join(import.meta.dirname, "reference-ingest-server.ts")],
    {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("ready")) resolve();
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`reference server exited with ${code}:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid as number,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

const CPU_BATCHES = { 100: 600, 1_000: 200 } as const;

/**
 * CPU per batch of ingestMetrics in this process, batches one after another (JSON.parse included, as the
 * route handler does it): the work behind every HTTP figure, measured as CPU time so that other processes
 * on the machine barely change it. SQLite runs inside the process and is counted; PostgreSQL's own work is not.
 */
export async function ingestCpu(): Promise<Figure[]> {
  const figures: Figure[] = [];
  await forEachDatabase(async (database) => {
    const random = seededRandom(3);
    const slugs = await makeTargets(database.db, 4);
    for (const [size, batches] of Object.entries(CPU_BATCHES).map(([size, n]) => [Number(size), n] as const)) {
      const sources = slugs.map((slug) => new BatchSource(slug, size, random));
      const run = async (count: number) => {
        for (let i = 0; i < count; i++) {
          const raw = (sources[i % sources.length] as BatchSource).next();
          await ingestMetrics(
            database.db,
            { key: { prefix: "rwd_bench", targetSlugs: null }, body: JSON.parse(raw) as unknown },
            { now: new Date(), bucketWidthMs: 10_000, retentionMs: 30 * 86_400_000 },
          );
        }
      };
      await run(20);
      const cpu = process.cpuUsage();
      const wall = performance.now();
      await run(batches);
      const used = process.cpuUsage(cpu);
      const cpuMs = (used.user + used.system) / 1000 / batches;
      const name = `ingestMetrics in process, ${database.name}, ${size.toLocaleString("en-US")}-event batches`;
      figures.push(
        {
          benchmark: name,
          metric: "CPU per batch",
          value: cpuMs,
          unit: "ms",
          note: `${batches} batches, one at a time`,
        },
        { benchmark: name, metric: "events per CPU-second", value: (size * 1000) / cpuMs, unit: "events/s" },
        { benchmark: name, metric: "wall time per batch", value: (performance.now() - wall) / batches, unit: "ms" },
      );
    }
  });
  return figures;
}

/** Rewind's server with the intake fast path on (scripts/serve.ts) or off (through Next's route handler). */
const SERVED_BY = [
  { fastPath: "on", metric: "POST /api/v1/ingest (fast path)" },
  { fastPath: "off", metric: "POST /api/v1/ingest (through Next.js)" },
] as const;

export async function ingestThroughput(): Promise<Figure[]> {
  const figures: Figure[] = [];
  await forEachDatabase(async (database) => {
    const random = seededRandom(42);
    const served = new Map<string, LoadResult[]>();
    for (const { fastPath, metric } of SERVED_BY) {
      const app = await startBuiltApp({ databaseUrl: database.url, env: { INTAKE_FAST_PATH: fastPath } });
      try {
        const results: LoadResult[] = [];
        for (const [i, { batch, clients }] of THROUGHPUT_RUNS.entries()) {
          const slugs = await makeTargets(database.db, clients);
          const load = await Promise.all(
            slugs.map(async (slug) => ({
              key: await makeKey(database.db, app, ["ingest"]),
              source: new BatchSource(slug, batch, random),
            })),
          );
          const result = await drive(`${app.baseUrl}/api/v1/ingest`, load, {
            serverPid: app.pid,
            warmupMs: i === 0 ? FIRST_WARMUP_MS : WARMUP_MS,
          });
          console.error(
            `  ${database.name} ${metric} ${batch} × ${clients}: ${Math.round(result.eventsPerSecond)} events/s`,
          );
          results.push(result);
        }
        served.set(metric, results);
      } finally {
        await app.stop();
      }
    }
    const reference = await startReference(database.url);
    try {
      for (const [i, { batch, clients }] of THROUGHPUT_RUNS.entries()) {
        const slugs = await makeTargets(database.db, clients);
        const load = slugs.map((slug) => ({ key: null, source: new BatchSource(slug, batch, random) }));
        const result = await drive(reference.url, load, {
          serverPid: reference.pid,
          warmupMs: i === 0 ? FIRST_WARMUP_MS : WARMUP_MS,
        });
        console.error(
          `  ${database.name} reference ${batch} × ${clients}: ${Math.round(result.eventsPerSecond)} events/s`,
        );
        const name = `ingest over HTTP, ${database.name}, ${batch.toLocaleString("en-US")}-event batches, ${clients} clients`;
        const notes = (r: LoadResult) =>
          `request p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms, server CPU ${r.cpuMsPerRequest?.toFixed(2)} ms/request` +
          (r.refused.size > 0 ? `; refused: ${describeRefused(r)}` : "");
        figures.push({
          benchmark: name,
          metric: "bare Node http + ingestMetrics",
          value: result.eventsPerSecond,
          unit: "events/s",
          note: notes(result),
        });
        for (const { metric } of SERVED_BY) {
          const ours = served.get(metric)?.[i] as LoadResult;
          figures.push(
            { benchmark: name, metric, value: ours.eventsPerSecond, unit: "events/s", note: notes(ours) },
            {
              benchmark: name,
              metric: `${metric} / reference`,
              value: (100 * ours.eventsPerSecond) / result.eventsPerSecond,
              unit: "%",
              note:
                `goal ≥ ${batch === 100 ? 70 : 85}%; by server CPU per request (reference ÷ Rewind): ` +
                `${((100 * (result.cpuMsPerRequest ?? NaN)) / (ours.cpuMsPerRequest ?? NaN)).toFixed(0)}%`,
            },
          );
        }
      }
    } finally {
      await reference.stop();
    }
  });
  return figures;
}

const BREACH_RUNS = 20;

export async function breachToAction(): Promise<Figure[]> {
  const figures: Figure[] = [];
  await forEachDatabase(async (database) => {
    await withApp(database, async (app) => {
      const { db } = database;
      // Setup bodies repeat from run to run: an unsigned key, as the http tests do. The breaching batch is signed.
      const admin = await makeKey(db, app, ["policies:write", "snapshots:write", "config:read"], false);
      const ingester = await makeKey(db, app, ["ingest"]);
      const call = async (method: string, path: string, body?: unknown, key = admin) => {
        const raw = body === undefined ? undefined : JSON.stringify(body);
        const headers: Record<string, string> = { authorization: `Bearer ${key.key}` };
        if (raw !== undefined) {
          headers["content-type"] = "application/json";
          if (key === ingester)
            headers["x-rewind-signature"] = signRequest(key.secret, Math.floor(Date.now() / 1000), raw);
        }
        const response = await fetch(`${app.baseUrl}${path}`, { method, headers, body: raw });
        const json = (await response.json()) as Record<string, unknown>;
        if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
        return json;
      };
      const request: number[] = [];
      const observed: number[] = [];
      const total: number[] = [];
      for (let run = 0; run < BREACH_RUNS; run++) {
        const slug = `breach-${randomBytes(5).toString("hex")}`;
        await call("PUT", `/api/v1/targets/${slug}`, { name: slug });
        await call("PUT", `/api/v1/targets/${slug}/policy`, { minRequests: 10, burnRate: { enabled: false } });
        const good = (await call("POST", `/api/v1/targets/${slug}/snapshots`, { config: { v: 1 } })) as { id: string };
        // Known-good without waiting for a bake: as test/http/actions.test.ts sets it up.
        await db.configSnapshot.update({ where: { id: good.id }, data: { knownGoodAt: new Date() } });
        await db.target.update({ where: { slug }, data: { knownGoodSnapshotId: good.id } });
        await call("POST", `/api/v1/targets/${slug}/snapshots`, { config: { v: 2 } });

        // 60 failed requests in complete buckets of the evaluation window: over 3 × the 5% error limit.
        const end = Date.now() - 20_000;
        const events = Array.from({ length: 60 }, (_, i) => ({ ts: end - i * 1_500, latencyMs: 300, ok: false }));
        const sent = performance.now();
        const response = (await call("POST", "/api/v1/ingest", { target: slug, events }, ingester)) as {
          action: { rollback: { status: string } | null } | null;
        };
        const answered = performance.now();
        if (response.action?.rollback?.status !== "IN_PROGRESS") {
          throw new Error(`run ${run}: the breaching batch did not start a rollback: ${JSON.stringify(response)}`);
        }
        for (;;) {
          const status = (await call("GET", `/api/v1/targets/${slug}/status`)) as {
            rollback: { status: string } | null;
          };
          if (status.rollback?.status === "IN_PROGRESS") break;
        }
        const seen = performance.now();
        request.push(answered - sent);
        observed.push(seen - answered);
        total.push(seen - sent);
      }
      const name = `breach to action, ${database.name}, ${BREACH_RUNS} fresh targets`;
      for (const [metric, samples, note] of [
        ["breaching batch's request", request, "the request evaluates, decides and starts the emergency rollback"],
        ["response → status shows IN_PROGRESS", observed, "one GET …/status"],
        ["batch sent → status shows IN_PROGRESS", total, ""],
      ] as const) {
        const sorted = [...samples].sort((a, b) => a - b);
        figures.push(
          { benchmark: name, metric: `${metric}, median`, value: percentile(sorted, 0.5), unit: "ms", note },
          { benchmark: name, metric: `${metric}, max`, value: sorted[sorted.length - 1] ?? Number.NaN, unit: "ms" },
        );
      }
    });
  });
  return figures;
}

const SUSTAINED_MS = 60_000;

export async function serverMemory(): Promise<Figure[]> {
  const figures: Figure[] = [];
  await forEachDatabase(async (database) => {
    await withApp(database, async (app) => {
      const random = seededRandom(7);
      const clients = 4;
      const batch = 1_000;
      const slugs = await makeTargets(database.db, clients);
      const load = await Promise.all(
        slugs.map(async (slug) => ({
          key: await makeKey(database.db, app, ["ingest"]),
          source: new BatchSource(slug, batch, random),
        })),
      );
      // Every route the run uses has been loaded once before the first reading.
      await drive(`${app.baseUrl}/api/v1/ingest`, load, { warmupMs: 0, measureMs: 2_000 });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const before = residentMemoryMiB(app.pid);
      const samples: number[] = [];
      const result = await drive(`${app.baseUrl}/api/v1/ingest`, load, {
        warmupMs: 0,
        measureMs: SUSTAINED_MS,
        onTick: () => samples.push(residentMemoryMiB(app.pid)),
      });
      const after = residentMemoryMiB(app.pid);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const idle = residentMemoryMiB(app.pid);
      const name = `server RSS, ${database.name}, ${SUSTAINED_MS / 1000} s of ${batch.toLocaleString("en-US")}-event batches × ${clients} clients`;
      const sustained = `${Math.round(result.eventsPerSecond).toLocaleString("en-US")} events/s sustained`;
      // Readings once a second: where it stands a third and two thirds of the way shows whether it levels off.
      const at = (fraction: number) =>
        samples[Math.min(samples.length - 1, Math.round(samples.length * fraction) - 1)] ?? NaN;
      figures.push(
        { benchmark: name, metric: "before", value: before, unit: "MiB", note: "idle, after a 2 s warm-up" },
        { benchmark: name, metric: `after ${SUSTAINED_MS / 3_000} s`, value: at(1 / 3), unit: "MiB" },
        { benchmark: name, metric: `after ${(2 * SUSTAINED_MS) / 3_000} s`, value: at(2 / 3), unit: "MiB" },
        {
          benchmark: name,
          metric: "peak during the run",
          value: Math.max(before, ...samples),
          unit: "MiB",
          note: sustained,
        },
        { benchmark: name, metric: "right after", value: after, unit: "MiB" },
        { benchmark: name, metric: "10 s later", value: idle, unit: "MiB" },
      );
    });
  });
  return figures;
}
