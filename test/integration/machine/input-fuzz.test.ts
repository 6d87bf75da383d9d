// Property-based fuzzing of what machines and people send, through the services on the real database (SQLite or
// PostgreSQL): ingest batches, Alertmanager payloads, policies and snapshot configs built from valid values mixed
// with hostile ones (NUL, unpaired surrogates, counts at 2^31 and 2^53, 1e308, deep nesting). Whatever comes in,
// the service either accepts it or refuses it with a 4xx AppError, and a refused request writes nothing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError, type AppErrorCode } from "@/server/domain/errors";
import { LatencySketch } from "@/server/domain/sketch";
import { systemActor } from "@/server/services/audit/audit-log";
import { publishSnapshot } from "@/server/services/config/snapshot-publishing";
import { updatePolicy } from "@/server/services/config/policies";
import { receiveAlerts } from "@/server/services/intake/alertmanager";
import { ingestMetrics } from "@/server/services/machine/ingest";
import { BUCKET_MS, makeTarget, testDb } from "../helpers";

const db = testDb();
const NOW = new Date("2026-11-20T12:00:00Z");
const KEY = { prefix: "rwd_fuzz", targetSlugs: null };
/** ~200 runs per schema keeps the file a few seconds long on either database. */
const RUNS = { numRuns: 200 };

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
/** Text a person or a broken client might send: anything, including NUL and lone surrogates. */
const hostileText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: codeUnit, maxLength: 12 }),
  fc.constantFrom("a\u0000b", "\ud800", "x\udfff", "<!channel>", "😀", "", "  ", "x".repeat(300)),
);
const hostileNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -1, 0.5, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 2 ** 63, 1e15, 1e308, Number.MAX_SAFE_INTEGER),
);
/** Any JSON-ish value, a few levels deep, built from the hostile leaves. */
const hostileJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileText,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(hostileText, tie("value"), { maxKeys: 3 }),
  ),
})).value;
/** Mostly the valid value (`weight` to 1), sometimes something else. */
const mostly = <T>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<unknown> = hostileJson, weight = 4) =>
  fc.oneof({ arbitrary: valid, weight }, { arbitrary: other, weight: 1 });
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = i % 2 ? { a: value } : [value];
  return value;
}

/** How the runs of one property ended: both must occur, or the fuzzing missed one side of the schema. */
type Outcomes = { accepted: number; refused: number };

/** Runs a request; a refusal must be one of `codes`, and then nothing may have changed. */
async function acceptsOrRefuses(
  outcomes: Outcomes,
  codes: readonly AppErrorCode[],
  written: () => Promise<unknown>,
  request: () => Promise<unknown>,
): Promise<void> {
  const before = await written();
  try {
    await request();
    outcomes.accepted += 1;
  } catch (error) {
    outcomes.refused += 1;
    if (!(error instanceof AppError) || !codes.includes(error.code)) {
      throw new Error(
        `Unexpected ${error instanceof AppError ? `AppError ${error.code}` : "error"}: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    expect(await written()).toEqual(before);
  }
}

describe("fuzzing the input schemas through the services", () => {
  it("ingest: events and windows", async () => {
    const target = await makeTarget(db);
    const outcomes = { accepted: 0, refused: 0 };
    const recent = fc.integer({ min: NOW.getTime() - 3_600_000, max: NOW.getTime() });
    const event = fc.record(
      {
        ts: mostly(recent, hostileJson, 12),
        latencyMs: mostly(fc.double({ min: 50, max: 60_000, noNaN: true }), hostileNumber, 12),
        ttftMs: maybe(mostly(fc.double({ min: 0, max: 10, noNaN: true }), hostileNumber, 12)),
        ok: mostly(fc.boolean(), hostileJson, 12),
        costUsd: maybe(mostly(fc.double({ min: 0, max: 1, noNaN: true }), hostileNumber, 12)),
        provider: maybe(mostly(fc.constantFrom("openai", "anthropic"), hostileText, 3)),
        model: maybe(mostly(fc.constantFrom("gpt-4o", "claude"), hostileText, 3)),
        inputTokens: maybe(mostly(fc.nat(10_000), hostileNumber, 12)),
        outputTokens: maybe(mostly(fc.nat(10_000), hostileNumber, 12)),
        flags: maybe(mostly(fc.dictionary(fc.constantFrom("chat.streaming", "x"), fc.boolean()))),
      },
      { requiredKeys: ["ts", "latencyMs", "ok"] },
    );
    const start = recent.map((ts) => ts - (ts % BUCKET_MS));
    const sketch = fc
      .array(fc.double({ min: 0, max: 30_000, noNaN: true }), { maxLength: 5 })
      .map((latencies) => LatencySketch.of(latencies).toData());
    const validWindow = (ts: number) =>
      fc.record({
        start: fc.constant(ts - (ts % BUCKET_MS)),
        provider: maybe(fc.constant("openai")),
        requestCount: fc.constantFrom(5, 100_000_000),
        errorCount: fc.nat(5),
        costUsd: fc.constantFrom(0.5, 1_000_000_000),
        inputTokens: maybe(fc.constantFrom(10, 1_000_000_000_000)),
        sketch,
      });
    // Valid windows up to the per-window maxima, all in one bucket of the last ten minutes: enough of them
    // overflow it, alone or merged with what earlier runs stored there.
    const validWindows = fc
      .integer({ min: 1, max: 60 })
      .chain((bucketsAgo) =>
        fc.array(validWindow(NOW.getTime() - bucketsAgo * BUCKET_MS), { minLength: 5, maxLength: 30 }),
      );
    const window = fc.record(
      {
        start: mostly(start),
        provider: maybe(mostly(fc.constant("openai"), hostileText)),
        requestCount: mostly(fc.constantFrom(5, 100_000_000), hostileNumber),
        errorCount: mostly(fc.nat(5), hostileNumber),
        costUsd: mostly(fc.constantFrom(0.5, 1_000_000_000), hostileNumber),
        inputTokens: maybe(mostly(fc.constantFrom(10, 1_000_000_000_000), hostileNumber)),
        sketch: mostly(sketch, fc.oneof(hostileJson, fc.constant({ keys: [1_500], counts: [1], zeroCount: 0 }))),
      },
      { requiredKeys: ["start", "requestCount", "errorCount", "costUsd", "sketch"] },
    );
    const totals = () =>
      db.metricBucket.aggregate({
        where: { targetId: target.id },
        _count: { _all: true },
        _sum: { requestCount: true, costMicros: true, inputTokens: true },
      });
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { maxLength: 4 }),
        fc.oneof(fc.array(window, { maxLength: 3 }), validWindows),
        async (events, windows) => {
          await acceptsOrRefuses(outcomes, ["VALIDATION"], totals, () =>
            ingestMetrics(
              db,
              { key: KEY, body: { target: target.slug, events, windows } },
              { now: NOW, bucketWidthMs: BUCKET_MS, retentionMs: 30 * 86_400_000 },
            ),
          );
        },
      ),
      RUNS,
    );
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it("Alertmanager payloads", async () => {
    const target = await makeTarget(db);
    const outcomes = { accepted: 0, refused: 0 };
    const labels = fc
      .tuple(fc.dictionary(hostileText, hostileText, { maxKeys: 3 }), fc.boolean(), maybe(hostileText))
      .map(([other, ours, severity]) => ({
        ...other,
        ...(ours && { rewind_target: target.slug }),
        ...(severity !== undefined && { severity }),
      }));
    const alert = fc.record({
      status: mostly(fc.constantFrom("firing", "resolved")),
      labels: mostly(labels),
      annotations: maybe(mostly(fc.dictionary(fc.constantFrom("summary", "value", "threshold"), hostileText))),
      startsAt: maybe(hostileText),
      fingerprint: maybe(hostileText),
      generatorURL: maybe(hostileText),
    });
    const payload = fc.record({
      version: mostly(fc.constant("4")),
      receiver: maybe(hostileText),
      groupKey: maybe(hostileText),
      alerts: mostly(fc.array(alert, { maxLength: 3 })),
    });
    const verdicts = () => db.verdictRecord.count({ where: { targetId: target.id } });
    await fc.assert(
      fc.asyncProperty(payload, async (body) => {
        await acceptsOrRefuses(outcomes, ["VALIDATION", "NOT_FOUND"], verdicts, () =>
          receiveAlerts(db, { key: KEY, payload: body }, NOW),
        );
      }),
      RUNS,
    );
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it("policies", async () => {
    const target = await makeTarget(db);
    const outcomes = { accepted: 0, refused: 0 };
    const policy = fc.record(
      {
        maxErrorRate: mostly(fc.double({ min: 0.001, max: 1, noNaN: true }), hostileNumber),
        maxP95LatencyMs: mostly(fc.integer({ min: 100, max: 600_000 }), hostileNumber),
        minRequests: mostly(fc.integer({ min: 1, max: 1_000 }), hostileNumber),
        mode: mostly(fc.constantFrom("APPROVAL", "AUTOMATIC"), hostileText),
        steps: mostly(fc.constant([25, 50, 100]), fc.array(hostileNumber, { maxLength: 4 })),
        burnRate: maybe(fc.record({ enabled: mostly(fc.boolean()), factor: mostly(fc.constant(10), hostileNumber) })),
        extra: maybe(hostileJson),
      },
      { requiredKeys: [] },
    );
    const versions = () => db.policy.count({ where: { targetId: target.id } });
    await fc.assert(
      fc.asyncProperty(mostly(policy), async (draft) => {
        await acceptsOrRefuses(outcomes, ["VALIDATION"], versions, () =>
          updatePolicy(db, { actorId: null, targetId: target.id, policy: draft }, NOW),
        );
      }),
      RUNS,
    );
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it("snapshot configs and labels", async () => {
    const target = await makeTarget(db);
    const outcomes = { accepted: 0, refused: 0 };
    const config = fc.oneof(
      fc.dictionary(hostileText, hostileJson, { maxKeys: 4 }),
      fc.integer({ min: 1, max: 1_200 }).map((depth) => ({ deep: nested(depth) })),
      hostileJson,
    );
    const snapshots = () => db.configSnapshot.count({ where: { targetId: target.id } });
    await fc.assert(
      fc.asyncProperty(config, maybe(hostileText), async (body, label) => {
        await acceptsOrRefuses(outcomes, ["VALIDATION"], snapshots, () =>
          publishSnapshot(db, { actor: systemActor, targetId: target.id, config: body, label } as never, NOW),
        );
      }),
      RUNS,
    );
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
