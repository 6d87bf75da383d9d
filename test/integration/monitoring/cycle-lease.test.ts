// The cycle's lease over time, on injected clocks and a heartbeat the test drives: a cycle longer than any TTL
// keeps it, a crashed holder is replaced after the 30 s TTL, and a holder that lost it stops before acting.
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { CYCLE_LEASE_TIMING, runCycleUnderLease, type CycleLeaseSeams } from "@/server/services/monitoring/cycle-lease";
import { runMonitoringCycle, type MonitoringCycleSummary } from "@/server/services/monitoring/cycle";
import {
  acquireLease,
  currentLease,
  holdLease,
  LeaseLostError,
  type LeaseTimer,
} from "@/server/services/platform/lease";
import { BUCKET_MS, makeTarget, testDb } from "../helpers";
import { YEAR } from "../lifecycle-fixtures";

const db = testDb();
const T = Date.parse("2031-03-01T00:00:00Z");
const SECOND = 1_000;

/** A clock the test moves. */
function manualClock(start: number) {
  let now = start;
  return {
    now: () => new Date(now),
    set: (at: number) => void (now = at),
    advance: (ms: number) => void (now += ms),
  };
}

/** A heartbeat that beats only when the test says so; `beat()` settles once the renewal has. */
function manualTimer() {
  const beats: (() => Promise<void>)[] = [];
  const timer: LeaseTimer = {
    every(_ms, beat) {
      beats.push(beat);
      return () => void beats.splice(beats.indexOf(beat), 1);
    },
  };
  return { timer, beat: () => Promise.all(beats.map((beat) => beat())), running: () => beats.length };
}

/** A lease of this test alone: the real "monitoring-cycle" lease belongs to other tests' cycles. */
const leaseName = () => `cycle-test-${randomBytes(4).toString("hex")}`;
const options = (clock: ReturnType<typeof manualClock>) => ({
  trigger: "manual" as const,
  now: clock.now,
  bucketWidthMs: BUCKET_MS,
  retentionMs: YEAR,
});

/** A real cycle's summary, for stand-in cycles that only need to take time. */
let summary: MonitoringCycleSummary;
beforeAll(async () => {
  summary = await runMonitoringCycle(db, { now: new Date(T - YEAR), bucketWidthMs: BUCKET_MS, retentionMs: YEAR });
});

function seams(name: string, holder: string, overrides: Partial<CycleLeaseSeams> = {}): Partial<CycleLeaseSeams> {
  return { leaseName: name, holder, timer: manualTimer().timer, cycle: () => Promise.resolve(summary), ...overrides };
}

describe("the monitoring cycle's lease", () => {
  it("is kept by a cycle far longer than its TTL: another instance is refused throughout, then runs", async () => {
    const name = leaseName();
    const clock = manualClock(T);
    const heartbeat = manualTimer();
    const second: Awaited<ReturnType<typeof runCycleUnderLease>>[] = [];
    let steps = 0;

    const result = await runCycleUnderLease(db, options(clock), {
      ...seams(name, "instance-a"),
      timer: heartbeat.timer,
      // Five minutes of evaluation: the heartbeat beats every 10 s, the other instance tries every 10 s.
      cycle: async (_db, _input, hooks) => {
        for (let i = 0; i < 30; i++) {
          clock.advance(10 * SECOND);
          await heartbeat.beat();
          second.push(await runCycleUnderLease(db, options(clock), seams(name, "instance-b")));
          await hooks?.beforeStep?.(`step ${i}`);
          steps += 1;
        }
        return summary;
      },
    });

    expect(result.status).toBe("ran");
    expect(steps).toBe(30);
    expect(second).toHaveLength(30);
    for (const attempt of second) expect(attempt).toMatchObject({ status: "busy", holder: "instance-a" });
    // The heartbeat stopped with the cycle, and the lease ends when it did.
    expect(heartbeat.running()).toBe(0);
    expect(await currentLease(db, name)).toMatchObject({ holder: "instance-a", expiresAt: new Date(T + 300 * SECOND) });
    expect(await runCycleUnderLease(db, options(clock), seams(name, "instance-b"))).toMatchObject({ status: "ran" });
  });

  it("of a crashed holder is taken over once the 30 s TTL has passed, and the holder stops if it wakes", async () => {
    const name = leaseName();
    const clock = manualClock(T);
    let wake: (summary: MonitoringCycleSummary) => void = () => undefined;
    // Instance A stops mid-cycle (a crash, or a stall as long): its cycle does not return, no heartbeat beats.
    const crashed = runCycleUnderLease(db, options(clock), {
      ...seams(name, "crashed-a"),
      cycle: () => new Promise((resolve) => (wake = resolve)),
    });
    await expect.poll(() => currentLease(db, name)).toMatchObject({ holder: "crashed-a" });

    clock.set(T + CYCLE_LEASE_TIMING.ttlMs - 1);
    expect(await runCycleUnderLease(db, options(clock), seams(name, "takeover-b"))).toMatchObject({ status: "busy" });
    clock.set(T + 30 * SECOND);
    expect(CYCLE_LEASE_TIMING.ttlMs).toBe(30 * SECOND);
    const takeover = runCycleUnderLease(db, options(clock), {
      ...seams(name, "takeover-b"),
      cycle: async () => {
        // A wakes while B runs: before recording or sending anything it finds the lease gone, and stops.
        wake(summary);
        await expect(crashed).rejects.toThrow(LeaseLostError);
        return summary;
      },
    });
    expect(await takeover).toMatchObject({ status: "ran" });
    await expect(crashed).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/stopped before recording the cycle/) as unknown,
    });
    expect(await db.cycleRun.count({ where: { holder: "crashed-a", startedAt: new Date(T) } })).toBe(0);
    expect(await db.cycleRun.count({ where: { holder: "takeover-b", startedAt: new Date(T + 30 * SECOND) } })).toBe(1);
    // A's release did not touch B's lease.
    expect(await currentLease(db, name)).toMatchObject({ holder: "takeover-b" });
  });

  it("lost mid-cycle stops the real cycle at its next step, before it judges or acts", async () => {
    const name = leaseName();
    const clock = manualClock(T + YEAR);
    const target = await makeTarget(db);
    const run = runCycleUnderLease(db, options(clock), {
      ...seams(name, "instance-a"),
      cycle: async (cycleDb, input, hooks) => {
        // The process stalls past the TTL without a beat, and another instance takes the lease over.
        clock.advance(CYCLE_LEASE_TIMING.ttlMs + SECOND);
        expect(
          await acquireLease(db, { name, holder: "instance-b", ttlMs: CYCLE_LEASE_TIMING.ttlMs, now: clock.now() }),
        ).toBe(true);
        return runMonitoringCycle(cycleDb, input, hooks);
      },
    });
    await expect(run).rejects.toThrow(/Lost the cycle-test-\w+ lease to another holder: stopped before /);
    expect(await db.verdictRecord.count({ where: { targetId: target.id } })).toBe(0);
    expect(await currentLease(db, name)).toMatchObject({ holder: "instance-b" });
  });
});

describe("held leases", () => {
  it("renew on each heartbeat, by tenure: the same holder's later tenure does not vouch for an earlier one", async () => {
    const name = leaseName();
    const clock = manualClock(T);
    const heartbeat = manualTimer();
    const timing = { ttlMs: 30 * SECOND, heartbeatMs: 10 * SECOND };
    const first = await holdLease(db, { name, holder: "process-p", now: clock.now, timer: heartbeat.timer, ...timing });
    if (!first) throw new Error("expected the lease");
    clock.advance(10 * SECOND);
    await heartbeat.beat();
    expect((await currentLease(db, name))?.expiresAt).toEqual(new Date(T + 40 * SECOND));

    // The process stalls; its lease expires and the same process (same holder name) takes it again.
    clock.set(T + 41 * SECOND);
    const second = await holdLease(db, {
      name,
      holder: "process-p",
      now: clock.now,
      ...timing,
      timer: manualTimer().timer,
    });
    expect(second).not.toBeNull();
    await expect(first.ensureHeld("acting")).rejects.toThrow(LeaseLostError);
    await first.release(new Date(T));
    expect(await currentLease(db, name)).toMatchObject({ acquiredAt: new Date(T + 41 * SECOND) });
    await second?.ensureHeld("acting");
  });
});
