// Three Rewind instances (`next start` on the production build, each with its built-in scheduler) on one fresh
// PostgreSQL database: signed ingestion and config reads spread over all three, a gradual rollback proposed and
// approved, and the instance holding the cycle lease killed with SIGKILL in the middle of it. Prints what the
// deployment kept — one cycle at a time, every accepted event stored once, the rollback resumed by a survivor
// within the lease's takeover time and completed, the survivors serving the restored snapshot, an unbroken audit
// chain — and sets a failing exit code when one of them did not hold (docs/SCALING.md).
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { createDb, type Db } from "@/server/db";
import type { ApiKeyScope } from "@/server/domain/api-keys";
import { createApiKey } from "@/server/services/access/api-keys";
import { createUser } from "@/server/services/access/users";
import { verifyAuditChain } from "@/server/services/audit/audit-chain";
import { auditChainKeyring } from "@/server/services/audit/audit-chain-key";
import { systemActor, userActor } from "@/server/services/audit/audit-log";
import { CYCLE_LEASE_TIMING } from "@/server/services/monitoring/cycle-lease";
import { CYCLE_LEASE } from "@/server/services/platform/lease";
import { approveRollback } from "@/server/services/rollbacks/commands";
import { cpuSeconds, startBuiltApp } from "../built-app";
import { createTestDatabase } from "../test-database";
import { percentile, type Figure } from "./lib";
import {
  BATCH,
  BREACH_ERROR_RATE,
  call,
  CLIENTS,
  databaseWrites,
  HEALTHY_ERROR_RATE,
  Load,
  sleep,
  waitFor,
  within,
  type DatabaseWrites,
  type Instance,
  type Key,
} from "./multi-instance-load";

const INSTANCES = 3;
/** Each instance's scheduler ticks this often: with three of them a cycle starts about every second. */
const MONITOR_INTERVAL_SECONDS = 2;
/** A released lease is kept at most 1 s (MIN_SPACING_MS); one further ahead than this is held by a running cycle. */
const HELD_MARGIN_MS = 5_000;
/** Scheduling slack on top of the lease and step timers: a survivor's next tick and its cycle on loaded cores. */
const RESUME_SLACK_MS = 2 * MONITOR_INTERVAL_SECONDS * 1000 + 5_000;

/**
 * Short windows and steps so that a run takes minutes: a 30 s evaluation window, 4 steps of 20 s. A step is judged
 * on the complete buckets since it began; 20 s always holds one, where 10 s (one bucket) may hold none and HOLD.
 */
const POLICY = {
  evaluationWindowSeconds: 30,
  minRequests: 10,
  consecutiveViolations: 2,
  burnRate: { enabled: false },
  mode: "APPROVAL",
  approvalsRequired: 1,
  steps: [25, 50, 75, 100],
  stepIntervalSeconds: 20,
  stepMinRequests: 10,
  // Both arms serve alike during the rollback: a tiny level keeps the gate from ending it early by chance.
  stepSignificance: 0.001,
  configPickupSeconds: 0,
  verificationWindowSeconds: 60,
};

const holderPid = (holder: string) => Number(holder.split(":").at(-2));

interface Kill {
  victim: Instance;
  at: Date;
  /** The victim held the lease in a running cycle when it died (else it was between cycles). */
  midCycle: boolean;
  /** The victim's lease as the kill left it: no survivor may start a cycle before it expires. */
  lease: { holder: string; acquiredAt: Date; expiresAt: Date } | null;
  /** The victim's CPU time just before it died. */
  cpuSeconds: number;
}

/**
 * Waits (up to 30 s) for the lease to be held by a running cycle, then SIGKILLs its holder; if no cycle is caught
 * running, it kills the last holder between cycles. The lease is read again once the victim is dead: that is the
 * tenure a survivor must wait out.
 */
async function killLeaseHolder(db: Db, instances: readonly Instance[]): Promise<Kill> {
  const until = Date.now() + 30_000;
  let holder: string | null = null;
  for (;;) {
    const lease = await db.lease.findUnique({ where: { name: CYCLE_LEASE } });
    holder = lease?.holder ?? null;
    if (lease && lease.expiresAt.getTime() - Date.now() > HELD_MARGIN_MS) break;
    if (Date.now() > until) break;
    await sleep(10);
  }
  const victim =
    instances.find((instance) => instance.alive && holder !== null && holderPid(holder) === instance.app.pid) ??
    instances.find((instance) => instance.alive);
  if (!victim) throw new Error("no live instance to kill");
  victim.alive = false;
  const cpu = cpuSeconds(victim.app.pid);
  const at = new Date();
  await victim.app.kill("SIGKILL");
  // The process the lease names is the one that died (next start serves from the process it was started as).
  if (existsSync(`/proc/${victim.app.pid}`)) throw new Error(`pid ${victim.app.pid} survived SIGKILL`);
  const lease = await db.lease.findUnique({ where: { name: CYCLE_LEASE } });
  const victims = lease !== null && holderPid(lease.holder) === victim.app.pid;
  return {
    victim,
    at,
    midCycle: victims && (lease?.expiresAt.getTime() ?? 0) - at.getTime() > HELD_MARGIN_MS,
    lease: victims ? lease : null,
    cpuSeconds: cpu,
  };
}

async function startInstances(databaseUrl: string, instances: Instance[]): Promise<void> {
  const logDir = mkdtempSync(path.join(tmpdir(), "rewind-multi-"));
  const keyring = auditChainKeyring();
  // One set of secrets for all: API keys, sessions and the audit chain are shared through the database. The
  // audit key is this process's own, so that what it appends (keys, the approver, the approval) chains too.
  const env = {
    MONITOR_SCHEDULER: "on",
    MONITOR_INTERVAL_SECONDS: String(MONITOR_INTERVAL_SECONDS),
    API_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    AUDIT_CHAIN_KEY: keyring.current.toString("base64"),
    AUDIT_CHAIN_PREVIOUS_KEYS: keyring.keys
      .slice(0, -1)
      .map((key) => key.toString("base64"))
      .join(","),
    LOG_LEVEL: "info",
  };
  const started = await Promise.allSettled(
    Array.from({ length: INSTANCES }, (_, index) =>
      startBuiltApp({ databaseUrl, env, logFile: path.join(logDir, `instance-${index}.log`) }),
    ),
  );
  for (const [index, result] of started.entries()) {
    if (result.status === "fulfilled") instances.push({ index, app: result.value, alive: true });
  }
  const failed = started.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  console.error(`  ${INSTANCES} instances on one database, logs in ${logDir}`);
}

async function makeKey(db: Db, instance: Instance, name: string, scopes: ApiKeyScope[]): Promise<Key> {
  const created = await createApiKey(
    db,
    { actor: systemActor, name, scopes, targetSlugs: null, signingRequired: true },
    { now: new Date(), encryptionKey: Buffer.from(instance.app.apiKeyEncryptionKey, "base64") },
  );
  return { key: created.key, secret: created.signingSecret };
}

/** The target on v2 with v1 known-good, its policy, set up through the signed machine API of the first instance. */
async function seedTarget(db: Db, instance: Instance, admin: Key): Promise<string> {
  const slug = `multi-${randomBytes(4).toString("hex")}`;
  const { baseUrl } = instance.app;
  await call(baseUrl, admin, "PUT", `/api/v1/targets/${slug}`, { name: slug });
  await call(baseUrl, admin, "PUT", `/api/v1/targets/${slug}/policy`, POLICY);
  const good = (await call(baseUrl, admin, "POST", `/api/v1/targets/${slug}/snapshots`, { config: { v: 1 } })) as {
    id: string;
  };
  // Known-good without waiting for a bake, as the breach-to-action benchmark sets it up.
  await db.configSnapshot.update({ where: { id: good.id }, data: { knownGoodAt: new Date() } });
  await db.target.update({ where: { slug }, data: { knownGoodSnapshotId: good.id } });
  await call(baseUrl, admin, "POST", `/api/v1/targets/${slug}/snapshots`, { config: { v: 2 } });
  return slug;
}

async function stopAll(instances: readonly Instance[]): Promise<void> {
  await Promise.all(instances.map(({ app }) => within(app.stop(), 20_000, "stopped").catch(() => app.kill("SIGKILL"))));
}

export async function multiInstance(): Promise<Figure[]> {
  const serverUrl = process.env.BENCH_POSTGRES_URL || process.env.TEST_POSTGRES_URL;
  if (!serverUrl) throw new Error("multi-instance needs PostgreSQL: set BENCH_POSTGRES_URL or TEST_POSTGRES_URL");
  const load = loadavg();
  const database = await createTestDatabase({ postgresServerUrl: serverUrl });
  const db = createDb(database.url);
  const instances: Instance[] = [];
  // Should this process exit or be interrupted before the finally below runs, its servers die with it.
  const killAll = () => {
    for (const { app } of instances) {
      try {
        process.kill(app.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  };
  const interrupted = (signal: NodeJS.Signals) => {
    killAll();
    void database.drop().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("exit", killAll);
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    await startInstances(database.url, instances);
    return await scenario(db, instances, load);
  } finally {
    await stopAll(instances);
    process.off("exit", killAll);
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    await db.$disconnect();
    await database.drop();
  }
}

async function scenario(db: Db, instances: Instance[], loadAtStart: number[]): Promise<Figure[]> {
  const first = instances[0] as Instance;
  const admin = await makeKey(db, first, "multi admin", ["policies:write", "snapshots:write", "config:read"]);
  const reader = await makeKey(db, first, "multi reader", ["config:read"]);
  const ingestKeys = await Promise.all(
    Array.from({ length: CLIENTS }, (_, i) => makeKey(db, first, `multi ingest ${i}`, ["ingest"])),
  );
  const approver = await createUser(
    db,
    {
      actor: systemActor,
      email: `approver-${randomBytes(4).toString("hex")}@example.test`,
      name: "Multi approver",
      role: "APPROVER",
      password: randomBytes(16).toString("base64url"),
    },
    new Date(),
  );
  const slug = await seedTarget(db, first, admin);
  const target = await db.target.findUniqueOrThrow({ where: { slug }, select: { id: true } });

  const traffic = new Load(instances, slug);
  const cpuBefore = instances.map(({ app }) => cpuSeconds(app.pid));
  const writesBefore = await databaseWrites(db);
  const loadStarted = performance.now();
  await traffic.start(ingestKeys, reader);
  let kill: Kill;
  let completedSeenAt: number;
  let rollbackId: string;
  try {
    await sleep(10_000);
    console.error("  breaching: 10% errors");
    traffic.errorRate = BREACH_ERROR_RATE;
    rollbackId = await waitFor("a proposed rollback", 120_000, traffic, async () => {
      const row = await db.rollback.findFirst({ where: { targetId: target.id }, select: { id: true, status: true } });
      if (row && row.status !== "PENDING_APPROVAL") throw new Error(`the rollback is ${row.status}, not a proposal`);
      return row?.id ?? null;
    });
    traffic.errorRate = HEALTHY_ERROR_RATE;
    await approveRollback(db, { actor: userActor(approver.id), rollbackId }, new Date());
    console.error(`  approved ${rollbackId}`);
    await waitFor("the rollback past its first step", 90_000, traffic, async () => {
      const row = await db.rollback.findUniqueOrThrow({ where: { id: rollbackId } });
      return row.status === "IN_PROGRESS" && row.currentStep >= 1 ? row : null;
    });
    kill = await killLeaseHolder(db, instances);
    console.error(
      `  SIGKILLed instance ${kill.victim.index} (pid ${kill.victim.app.pid}), ${kill.midCycle ? "in a cycle" : "between cycles"}`,
    );
    await waitFor("the rollback completed", 180_000, traffic, async () => {
      const row = await db.rollback.findUniqueOrThrow({ where: { id: rollbackId }, select: { status: true } });
      if (!["IN_PROGRESS", "COMPLETED"].includes(row.status)) throw new Error(`the rollback ended ${row.status}`);
      return row.status === "COMPLETED" ? row : null;
    });
    completedSeenAt = Date.now();
    await sleep(5_000);
  } catch (error) {
    // The run's own failure is the one to report, not the load's when it is cut short.
    await traffic.stop(30_000).catch(() => undefined);
    throw error;
  }
  // Batches in flight finish, retries included (one reserved by the victim waits a minute to be taken over).
  await traffic.stop(180_000);
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const loadAtEnd = loadavg();
  const survivors = instances.filter((instance) => instance.alive);
  const instanceCpuSeconds = instances.reduce(
    (sum, { app, alive, index }) => sum + (alive ? cpuSeconds(app.pid) : kill.cpuSeconds) - (cpuBefore[index] ?? 0),
    0,
  );
  const finalReads = await Promise.all(
    survivors.map(async ({ app }) => {
      const config = (await call(app.baseUrl, reader, "GET", `/api/v1/targets/${slug}/config`)) as {
        snapshot: { version: number } | null;
        rollback: unknown;
      };
      return config.rollback === null ? (config.snapshot?.version ?? null) : null;
    }),
  );
  // No cycle may write while the records are read; servers that ended have reported their statistics.
  await stopAll(instances);
  await sleep(1_000);
  const writesAfter = await databaseWrites(db);
  const writes = Object.fromEntries(
    Object.entries(writesAfter).map(([name, value]) => [name, value - writesBefore[name as keyof DatabaseWrites]]),
  ) as unknown as DatabaseWrites;
  return verify(db, {
    instanceCpuSeconds,
    writes,
    target: target.id,
    rollbackId,
    kill,
    traffic,
    loadSeconds,
    completedSeenAt,
    finalReads,
    load: [loadAtStart[0] ?? 0, loadAtEnd[0] ?? 0],
  });
}

const STEP_ACTIONS = [
  "rollback.started",
  "rollback.step_advanced",
  "rollback.advanced_after_holds",
  "rollback.jumped_to_full",
  "rollback.step_held",
  "rollback.completed",
];

async function verify(
  db: Db,
  run: {
    instanceCpuSeconds: number;
    writes: DatabaseWrites;
    target: string;
    rollbackId: string;
    kill: Kill;
    traffic: Load;
    loadSeconds: number;
    completedSeenAt: number;
    finalReads: (number | null)[];
    load: [number, number];
  },
): Promise<Figure[]> {
  const { kill, traffic } = run;
  const name = `multi-instance, PostgreSQL, ${INSTANCES} × next start, scheduler every ${MONITOR_INTERVAL_SECONDS} s each`;
  const figures: Figure[] = [];
  const failures: string[] = [];
  const invariant = (metric: string, holds: boolean, note: string) => {
    figures.push({ benchmark: name, metric, value: holds ? 1 : 0, unit: holds ? "holds" : "FAILS", note });
    if (!holds) failures.push(`${metric}: ${note}`);
  };
  const [cycles, steps, rollback, stored, versions] = await Promise.all([
    db.cycleRun.findMany({
      orderBy: { startedAt: "asc" },
      select: { holder: true, startedAt: true, finishedAt: true },
    }),
    db.auditEvent.findMany({
      where: { entityType: "Rollback", entityId: run.rollbackId, action: { in: STEP_ACTIONS } },
      orderBy: { sequence: "asc" },
      select: { action: true, at: true },
    }),
    db.rollback.findUniqueOrThrow({ where: { id: run.rollbackId }, select: { status: true, toSnapshotId: true } }),
    db.metricBucket.aggregate({
      where: { targetId: run.target, provider: "", model: "", snapshotVersion: 0, flagKey: "" },
      _sum: { requestCount: true },
    }),
    db.metricBucket.aggregate({
      where: { targetId: run.target, snapshotVersion: { gt: 0 } },
      _sum: { requestCount: true },
    }),
  ]);
  const instanceOf = (holder: string) => holderPid(holder);
  const victimPid = kill.victim.app.pid;

  // 1. One cycle at a time: recorded cycles in start order never overlap, and none began before the victim's
  // tenure (unrecorded: it died running) ran out.
  let overlaps = 0;
  for (let i = 1; i < cycles.length; i++) {
    if ((cycles[i]?.startedAt.getTime() ?? 0) < (cycles[i - 1]?.finishedAt.getTime() ?? 0)) overlaps += 1;
  }
  const intruders = kill.midCycle
    ? cycles.filter(
        (cycle) =>
          cycle.startedAt > (kill.lease?.acquiredAt ?? kill.at) && cycle.startedAt < (kill.lease?.expiresAt ?? kill.at),
      ).length
    : 0;
  const perInstance = new Map<number, number>();
  for (const cycle of cycles)
    perInstance.set(instanceOf(cycle.holder), (perInstance.get(instanceOf(cycle.holder)) ?? 0) + 1);
  invariant(
    "cycles never overlapped",
    overlaps === 0 && intruders === 0,
    `${cycles.length} cycles recorded (${[...perInstance.values()].join(" + ")} by instance), ${overlaps} overlapping` +
      (kill.midCycle ? `, ${intruders} inside the killed cycle's lease` : ""),
  );

  // 2. Every accepted event stored once: in the all-traffic rows, and (all events carry one) in the version rows.
  const all = stored._sum.requestCount ?? 0;
  const byVersion = versions._sum.requestCount ?? 0;
  invariant(
    "no lost or doubled events",
    all === traffic.accepted && byVersion === traffic.accepted,
    `accepted ${traffic.accepted.toLocaleString("en-US")}, stored ${all.toLocaleString("en-US")} (all traffic) and ` +
      `${byVersion.toLocaleString("en-US")} (by version); ${traffic.replayed} retried batches answered by replay`,
  );

  // 3. Resumed by a survivor within the lease's takeover time, and completed.
  const cycleAt = new Map(cycles.map((cycle) => [cycle.startedAt.getTime(), cycle.holder]));
  const firstCycleAfter = cycles.find((cycle) => cycle.startedAt > kill.at);
  const stepAfter = steps.find((step) => step.at > kill.at);
  const stepBefore = steps.findLast((step) => step.at <= kill.at);
  const leaseLeftMs = Math.max(0, (kill.lease?.expiresAt.getTime() ?? kill.at.getTime()) - kill.at.getTime());
  const stepDueMs = Math.max(
    0,
    (stepBefore?.at.getTime() ?? 0) + POLICY.stepIntervalSeconds * 1000 - kill.at.getTime(),
  );
  const resumeGapMs = stepAfter ? stepAfter.at.getTime() - kill.at.getTime() : Number.NaN;
  const takerPid = stepAfter ? instanceOf(cycleAt.get(stepAfter.at.getTime()) ?? "?:0:?") : 0;
  const bound = Math.max(leaseLeftMs, stepDueMs) + RESUME_SLACK_MS;
  invariant(
    "rollback resumed on a survivor in time",
    stepAfter !== undefined && takerPid !== victimPid && takerPid !== 0 && resumeGapMs <= bound,
    `next step ${(resumeGapMs / 1000).toFixed(1)} s after the kill (${stepAfter?.action ?? "none"}), ` +
      `by pid ${takerPid}; bound ${(bound / 1000).toFixed(1)} s = max(lease left ${(leaseLeftMs / 1000).toFixed(1)} s, ` +
      `step due in ${(stepDueMs / 1000).toFixed(1)} s) + ${RESUME_SLACK_MS / 1000} s`,
  );
  invariant("rollback completed", rollback.status === "COMPLETED", `${rollback.status}; ${steps.length} step events`);

  // 4. The survivors served the restored snapshot: every read started after completion was seen, and a last one each.
  const knownGood = await db.configSnapshot.findUniqueOrThrow({
    where: { id: rollback.toSnapshotId },
    select: { version: true },
  });
  const after = traffic.reads.filter((read) => read.at > run.completedSeenAt);
  const stale = after.filter((read) => read.version !== knownGood.version || read.trafficPercent !== null).length;
  invariant(
    "survivors serve the restored snapshot",
    after.length > 0 && stale === 0 && run.finalReads.every((version) => version === knownGood.version),
    `${after.length} reads after completion, ${stale} not v${knownGood.version}; final reads ${run.finalReads.map((v) => `v${v}`).join(", ")}`,
  );

  // 5. The audit chain, in full, under the key all instances and this process appended with.
  const chain = await verifyAuditChain(db, {}, { now: new Date(), full: true, keyring: auditChainKeyring() });
  invariant(
    "audit chain verifies",
    chain.ok,
    `${chain.checked} events, ${chain.checkpoints.length} checkpoints` +
      (chain.brokenAt ? `; broken at ${chain.brokenAt.sequence} (${chain.brokenAt.reason})` : ""),
  );

  const latencies = [...traffic.latencies].sort((a, b) => a - b);
  const retried = [...traffic.retries].map(([reason, count]) => `${count} × ${reason}`).join(", ") || "none";
  figures.push(
    {
      benchmark: name,
      metric: "events accepted",
      value: traffic.accepted,
      unit: "events",
      note: `${traffic.batches} batches of ${BATCH} from ${CLIENTS} clients in ${run.loadSeconds.toFixed(0)} s`,
    },
    {
      benchmark: name,
      metric: "ingest rate over the run",
      value: traffic.accepted / run.loadSeconds,
      unit: "events/s",
      note: `request p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms`,
    },
    {
      benchmark: name,
      metric: "ingest retries",
      value: traffic.retries.size === 0 ? 0 : [...traffic.retries.values()].reduce((a, b) => a + b),
      unit: "requests",
      note: retried,
    },
    {
      benchmark: name,
      metric: "config reads",
      value: traffic.reads.length,
      unit: "reads",
      note: `${traffic.readFailures} failed (the killed instance)`,
    },
    {
      benchmark: name,
      metric: "kill → first survivor cycle",
      value: firstCycleAfter ? firstCycleAfter.startedAt.getTime() - kill.at.getTime() : Number.NaN,
      unit: "ms",
      note: `killed ${kill.midCycle ? "in a cycle" : "between cycles"}; lease TTL ${CYCLE_LEASE_TIMING.ttlMs / 1000} s, ${(leaseLeftMs / 1000).toFixed(1)} s left at the kill`,
    },
    {
      benchmark: name,
      metric: "kill → next rollback step",
      value: resumeGapMs,
      unit: "ms",
      note: `step interval ${POLICY.stepIntervalSeconds} s`,
    },
    {
      benchmark: name,
      metric: "instances' CPU per 1,000 events",
      value: (1000 * run.instanceCpuSeconds) / (traffic.accepted / 1000),
      unit: "ms",
      note: `${run.instanceCpuSeconds.toFixed(1)} CPU-s in all ${INSTANCES} instances (cycles and config reads included)`,
    },
    {
      benchmark: name,
      metric: "PostgreSQL rows written per batch",
      value: (run.writes.inserted + run.writes.updated + run.writes.deleted) / traffic.batches,
      unit: "rows",
      note:
        `${run.writes.inserted} inserted, ${run.writes.updated} updated, ${run.writes.deleted} deleted in all ` +
        "(cycles, leases and retention included)",
    },
    {
      benchmark: name,
      metric: "PostgreSQL transactions per batch",
      value: run.writes.commits / traffic.batches,
      unit: "commits",
      note: `${run.writes.rollbacks} rolled back (conflicts retried); every statement outside a transaction counts, this process's polling too`,
    },
    {
      benchmark: name,
      metric: "load average (1 min)",
      value: run.load[1],
      unit: "",
      note: `${run.load[0].toFixed(1)} at the start, ${run.load[1].toFixed(1)} at the end, on ${availableParallelism()} cores`,
    },
  );
  if (failures.length > 0) {
    console.error(`  INVARIANTS FAILED:\n    ${failures.join("\n    ")}`);
    process.exitCode = 1;
  }
  return figures;
}
