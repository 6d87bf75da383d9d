// usePerformanceRollback against the real routers on the run's real database (SQLite, or PostgreSQL with
// TEST_DATABASE=postgresql), through the in-process tRPC client of ./render.
import { act, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { shareUnchanged, usePerformanceRollback } from "@/components/use-performance-rollback";
import type { RoleName } from "@/server/domain/roles";
import { startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { BUCKET_MS, makeUser, testDb } from "../integration/helpers";
import { breachVerdict, lifecyclePolicy, rollbackDecision, SECOND } from "../integration/lifecycle-fixtures";
import { renderHookAs } from "./render";
import { seededTarget } from "./target-fixtures";

const db = testDb();

async function render(slug: string, role: RoleName) {
  const user = await makeUser(db, role);
  const rendered = renderHookAs({ db, userId: user.id }, () => usePerformanceRollback(slug));
  await waitFor(() => expect(rendered.result.current.isLoading).toBe(false));
  expect(rendered.result.current.error).toBeNull();
  return rendered;
}

describe("usePerformanceRollback", () => {
  it("loads the target's verdict, series, breakdown, verdict periods, policy, snapshots and rollbacks", async () => {
    const { target, good, bad, firstVerdictAt } = await seededTarget(db);
    const { result } = await render(target.slug, "VIEWER");
    const view = result.current;

    expect(view.window).toBe("1h");
    expect(view.target).toMatchObject({ id: target.id, slug: target.slug, monitoringEnabled: true });
    expect(view.verdict).toMatchObject({ status: "BREACH", severity: "CRITICAL" });
    expect(view.periods).toHaveLength(1);
    expect(view.periods[0]).toMatchObject({ level: "BREACH" });
    // The target has no verdicts before these two, so shading cannot start earlier.
    expect(view.verdictsSince).toEqual(firstVerdictAt);

    expect(view.series?.stepMs).toBe(BUCKET_MS);
    const withTraffic = view.series?.points.filter((point) => point.requestCount > 0) ?? [];
    expect(withTraffic.reduce((sum, point) => sum + point.requestCount, 0)).toBe(600);
    expect(withTraffic.every((point) => point.errorRate === 0.1)).toBe(true);
    // Steps before the traffic started are gaps, not zeros.
    expect(view.series?.points[0]).toMatchObject({ requestCount: 0, errorRate: null, p95Ms: null });

    expect(view.summary?.window).toMatchObject({ requestCount: 600, errorCount: 60 });
    expect(view.summary?.breakdown).toEqual([
      expect.objectContaining({ provider: "openai", model: "gpt-test", requestCount: 600 }),
    ]);
    expect(view.policy).toMatchObject({ version: 1, policy: { maxP95LatencyMs: 1_000 } });
    expect(view.snapshots?.map((snapshot) => [snapshot.id, snapshot.isCurrent])).toEqual([
      [bad.id, true],
      [good.id, false],
    ]);
    expect(view.rollbacks).toEqual([]);
    expect(view.activeRollback).toBeNull();
  });

  it("charts the chosen window: a week in 20-minute steps (whole rollups), without the breakdown of at most a day", async () => {
    const { target } = await seededTarget(db);
    const { result, calls } = await render(target.slug, "VIEWER");

    act(() => result.current.setWindow("7d"));
    await waitFor(() => expect(result.current.series?.stepMs).toBe(1_200 * SECOND));
    expect(result.current.window).toBe("7d");
    expect(result.current.series?.points.length).toBeLessThanOrEqual(1_000);
    expect(result.current.series?.points.reduce((sum, point) => sum + point.requestCount, 0)).toBe(600);
    expect(result.current.summary).toBeUndefined();
    const summaryCalls = calls.filter((call) => call === "metrics.summary").length;

    act(() => result.current.setWindow("15m"));
    await waitFor(() => expect(result.current.series?.stepMs).toBe(BUCKET_MS));
    await waitFor(() => expect(result.current.summary?.window.requestCount).toBe(600));
    expect(calls.filter((call) => call === "metrics.summary").length).toBeGreaterThan(summaryCalls);
  });

  it("triggers a manual rollback that waits for approval, then cancels it", async () => {
    const { target, good } = await seededTarget(db);
    const { result } = await render(target.slug, "APPROVER");

    let requested: Awaited<ReturnType<typeof result.current.triggerRollback>> | undefined;
    await act(async () => {
      requested = await result.current.triggerRollback({ toSnapshotId: good.id, reason: "v2 is slow" });
    });
    expect(requested).toMatchObject({ status: "PENDING_APPROVAL", trigger: "MANUAL", reason: "v2 is slow" });
    const id = requested?.id ?? "";
    expect(await db.rollback.findUnique({ where: { id }, select: { status: true, toSnapshotId: true } })).toEqual({
      status: "PENDING_APPROVAL",
      toSnapshotId: good.id,
    });
    await waitFor(() => expect(result.current.activeRollback?.id).toBe(id));

    await act(async () => {
      await result.current.cancelRollback({ reason: "False alarm" });
    });
    expect(await db.rollback.findUnique({ where: { id }, select: { status: true, aborted: true } })).toEqual({
      status: "CANCELLED",
      aborted: false,
    });
    await waitFor(() => expect(result.current.activeRollback).toBeNull());
    expect(result.current.rollbacks?.map((rollback) => rollback.status)).toEqual(["CANCELLED"]);
    expect(result.current.actionError).toBeNull();
  });

  it("aborts a rollback that is already in progress", async () => {
    const fixture = await seededTarget(db);
    const started = await startRollbackFromDecision(
      db,
      {
        target: fixture.target,
        decision: rollbackDecision("EMERGENCY_ROLLBACK"),
        verdict: breachVerdict,
        policy: fixture.policy,
        policyVersion: 1,
      },
      new Date(),
    );
    expect(started.status).toBe("IN_PROGRESS");
    const { result } = await render(fixture.target.slug, "APPROVER");
    expect(result.current.activeRollback).toMatchObject({ id: started.rollbackId, status: "IN_PROGRESS" });

    await act(async () => {
      await result.current.cancelRollback({ reason: "The known-good snapshot is worse" });
    });
    expect(
      await db.rollback.findUnique({ where: { id: started.rollbackId }, select: { status: true, aborted: true } }),
    ).toEqual({ status: "CANCELLED", aborted: true });
    await waitFor(() => expect(result.current.activeRollback).toBeNull());
  });

  it("charts a fixed range (an incident's zoom) with its rollbacks' timelines, until a window is chosen", async () => {
    const fixture = await seededTarget(db);
    const requestedAt = new Date(Date.now() - 10 * 60_000);
    await startRollbackFromDecision(
      db,
      {
        target: fixture.target,
        decision: rollbackDecision("EMERGENCY_ROLLBACK"),
        verdict: breachVerdict,
        policy: fixture.policy,
        policyVersion: 1,
      },
      requestedAt,
    );
    const user = await makeUser(db, "VIEWER");
    const from = new Date(requestedAt.getTime() - 5 * 60_000);
    const to = new Date(requestedAt.getTime() + 5 * 60_000);
    const { result } = renderHookAs({ db, userId: user.id }, () =>
      usePerformanceRollback(fixture.target.slug, { initialRange: { from, to } }),
    );
    await waitFor(() => expect(result.current.timelines).toHaveLength(1));
    expect(result.current.window).toBeNull();
    expect(result.current.range).toEqual({ from, to });
    // An emergency moves all traffic when it is requested.
    expect(result.current.timelines[0]?.events).toEqual([
      { at: requestedAt, kind: "REQUESTED" },
      { at: requestedAt, kind: "STEP", trafficPercent: 100 },
    ]);

    // Without an end, the range follows now.
    act(() => result.current.setRange({ from, to: null }));
    expect(result.current.range.from).toEqual(from);
    expect(result.current.range.to.getTime()).toBeGreaterThanOrEqual(Date.now() - 10_000);

    act(() => result.current.setWindow("1h"));
    expect(result.current.window).toBe("1h");
    expect(result.current.customRange).toBeNull();
  });

  it("stops and starts monitoring", async () => {
    const { target } = await seededTarget(db);
    const { result } = await render(target.slug, "OPERATOR");
    const monitoring = () =>
      db.target.findUniqueOrThrow({ where: { id: target.id }, select: { monitoringEnabled: true } });

    await act(() => result.current.stopMonitoring());
    expect(await monitoring()).toEqual({ monitoringEnabled: false });
    await waitFor(() => expect(result.current.target?.monitoringEnabled).toBe(false));

    await act(() => result.current.startMonitoring());
    expect(await monitoring()).toEqual({ monitoringEnabled: true });
    await waitFor(() => expect(result.current.target?.monitoringEnabled).toBe(true));
  });

  it("checks a policy before sending it: an invalid one reports field issues and changes nothing", async () => {
    const { target } = await seededTarget(db);
    const { result, calls } = await render(target.slug, "OPERATOR");

    let outcome: Awaited<ReturnType<typeof result.current.updatePolicy>> | undefined;
    await act(async () => {
      outcome = await result.current.updatePolicy({ ...lifecyclePolicy, maxErrorRate: 2, steps: [50, 25] });
    });
    expect(outcome).toEqual({
      ok: false,
      issues: {
        maxErrorRate: "Max error rate is a fraction and must be at most 1 (100%)",
        steps: "Steps must ascend and end at 100",
      },
    });
    expect(calls).not.toContain("policies.update");
    expect(await db.policy.count({ where: { targetId: target.id } })).toBe(1);
    expect(result.current.policy?.version).toBe(1);
  });

  it("saves a valid policy as the next version", async () => {
    const { target } = await seededTarget(db);
    const { result } = await render(target.slug, "OPERATOR");

    let outcome: Awaited<ReturnType<typeof result.current.updatePolicy>> | undefined;
    await act(async () => {
      outcome = await result.current.updatePolicy({ ...lifecyclePolicy, maxErrorRate: 0.1 });
    });
    expect(outcome).toMatchObject({ ok: true, policy: { version: 2, policy: { maxErrorRate: 0.1 } } });
    const latest = await db.policy.findFirstOrThrow({
      where: { targetId: target.id },
      orderBy: { version: "desc" },
      select: { version: true, config: true },
    });
    expect(latest.version).toBe(2);
    expect(latest.config).toMatchObject({ maxErrorRate: 0.1 });
    await waitFor(() => expect(result.current.policy?.version).toBe(2));
  });

  it("shows a viewer's refused rollback as a FORBIDDEN error and creates nothing", async () => {
    const { target, good } = await seededTarget(db);
    const { result } = await render(target.slug, "VIEWER");

    let thrown: unknown;
    await act(async () => {
      await result.current.triggerRollback({ toSnapshotId: good.id, reason: "Let me" }).catch((error: unknown) => {
        thrown = error;
      });
    });
    expect(thrown).toBeDefined();
    expect(result.current.actionError?.data?.code).toBe("FORBIDDEN");
    expect(result.current.actionError?.message).toBe("This needs the operator role or higher");
    expect(await db.rollback.count({ where: { targetId: target.id } })).toBe(0);
    expect(result.current.activeRollback).toBeNull();
  });
});

describe("shareUnchanged", () => {
  it("keeps what a poll returned unchanged, Dates included, and replaces only what changed", () => {
    const before = {
      stepMs: 10_000,
      points: [
        { start: new Date(0), errorRate: 0.1 },
        { start: new Date(10_000), errorRate: null },
      ],
    };
    const same = structuredClone(before);
    expect(shareUnchanged(before, same)).toBe(before);

    const changed = structuredClone(before);
    (changed.points[1] as { errorRate: number | null }).errorRate = 0.2;
    const shared = shareUnchanged(before, changed) as typeof before;
    expect(shared).not.toBe(before);
    expect(shared.points[0]).toBe(before.points[0]);
    expect(shared.points[1]).toEqual({ start: new Date(10_000), errorRate: 0.2 });

    const longer = {
      ...structuredClone(before),
      points: [...structuredClone(before.points), { start: new Date(20_000), errorRate: 0 }],
    };
    expect((shareUnchanged(before, longer) as typeof before).points).toHaveLength(3);
    expect(shareUnchanged(new Date(5), new Date(6))).toEqual(new Date(6));
  });
});
