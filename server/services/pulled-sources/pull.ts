// Pulling: the evaluation pass's pulls for every target with an enabled source (in parallel, a few at a time,
// each within its own timeout, each failure its target's alone), recorded on the source for the console; and
// the console's "Test pull" of a form's settings, which records nothing.
import "server-only";
import type { Db, Prisma } from "../../db";
import { bucketStart } from "../../domain/metrics";
import { parseStoredConfig, metricSourceInputSchema, inputSecret } from "../../domain/pulled-sources/config";
import {
  pullFailureOf,
  type PulledReadings,
  type PullOutcome,
  type PullWindow,
} from "../../domain/pulled-sources/readings";
import { noReadings } from "../../domain/slo";
import { apiKeyEncryptionKey } from "../../env.js";
import { getPolicy } from "../config/policies";
import { log } from "../platform/log";
import { parseInput } from "../platform/validation";
import { pullSource } from "./clients";
import { openSourceSecret } from "./metric-sources";

/** Pulls at once across targets: enough to hide network latency, few enough not to flood a Prometheus. */
export const PULL_CONCURRENCY = 8;

/** A window too short to ask a source about (cut at a configuration change a moment ago): nothing served yet. */
const nothingYet: PulledReadings = { requestCount: 0, readings: noReadings };

async function mapConcurrently<Item, Result>(
  items: readonly Item[],
  limit: number,
  run: (item: Item) => Promise<Result>,
): Promise<Result[]> {
  const results: Result[] = new Array<Result>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** One source's pull, never throwing: a stored config or secret that cannot be read fails this pull only. */
async function pullOne(
  row: { id: string; kind: PullOutcome["kind"]; config: Prisma.JsonValue; secretSealed: string | null },
  window: PullWindow,
  encryptionKey: () => Buffer,
): Promise<PullOutcome> {
  try {
    if (window.to - window.from < 1000) return { kind: row.kind, window, readings: nothingYet };
    const source = parseStoredConfig(row.kind, row.config);
    const readings = await pullSource(source, openSourceSecret(row, encryptionKey), window);
    return { kind: row.kind, window, readings };
  } catch (error) {
    return { kind: row.kind, window, error: pullFailureOf(error).message };
  }
}

/**
 * The pulled outcome of every target matching `where` whose source is enabled and for which `windowOf` gives a
 * window (targets it skips, e.g. with an invalid policy, are not pulled). Each pull is recorded on its source
 * (lastPulledAt, lastReadings or lastError); a failure to record is logged and changes no outcome.
 */
export async function pullEnabledSources(
  db: Db,
  input: {
    where: Prisma.TargetWhereInput;
    windowOf: (targetId: string) => PullWindow | null;
    now: Date;
    encryptionKey?: () => Buffer;
  },
): Promise<Map<string, PullOutcome>> {
  const rows = await db.metricSource.findMany({
    where: { enabled: true, target: input.where },
    select: { id: true, targetId: true, kind: true, config: true, secretSealed: true },
  });
  const due = rows.flatMap((row) => {
    const window = input.windowOf(row.targetId);
    return window ? [{ row, window }] : [];
  });
  if (due.length === 0) return new Map();
  const encryptionKey = input.encryptionKey ?? (() => apiKeyEncryptionKey());
  const outcomes = await mapConcurrently(due, PULL_CONCURRENCY, ({ row, window }) =>
    pullOne(row, window, encryptionKey),
  );
  try {
    await db.$transaction(
      due.map(({ row }, index) => {
        const outcome = outcomes[index]!;
        return db.metricSource.update({
          where: { id: row.id },
          data: {
            lastPulledAt: input.now,
            ...("error" in outcome
              ? { lastError: outcome.error }
              : { lastError: null, lastReadings: outcome.readings as unknown as Prisma.InputJsonValue }),
          },
          select: { id: true },
        });
      }),
    );
  } catch (error) {
    // A source deleted during the pull, a busy database: the verdicts matter, the console's note can wait.
    log.warn("metric_sources.record_failed", { sources: due.length, error });
  }
  return new Map(due.map(({ row }, index) => [row.targetId, outcomes[index]!]));
}

export type TestPullResult =
  { ok: true; window: PullWindow; readings: PulledReadings } | { ok: false; window: PullWindow; error: string };

/**
 * Pulls the given (unsaved) settings once over the target's evaluation window ending at the current bucket, with
 * the saved secret when the form leaves it out. Records nothing: the form's settings may never be saved.
 */
export async function testMetricSource(
  db: Db,
  input: { targetId: string; source: unknown },
  options: { now: Date; bucketWidthMs: number; encryptionKey: () => Buffer },
): Promise<TestPullResult> {
  const parsed = parseInput(metricSourceInputSchema, input.source);
  const { policy } = await getPolicy(db, input.targetId);
  const saved = await db.metricSource.findUnique({
    where: { targetId: input.targetId },
    select: { id: true, kind: true, secretSealed: true },
  });
  const end = bucketStart(options.now.getTime(), options.bucketWidthMs);
  const window = { from: end - policy.evaluationWindowSeconds * 1000, to: end, sinceChange: false };
  try {
    const given = inputSecret(parsed);
    const secret =
      given !== undefined ? given : saved?.kind === parsed.kind ? openSourceSecret(saved, options.encryptionKey) : null;
    const readings = await pullSource(parsed, secret, window);
    return { ok: true, window, readings };
  } catch (error) {
    return { ok: false, window, error: pullFailureOf(error).message };
  }
}
