// The multi-instance benchmark's load (multi-instance.ts): signed ingest clients and a config reader spread over
// the live instances, retrying a batch elsewhere with its Idempotency-Key when an instance dies under it; and
// what the load cost: the instances' CPU time and the database's transactions and row writes.
import { randomUUID } from "node:crypto";
import type { Db } from "@/server/db";
import { signRequestV2 } from "@/server/domain/api-keys";
import { seededRandom } from "../../scripts/lib/traffic";
import type { BuiltApp } from "../built-app";

/** Ingest clients, each with its own key, posting batches back to back, each batch to the next instance. */
export const CLIENTS = 3;
export const BATCH = 200;
const READ_EVERY_MS = 100;
export const HEALTHY_ERROR_RATE = 0.01;
/** Over the 5% limit, under the emergency level (3 × 5%): a proposal that waits for approval, not an emergency. */
export const BREACH_ERROR_RATE = 0.1;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or an error naming `what` once `ms` passed (the timer never outlives the race). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface DatabaseWrites {
  commits: number;
  rollbacks: number;
  inserted: number;
  updated: number;
  deleted: number;
}

/** This database's counters in pg_stat_database (a backend reports its own when it ends, or within a second). */
export async function databaseWrites(db: Db): Promise<DatabaseWrites> {
  const [row] = await db.$queryRaw<Record<keyof DatabaseWrites, bigint>[]>`
    SELECT xact_commit AS commits, xact_rollback AS rollbacks, tup_inserted AS inserted, tup_updated AS updated,
      tup_deleted AS deleted
    FROM pg_stat_database WHERE datname = current_database()`;
  if (!row) throw new Error("no pg_stat_database row for this database");
  return {
    commits: Number(row.commits),
    rollbacks: Number(row.rollbacks),
    inserted: Number(row.inserted),
    updated: Number(row.updated),
    deleted: Number(row.deleted),
  };
}

export interface Instance {
  index: number;
  app: BuiltApp;
  alive: boolean;
}

export interface Key {
  key: string;
  secret: string;
}

interface ConfigRead {
  at: number;
  instance: number;
  version: number | null;
  trafficPercent: number | null;
}

/** Signed (v2) machine API call; throws on any refusal. */
export async function call(baseUrl: string, key: Key, method: string, route: string, body?: unknown): Promise<unknown> {
  const raw = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { authorization: `Bearer ${key.key}` };
  if (raw !== undefined) {
    headers["content-type"] = "application/json";
    headers["x-rewind-signature"] = signRequestV2(key.secret, Math.floor(Date.now() / 1000), {
      method,
      path: route,
      rawBody: raw,
    });
  }
  const response = await fetch(`${baseUrl}${route}`, { method, headers, body: raw });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

/**
 * The load: ingest clients and one config reader, each request to the next live instance in turn. A batch is
 * retried with its Idempotency-Key (and a fresh signature) on the next instance until one accepts it, as an
 * orchestrator that must not lose or double metrics would; events carry the snapshot version the latest config
 * read assigned them, by the rollback's split.
 */
export class Load {
  errorRate = HEALTHY_ERROR_RATE;
  accepted = 0;
  batches = 0;
  replayed = 0;
  readonly retries = new Map<string, number>();
  readonly reads: ConfigRead[] = [];
  readFailures = 0;
  readonly latencies: number[] = [];
  #stopping = false;
  #split: { version: number; weight: number }[] = [];
  readonly #random = seededRandom(16);
  #running: Promise<void>[] = [];
  #failure: Error | null = null;

  constructor(
    private readonly instances: readonly Instance[],
    private readonly slug: string,
  ) {}

  /** Reads the configuration once (events carry the version it assigns), then starts every client. */
  async start(ingestKeys: readonly Key[], readKey: Key): Promise<void> {
    await this.#readOnce(readKey, 0);
    this.#running = [...ingestKeys.map((key, client) => this.#ingest(key, client)), this.#read(readKey)].map(
      (running) =>
        running.catch((error: unknown) => {
          this.#failure ??= error instanceof Error ? error : new Error(String(error));
          this.#stopping = true;
        }),
    );
  }

  /** Throws what stopped a client (a refused batch, a batch no instance took): the run cannot count on it. */
  throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  /** Stops starting new requests; resolves once every batch in flight, retries included, is settled. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    await within(Promise.all(this.#running), timeoutMs, "the load settled");
    this.throwIfFailed();
  }

  #pick(turn: number): Instance {
    const live = this.instances.filter((instance) => instance.alive);
    const instance = live[turn % live.length];
    if (!instance) throw new Error("no live instance");
    return instance;
  }

  #count(reason: string): void {
    this.retries.set(reason, (this.retries.get(reason) ?? 0) + 1);
  }

  #version(): number | undefined {
    const total = this.#split.reduce((sum, arm) => sum + arm.weight, 0);
    let draw = this.#random() * total;
    for (const arm of this.#split) {
      draw -= arm.weight;
      if (draw < 0) return arm.version;
    }
    return this.#split.at(-1)?.version;
  }

  #events(): unknown[] {
    const now = Date.now();
    return Array.from({ length: BATCH }, () => ({
      ts: now - Math.floor(this.#random() * 2_000),
      latencyMs: Math.round(300 + this.#random() * 500),
      ok: this.#random() >= this.errorRate,
      costUsd: 0.001,
      snapshotVersion: this.#version(),
    }));
  }

  async #ingest(key: Key, client: number): Promise<void> {
    for (let n = 0; !this.#stopping; n++) {
      const body = JSON.stringify({ target: this.slug, events: this.#events() });
      await this.#deliver(key, body, randomUUID(), client + n);
    }
  }

  async #deliver(key: Key, body: string, idempotencyKey: string, turn: number): Promise<void> {
    const first = performance.now();
    for (let attempt = 0; ; attempt++) {
      // A retry waits a second: the signature's timestamp must change (a signature is accepted once).
      if (attempt > 0) await sleep(1_000);
      if (performance.now() - first > 150_000) throw new Error(`a batch was not accepted within 150 s`);
      const instance = this.#pick(turn + attempt);
      const route = "/api/v1/ingest";
      const sent = performance.now();
      let response: Response;
      let text: string;
      try {
        response = await fetch(`${instance.app.baseUrl}${route}`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${key.key}`,
            "content-type": "application/json",
            "idempotency-key": idempotencyKey,
            "x-rewind-signature": signRequestV2(key.secret, Math.floor(Date.now() / 1000), {
              method: "POST",
              path: route,
              rawBody: body,
            }),
          },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        text = await response.text();
      } catch {
        this.#count("no response (connection refused or reset)");
        continue;
      }
      if (response.status === 202) {
        this.accepted += (JSON.parse(text) as { events: number }).events;
        this.batches += 1;
        if (response.headers.get("idempotent-replayed") === "true") this.replayed += 1;
        if (attempt === 0) this.latencies.push(performance.now() - sent);
        return;
      }
      if (response.status === 409 || response.status === 429 || response.status >= 500) {
        // A proxy's or a dying server's answer may not be Rewind's JSON error.
        const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? "";
        this.#count(`${response.status} ${code}`.trim());
        continue;
      }
      throw new Error(`ingest refused: ${response.status} ${text.slice(0, 300)}`);
    }
  }

  async #read(key: Key): Promise<void> {
    for (let n = 1; !this.#stopping; n++) {
      await this.#readOnce(key, n).catch(() => (this.readFailures += 1));
      await sleep(READ_EVERY_MS);
    }
  }

  async #readOnce(key: Key, turn: number): Promise<void> {
    const instance = this.#pick(turn);
    const at = Date.now();
    const response = await fetch(`${instance.app.baseUrl}/api/v1/targets/${this.slug}/config`, {
      headers: { authorization: `Bearer ${key.key}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 200) throw new Error(`GET config: ${response.status} ${await response.text()}`);
    const config = (await response.json()) as {
      snapshot: { version: number } | null;
      rollback: { trafficPercent: number; split: { version: number; weight: number }[] } | null;
    };
    this.reads.push({
      at,
      instance: instance.index,
      version: config.snapshot?.version ?? null,
      trafficPercent: config.rollback?.trafficPercent ?? null,
    });
    this.#split = config.rollback
      ? config.rollback.split.map(({ version, weight }) => ({ version, weight }))
      : config.snapshot
        ? [{ version: config.snapshot.version, weight: 100 }]
        : [];
  }
}

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  load: Load,
  probe: () => Promise<T | null>,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    load.throwIfFailed();
    const found = await probe();
    if (found !== null) return found;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}
