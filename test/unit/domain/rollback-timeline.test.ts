import { describe, expect, it } from "vitest";
import {
  incidentEnd,
  incidentRange,
  isRecentIncident,
  rollbackTimeline,
  type TimelineRow,
} from "@/server/domain/rollback-timeline";

const T = Date.UTC(2027, 0, 1, 3);
const S = 1_000;
const MIN = 60 * S;
const at = (seconds: number) => new Date(T + seconds * S);

const row = (overrides: Partial<TimelineRow> = {}): TimelineRow => ({
  status: "COMPLETED",
  steps: [25, 50, 100],
  requestedAt: at(0),
  startedAt: at(60),
  endedAt: at(400),
  aborted: false,
  verification: "EFFECTIVE",
  verifiedAt: at(1_000),
  ...overrides,
});
const audit = (seconds: number, action: string, trafficPercent: number) => ({
  at: at(seconds),
  action,
  after: { status: "X", trafficPercent, approvals: 1 },
});
const brief = (events: ReturnType<typeof rollbackTimeline>) =>
  events.map((event) => [
    (event.at.getTime() - T) / S,
    event.kind,
    event.trafficPercent ?? event.ending ?? event.verification ?? null,
  ]);

describe("rollbackTimeline", () => {
  it("marks the request, approval, every traffic step, completion and verification from the audit events", () => {
    const events = [
      audit(0, "rollback.created", 0),
      audit(30, "rollback.approved", 0),
      audit(60, "rollback.started", 25),
      audit(180, "rollback.step_held", 25),
      audit(200, "rollback.step_advanced", 50),
      audit(300, "rollback.advanced_after_holds", 100),
      audit(400, "rollback.completed", 100),
    ];
    expect(brief(rollbackTimeline(row(), [...events].reverse()))).toEqual([
      [0, "REQUESTED", null],
      [30, "APPROVED", null],
      [60, "STEP", 25],
      [200, "STEP", 50],
      [300, "STEP", 100],
      [400, "COMPLETED", null],
      [1_000, "VERIFIED", "EFFECTIVE"],
    ]);
  });

  it("gives an emergency its 100% step at the request, and an abort its end without a step back to 0%", () => {
    const emergency = rollbackTimeline(row({ steps: [100], startedAt: at(0), verification: "PENDING" }), [
      audit(0, "rollback.created", 100),
      audit(10, "rollback.completed", 100),
    ]);
    expect(brief(emergency)).toEqual([
      [0, "REQUESTED", null],
      [0, "STEP", 100],
      [10, "COMPLETED", null],
    ]);
    const aborted = rollbackTimeline(
      row({ status: "CANCELLED", aborted: true, verification: null, verifiedAt: null }),
      [audit(0, "rollback.created", 0), audit(60, "rollback.started", 25), audit(90, "rollback.aborted", 0)],
    );
    expect(brief(aborted)).toEqual([
      [0, "REQUESTED", null],
      [60, "STEP", 25],
      [90, "ENDED", "ABORTED"],
    ]);
  });

  it("falls back on the row's columns without audit events", () => {
    expect(brief(rollbackTimeline(row({ verification: "INEFFECTIVE" }), []))).toEqual([
      [0, "REQUESTED", null],
      [60, "STEP", 25],
      [400, "COMPLETED", null],
      [1_000, "VERIFIED", "INEFFECTIVE"],
    ]);
    const rejected = row({
      status: "REJECTED",
      startedAt: null,
      endedAt: at(50),
      verification: null,
      verifiedAt: null,
    });
    expect(brief(rollbackTimeline(rejected, []))).toEqual([
      [0, "REQUESTED", null],
      [50, "ENDED", "REJECTED"],
    ]);
  });
});

describe("incidentEnd and isRecentIncident", () => {
  it("ends a completed rollback at its verification, another at its end, and a running one never", () => {
    expect(incidentEnd(row())).toEqual(at(1_000));
    expect(incidentEnd(row({ verification: "PENDING", verifiedAt: null }))).toBeNull();
    expect(incidentEnd(row({ status: "IN_PROGRESS", endedAt: null, verification: null, verifiedAt: null }))).toBeNull();
    expect(incidentEnd(row({ status: "CANCELLED", verification: null, verifiedAt: null }))).toEqual(at(400));
  });

  it("is recent while it runs and for a day after its end", () => {
    expect(isRecentIncident(row(), at(1_000 + 86_400))).toBe(true);
    expect(isRecentIncident(row(), at(1_001 + 86_400))).toBe(false);
    expect(isRecentIncident(row({ verification: "PENDING", verifiedAt: null }), at(10 * 86_400))).toBe(true);
  });
});

describe("incidentRange", () => {
  it("spans the first violation's judged window to the verification, with margins, on whole minutes", () => {
    const range = incidentRange({
      requestedAt: at(0),
      firstViolationFrom: at(-300),
      end: at(1_200),
      now: at(5_000),
    });
    // 25 min from the first judged window to the verification: 5 min before it, 2.5 min after.
    expect(range).toEqual({ from: at(-600), to: at(1_380) });
  });

  it("follows now while the rollback or its verification runs, and starts a margin before a manual request", () => {
    expect(incidentRange({ requestedAt: at(30), firstViolationFrom: null, end: null, now: at(600) })).toEqual({
      from: at(-300),
      to: null,
    });
  });

  it("keeps an end still to come, and reaches back no further than a day before the request", () => {
    const range = incidentRange({
      requestedAt: at(0),
      firstViolationFrom: at(-3 * 86_400),
      end: at(600),
      now: at(630),
    });
    // The end plus its margin (an hour, a tenth of the day before it), though now has not reached it: the same
    // link opened later shows the same span, and charts stop at now until then.
    expect(range.to).toEqual(at(4_200));
    expect(range.from.getTime()).toBeGreaterThanOrEqual(T - 86_400 * S - 3_600 * S);
    expect(range.from.getTime()).toBeLessThanOrEqual(T - 86_400 * S);
  });

  it("keeps a range ending before now whole minutes apart and in order", () => {
    const range = incidentRange({ requestedAt: at(17), firstViolationFrom: at(-13), end: at(47), now: at(9_999) });
    expect(range.from.getTime() % MIN).toBe(0);
    expect(range.to!.getTime() % MIN).toBe(0);
    expect(range.to!.getTime()).toBeGreaterThan(range.from.getTime());
  });
});
