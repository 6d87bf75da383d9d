// Judging configurations, not time windows: traffic attributed to snapshot versions, judgments cut at every
// configuration change plus the pickup grace, and verification on the restored snapshot's own traffic.
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/domain/errors";
import { pagerDutyAction } from "@/server/domain/notification-channels";
import { systemActor } from "@/server/services/audit/audit-log";
import { publishSnapshot } from "@/server/services/config/snapshot-publishing";
import { getOverview } from "@/server/services/dashboard/overview";
import { effectiveConfig } from "@/server/services/machine/config-delivery";
import { metricSeries, metricsSummary, recordMetrics } from "@/server/services/metrics/buckets";
import { loadBuckets } from "@/server/services/metrics/bucket-reads";
import { runMonitoringCycle } from "@/server/services/monitoring/cycle";
import { evaluateTarget } from "@/server/services/monitoring/evaluation";
import { BUCKET_MS, makeTarget, testDb, traffic } from "../helpers";
import {
  createSnapshot,
  cycleOptions,
  lifecyclePolicy,
  lifecycleTarget,
  MINUTE,
  savePolicy,
  SECOND,
} from "../lifecycle-fixtures";

const db = testDb();
const day = (n: number) => Date.UTC(2033, 2, n);

/** `seconds` requests, one a second from `from`; every `errorEvery`-th fails; attributed to `version` if given. */
function send(
  targetId: string,
  from: number,
  seconds: number,
  options: { errorEvery?: number; version?: number } = {},
) {
  const events = traffic(from, seconds, { errorEvery: options.errorEvery ?? 0, latencyMs: 500 }).map((event) =>
    options.version === undefined ? event : { ...event, snapshotVersion: options.version },
  );
  return recordMetrics(db, { targetId, events }, { bucketWidthMs: BUCKET_MS, now: new Date(from + seconds * SECOND) });
}

const cycle = (now: number) => runMonitoringCycle(db, cycleOptions(now));

async function rejectionOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** The README demo's policy: errors judged with the burn-rate pair on, a one-minute window and steps. */
const errorPolicy = { ...lifecyclePolicy, burnRate: { enabled: true } };

describe("attribution by snapshot version", () => {
  it("refuses an unknown, another target's or a non-positive version by its index, writing nothing", async () => {
    const T = day(1);
    const { target } = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    const other = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    await createSnapshot(db, other.target.id, 7);
    const events = (version: number) =>
      traffic(T, 5).map((event, i) => (i === 3 ? { ...event, snapshotVersion: version } : event));
    const record = (version: number) =>
      recordMetrics(
        db,
        { targetId: target.id, events: events(version) },
        { bucketWidthMs: BUCKET_MS, now: new Date(T) },
      );

    for (const version of [99, 7]) {
      const error = await rejectionOf(record(version));
      expect(error.code).toBe("VALIDATION");
      expect(error.details.issues).toEqual({
        "events.3.snapshotVersion": `Snapshot version ${version} is not a snapshot of this target`,
      });
    }
    for (const version of [0, -1]) {
      const error = await rejectionOf(record(version));
      expect(Object.keys(error.details.issues ?? {})).toEqual(["events.3.snapshotVersion"]);
    }
    const window = {
      start: T,
      requestCount: 1,
      errorCount: 0,
      costUsd: 0,
      sketch: { keys: [1], counts: [1], zeroCount: 0 },
    };
    const error = await rejectionOf(
      recordMetrics(
        db,
        { targetId: target.id, windows: [window, { ...window, snapshotVersion: 99 }] },
        { bucketWidthMs: BUCKET_MS, now: new Date(T) },
      ),
    );
    expect(Object.keys(error.details.issues ?? {})).toEqual(["windows.1.snapshotVersion"]);
    expect(await db.metricBucket.count({ where: { targetId: target.id } })).toBe(0);
  });

  it("counts attributed traffic once in series, summary, overview and evaluation", async () => {
    const T = day(2);
    const { target, good, bad } = await lifecycleTarget(db, lifecyclePolicy, new Date(T));
    // 30 healthy requests on v1 (attributed) and 30 failing ones without a version: 50% errors over all traffic.
    await send(target.id, T, 30, { version: good.version });
    await send(target.id, T + 30 * SECOND, 30, { errorEvery: 1 });
    expect(await db.metricBucket.count({ where: { targetId: target.id, snapshotVersion: good.version } })).toBe(3);

    const range = { targetId: target.id, from: new Date(T), to: new Date(T + MINUTE) };
    const summary = await metricsSummary(db, range);
    expect(summary.window).toMatchObject({ requestCount: 60, errorCount: 30, errorRate: 0.5 });
    const series = await metricSeries(db, range, { bucketWidthMs: BUCKET_MS });
    expect(series.points.reduce((sum, point) => sum + point.requestCount, 0)).toBe(60);
    expect(await loadBuckets(db, target.id, range)).toHaveLength(6);

    const overview = await getOverview(
      db,
      { now: new Date(T + MINUTE), bucketWidthMs: BUCKET_MS },
      { search: target.slug },
    );
    const card = overview.targets.find((entry) => entry.id === target.id);
    expect(card?.sparklines.errorRate.filter((rate) => rate !== null)).toEqual([0.5]);

    // v2 is current and reported nothing: all traffic is judged, each request once.
    const { verdict } = await evaluateTarget(db, target.id, { now: new Date(T + MINUTE), bucketWidthMs: BUCKET_MS });
    expect(verdict.observed).toMatchObject({ requestCount: 60, errorRate: 0.5 });
    expect(bad.version).toBe(2);
    // With v1 current, its own rows are judged: the 30 requests it served.
    await db.target.update({ where: { id: target.id }, data: { currentSnapshotId: good.id } });
    const own = await evaluateTarget(db, target.id, { now: new Date(T + MINUTE + SECOND), bucketWidthMs: BUCKET_MS });
    expect(own.verdict).toMatchObject({ status: "HEALTHY", observed: { requestCount: 30, errorRate: 0 } });
    expect(own.verdict.explanation).toContain("of v1's traffic");
  });
});

describe("judgments cut at configuration changes", () => {
  it("judges the burn-rate pair only once the configuration has served a whole short window", async () => {
    const T = day(20);
    // 5% errors: within the 10% SLO, but 5× a 1% budget, above the factor of 2.
    const burnPolicy = {
      ...lifecyclePolicy,
      maxErrorRate: 0.1,
      burnRate: { enabled: true, errorBudget: 0.01, factor: 2, shortWindowSeconds: 300, longWindowSeconds: 3_600 },
    };
    const { target, bad } = await lifecycleTarget(db, burnPolicy, new Date(T));
    await db.target.update({ where: { id: target.id }, data: { configChangedAt: new Date(T) } });
    const judge = async (at: number) =>
      (await evaluateTarget(db, target.id, { now: new Date(at), bucketWidthMs: BUCKET_MS })).verdict;

    // A minute of v2: seconds-old windows would read a 5× burn from one unlucky stretch.
    await send(target.id, T, 60, { errorEvery: 20, version: bad.version });
    const early = await judge(T + MINUTE);
    expect(early).toMatchObject({ status: "HEALTHY" });
    expect(early).not.toHaveProperty("burnRate");

    // Six minutes of it is a sustained burn: a breach on the burn-rate pair although the window passes.
    await send(target.id, T + MINUTE, 5 * 60, { errorEvery: 20, version: bad.version });
    const sustained = await judge(T + 6 * MINUTE);
    expect(sustained).toMatchObject({ status: "BREACH", burnRate: { factor: 2 } });
  });

  it.each([
    ["without versions", false],
    ["with versions", true],
  ])("the README emergency (errors, emergency rollback, healthy after) ends EFFECTIVE, %s", async (_, attributed) => {
    const T = day(3) + (attributed ? 12 * 3_600_000 : 0);
    const { target, good, bad } = await lifecycleTarget(db, errorPolicy, new Date(T - 10 * MINUTE));
    await send(target.id, T - 10 * MINUTE, 10 * 60, attributed ? { version: bad.version } : {});
    await send(target.id, T, 60, { errorEvery: 2, ...(attributed && { version: bad.version }) });
    await cycle(T + MINUTE);
    const [rollback] = await db.rollback.findMany({ where: { targetId: target.id } });
    expect(rollback).toMatchObject({ trigger: "EMERGENCY", status: "IN_PROGRESS", trafficPercent: 100 });
    // Config delivery serves v1 as `snapshot` from the start of the emergency rollback.
    expect((await effectiveConfig(db, target.slug)).snapshot?.id).toBe(good.id);

    await send(target.id, T + MINUTE, 4 * 60, attributed ? { version: good.version } : {});
    for (const minutes of [2, 3, 4]) await cycle(T + minutes * MINUTE);
    const done = await db.rollback.findUniqueOrThrow({ where: { id: rollback!.id } });
    expect(done).toMatchObject({ status: "COMPLETED", verification: "EFFECTIVE" });
    const after = await db.verdictRecord.findMany({
      where: { targetId: target.id, evaluatedAt: { gt: done.endedAt! } },
      select: { status: true },
    });
    expect(after.map((v) => v.status)).not.toContain("BREACH");
    const events = await db.notification.findMany({ where: { rollbackId: rollback!.id }, select: { event: true } });
    expect(events.map((n) => n.event)).toContain("rollback.verified");
    expect(events.map((n) => n.event)).not.toContain("rollback.ineffective");
  });

  it("a fix published 30 s after a rollback completes bakes normally: no breach on old traffic, no proposal", async () => {
    const T = day(5);
    const { target } = await lifecycleTarget(db, { ...errorPolicy, bakeTimeSeconds: 60 }, new Date(T - MINUTE));
    await send(target.id, T - MINUTE, 2 * 60, { errorEvery: 2 });
    await cycle(T + MINUTE);
    await send(target.id, T + MINUTE, 60);
    await cycle(T + 2 * MINUTE); // completes the emergency rollback
    const { snapshot: fix } = await publishSnapshot(
      db,
      { actor: systemActor, targetId: target.id, config: { model: "fixed", timeoutMs: 30_000 } },
      new Date(T + 2 * MINUTE + 30 * SECOND),
    );
    await send(target.id, T + 2 * MINUTE, 4 * 60);
    for (const minutes of [3, 4, 5]) await cycle(T + minutes * MINUTE);

    const verdicts = await db.verdictRecord.findMany({
      where: { targetId: target.id, evaluatedAt: { gt: new Date(T + 2 * MINUTE + 30 * SECOND) } },
      select: { status: true },
    });
    expect(verdicts.map((v) => v.status)).not.toContain("BREACH");
    expect(await db.rollback.count({ where: { targetId: target.id } })).toBe(1);
    const stored = await db.configSnapshot.findUniqueOrThrow({ where: { id: fix.id } });
    expect(stored.failedAt).toBeNull();
    expect(stored.knownGoodAt).not.toBeNull();
    expect((await db.target.findUniqueOrThrow({ where: { id: target.id } })).knownGoodSnapshotId).toBe(fix.id);
  });

  it("a bad v2 with 10% errors is not blessed known-good on v1's traffic", async () => {
    const T = day(6);
    const target = await makeTarget(db);
    const v1 = await createSnapshot(db, target.id, 1, { publishedAt: new Date(0), knownGoodAt: new Date(0) });
    await db.target.update({
      where: { id: target.id },
      data: { currentSnapshotId: v1.id, knownGoodSnapshotId: v1.id },
    });
    await savePolicy(
      db,
      target.id,
      { ...lifecyclePolicy, evaluationWindowSeconds: 300, verificationWindowSeconds: 300, bakeTimeSeconds: 60 },
      new Date(T - 10 * MINUTE),
    );
    await send(target.id, T - 5 * MINUTE, 5 * 60);
    const { snapshot: v2 } = await publishSnapshot(
      db,
      { actor: systemActor, targetId: target.id, config: { model: "cheaper", timeoutMs: 30_000 } },
      new Date(T),
    );
    await send(target.id, T, 3 * 60, { errorEvery: 10 });
    for (const minutes of [1, 2, 3]) await cycle(T + minutes * MINUTE);

    const stored = await db.configSnapshot.findUniqueOrThrow({ where: { id: v2.id } });
    expect(stored.knownGoodAt).toBeNull();
    expect(stored.failedAt).not.toBeNull();
    expect((await db.target.findUniqueOrThrow({ where: { id: target.id } })).knownGoodSnapshotId).toBe(v1.id);
    const first = await db.verdictRecord.findFirstOrThrow({
      where: { targetId: target.id, evaluatedAt: new Date(T + MINUTE) },
      select: { details: true },
    });
    expect((first.details as { explanation: string }).explanation).toContain("since the configuration changed");
  });

  it("no traffic after completion: INCONCLUSIVE, said at WARNING, never paged", async () => {
    const T = day(7);
    const { target } = await lifecycleTarget(db, errorPolicy, new Date(T - MINUTE));
    await send(target.id, T - MINUTE, 2 * 60, { errorEvery: 2 });
    for (const minutes of [1, 2, 3, 4]) await cycle(T + minutes * MINUTE);
    const [rollback] = await db.rollback.findMany({ where: { targetId: target.id } });
    expect(rollback).toMatchObject({ status: "COMPLETED", verification: "INCONCLUSIVE" });
    const [notice] = await db.notification.findMany({
      where: { rollbackId: rollback!.id, event: "rollback.inconclusive" },
      select: { event: true, severity: true, body: true },
    });
    expect(notice).toMatchObject({ severity: "WARNING" });
    expect(notice?.body).toMatch(/Not enough traffic on v1/);
    expect(pagerDutyAction(notice!)).toBeNull();
    expect(await db.notification.count({ where: { rollbackId: rollback!.id, event: "rollback.ineffective" } })).toBe(0);
  });
});
