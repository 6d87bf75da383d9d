"use client";
// Everything the target page shows and does, live: the target, its latest verdict, the metric series of the
// chosen window, the periods of violation to shade, its rollbacks, policy and snapshots, polled every few seconds; and
// the actions on it, each invalidating what it changed. Roles are the server's to enforce: a refused action
// rejects and its error is kept in `actionError` for the page to show.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { TRPCClientErrorLike } from "@trpc/client";
import type { inferRouterOutputs } from "@trpc/server";
import { useCallback, useEffect, useMemo, useState } from "react";
import type { AppRouter } from "@/server/api/root";
import { fieldIssues, type FieldIssues } from "@/server/domain/errors";
import { policySchema, type PolicyInput } from "@/server/domain/policy";
import { MAX_CHART_POINTS, MAX_CHART_RANGE_DAYS } from "@/server/domain/metrics";
import { isActive } from "@/server/domain/rollback";
import type { VerdictPeriod } from "@/server/domain/verdict-periods";
import { issuesOf } from "./form-errors";
import { chartWindows, defaultChartWindow, type ChartRange, type ChartWindow } from "./target/windows";
import { useTRPC } from "./trpc";

type Outputs = inferRouterOutputs<AppRouter>;
export type TargetView = Outputs["targets"]["bySlug"];
export type VerdictView = Outputs["evaluation"]["verdicts"][number];
export type SeriesView = Outputs["metrics"]["series"];
export type SummaryView = Outputs["metrics"]["summary"];
export type RollbackView = Outputs["rollbacks"]["list"]["items"][number];
export type RollbackTimelineView = Outputs["rollbacks"]["timelines"][number];
export type IncidentView = NonNullable<Outputs["rollbacks"]["incident"]>;
export type RollbackDetailView = Outputs["rollbacks"]["requestManual"];
export type PolicyView = Outputs["policies"]["get"];
export type SnapshotView = Outputs["snapshots"]["list"][number];
export type ActionError = TRPCClientErrorLike<AppRouter>;

/** Field issues from the client-side check or the server's, or the saved version. */
export type PolicyUpdateResult = { ok: true; policy: PolicyView } | { ok: false; issues: FieldIssues };

export interface PerformanceRollbackOptions {
  initialWindow?: ChartWindow;
  /** A fixed span instead of a window (`?from=&to=`, an incident's zoom); `to` null follows now. */
  initialRange?: ChartRange | null;
  /** How often everything is reloaded, in ms. */
  pollMs?: number;
}

const DAY_MS = 86_400_000;
/** The default metric bucket width: chart steps are whole buckets. */
const BUCKET_MS = 10_000;
const NO_PERIODS: VerdictPeriod[] = [];
const NO_TIMELINES: RollbackTimelineView[] = [];
/** The longest range the charts read. */
const MAX_RANGE_MS = MAX_CHART_RANGE_DAYS * DAY_MS;
/** Series and summaries are keyed by their range, which moves with every poll: old ranges go quickly. */
const RANGE_GC_MS = 30_000;
const ROLLBACK_PAGE = 50;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/**
 * TanStack Query's structural sharing, with Dates: a poll that returns what was there keeps the previous objects,
 * so memoised charts and rows do not redraw. (The default treats every Date as a change.)
 */
export function shareUnchanged(previous: unknown, next: unknown): unknown {
  if (previous === next) return next;
  if (previous instanceof Date && next instanceof Date) return previous.getTime() === next.getTime() ? previous : next;
  if (Array.isArray(previous) && Array.isArray(next)) {
    const items = next.map((item, index) => shareUnchanged(previous[index], item));
    return items.length === previous.length && items.every((item, index) => item === previous[index])
      ? previous
      : items;
  }
  if (isPlainObject(previous) && isPlainObject(next)) {
    const keys = Object.keys(next);
    let same = keys.length === Object.keys(previous).length;
    const shared: Record<string, unknown> = {};
    for (const key of keys) {
      shared[key] = shareUnchanged(previous[key], next[key]);
      if (shared[key] !== previous[key]) same = false;
    }
    return same ? previous : shared;
  }
  return next;
}

export function usePerformanceRollback(targetSlug: string, options: PerformanceRollbackOptions = {}) {
  const { initialWindow = defaultChartWindow, initialRange = null, pollMs = 5_000 } = options;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [selectedWindow, setSelectedWindow] = useState<ChartWindow>(initialWindow);
  const [customRange, setCustomRange] = useState<ChartRange | null>(initialRange);
  const [now, setNow] = useState(() => Date.now());
  const [actionError, setActionError] = useState<ActionError | null>(null);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), pollMs);
    return () => clearInterval(timer);
  }, [pollMs]);

  const customFrom = customRange?.from.getTime() ?? null;
  const customTo = customRange?.to?.getTime() ?? null;
  const spanMs = customFrom === null ? chartWindows[selectedWindow].ms : (customTo ?? now) - customFrom;
  // The range ends at the next multiple of about one chart step, so it (and the queries' keys) moves once a step
  // rather than on every poll; polling refreshes the same range, whose last point fills in as traffic arrives.
  // A fixed range with an end does not move once now has passed it.
  const alignMs = Math.max(pollMs, Math.ceil(spanMs / MAX_CHART_POINTS / BUCKET_MS) * BUCKET_MS);
  const end = Math.min(customTo ?? Infinity, Math.ceil(now / alignMs) * alignMs);
  const start = customFrom === null ? end - spanMs : Math.max(customFrom, end - MAX_RANGE_MS);
  // A link to a range that starts after now (a clock ahead) still asks for a valid one.
  const to = Math.max(end, start + BUCKET_MS);
  const range = useMemo(() => ({ from: new Date(start), to: new Date(to) }), [start, to]);
  const windowMs = to - start;
  const live = { refetchInterval: pollMs, structuralSharing: shareUnchanged } as const;

  const target = useQuery(trpc.targets.bySlug.queryOptions({ slug: targetSlug }, live));
  const targetId = target.data?.id ?? "";
  const ready = targetId !== "";

  const series = useQuery(
    trpc.metrics.series.queryOptions(
      { targetId, ...range },
      { ...live, enabled: ready, placeholderData: keepPreviousData, gcTime: RANGE_GC_MS },
    ),
  );
  // The provider/model breakdown is summarised over at most a day (metrics.summary's limit).
  const summary = useQuery(
    trpc.metrics.summary.queryOptions(
      { targetId, ...range },
      { ...live, enabled: ready && windowMs <= DAY_MS, placeholderData: keepPreviousData, gcTime: RANGE_GC_MS },
    ),
  );
  const latestVerdict = useQuery(
    trpc.evaluation.verdicts.queryOptions({ targetId, limit: 1 }, { ...live, enabled: ready }),
  );
  const verdictPeriods = useQuery(
    trpc.evaluation.periods.queryOptions(
      { targetId, ...range },
      { ...live, enabled: ready, placeholderData: keepPreviousData, gcTime: RANGE_GC_MS },
    ),
  );
  const rollbacks = useQuery(
    trpc.rollbacks.list.queryOptions({ targetId, limit: ROLLBACK_PAGE }, { ...live, enabled: ready }),
  );
  const timelines = useQuery(
    trpc.rollbacks.timelines.queryOptions(
      { targetId, ...range },
      { ...live, enabled: ready, placeholderData: keepPreviousData, gcTime: RANGE_GC_MS },
    ),
  );
  const policy = useQuery(trpc.policies.get.queryOptions({ targetId }, { ...live, enabled: ready }));
  const snapshots = useQuery(trpc.snapshots.list.queryOptions({ targetId }, { ...live, enabled: ready }));

  const rollbackItems = rollbacks.data?.items;
  // Only one rollback of a target can be active, and none can start while it is, so it is the newest.
  const activeRollback = rollbackItems?.find((rollback) => isActive(rollback.status)) ?? null;
  const invalidate = useCallback(
    (...keys: readonly (readonly unknown[])[]) =>
      Promise.all(keys.map((queryKey) => queryClient.invalidateQueries({ queryKey }))),
    [queryClient],
  );

  /** Runs a mutation, keeping its error for the page; rethrows so callers can keep a dialog open. */
  async function act<T>(run: () => Promise<T>): Promise<T> {
    setActionError(null);
    try {
      return await run();
    } catch (error) {
      setActionError(error as ActionError);
      throw error;
    }
  }

  function requireTargetId(): string {
    if (!ready) throw new Error("The target has not loaded yet");
    return targetId;
  }

  const requestManual = useMutation(trpc.rollbacks.requestManual.mutationOptions());
  const cancel = useMutation(trpc.rollbacks.cancel.mutationOptions());
  const abort = useMutation(trpc.rollbacks.abort.mutationOptions());
  const setMonitoring = useMutation(trpc.targets.setMonitoring.mutationOptions());
  const savePolicy = useMutation(trpc.policies.update.mutationOptions());

  /** Asks for a manual rollback to a snapshot of this target; it waits for approval (operators and up). */
  const triggerRollback = (input: { toSnapshotId: string; reason: string }) =>
    act(async () => {
      const rollback = await requestManual.mutateAsync({ targetId: requireTargetId(), ...input });
      await invalidate(trpc.rollbacks.pathKey());
      return rollback;
    });

  /**
   * Stops the active rollback: a pending or approved one is cancelled (no traffic had moved), one in progress
   * is aborted (traffic returns to the snapshot from before it). Either needs the approver role.
   */
  const cancelRollback = ({ reason }: { reason: string }) =>
    act(async () => {
      if (!activeRollback) throw new Error("This target has no active rollback");
      const input = { rollbackId: activeRollback.id, reason };
      const rollback =
        activeRollback.status === "IN_PROGRESS" ? await abort.mutateAsync(input) : await cancel.mutateAsync(input);
      await invalidate(trpc.rollbacks.pathKey(), trpc.targets.pathKey(), trpc.snapshots.pathKey());
      return rollback;
    });

  const switchMonitoring = (enabled: boolean) =>
    act(async () => {
      const updated = await setMonitoring.mutateAsync({ id: requireTargetId(), enabled });
      await invalidate(trpc.targets.pathKey());
      return updated;
    });

  /**
   * Validates the draft with the shared policy schema first: when it is invalid nothing is sent and the field
   * issues come back (as they do when the server refuses it); other failures reject.
   */
  const updatePolicy = async (draft: PolicyInput): Promise<PolicyUpdateResult> => {
    const parsed = policySchema.safeParse(draft);
    if (!parsed.success) return { ok: false, issues: fieldIssues(parsed.error) };
    try {
      return await act(async () => {
        const saved = await savePolicy.mutateAsync({ targetId: requireTargetId(), policy: parsed.data });
        // A policy's bake time decides the current snapshot's bake state.
        await invalidate(trpc.policies.pathKey(), trpc.snapshots.pathKey());
        return { ok: true as const, policy: saved };
      });
    } catch (error) {
      const issues = issuesOf(error);
      if (Object.keys(issues).length > 0) return { ok: false, issues };
      throw error;
    }
  };

  const setWindow = useCallback((next: ChartWindow) => {
    setSelectedWindow(next);
    setCustomRange(null);
    setNow(Date.now());
  }, []);

  /** Shows a fixed span (an incident's zoom); `to` null follows now. */
  const setRange = useCallback((next: ChartRange) => {
    setCustomRange(next);
    setNow(Date.now());
  }, []);

  /** Reloads everything now, the series up to this instant. */
  const refresh = useCallback(async () => {
    setNow(Date.now());
    await invalidate(
      trpc.targets.bySlug.queryKey({ slug: targetSlug }),
      trpc.evaluation.pathKey(),
      trpc.rollbacks.pathKey(),
      trpc.policies.pathKey(),
      trpc.snapshots.pathKey(),
    );
  }, [invalidate, trpc, targetSlug]);

  const queries = [target, series, summary, latestVerdict, verdictPeriods, rollbacks, timelines, policy, snapshots];
  return {
    /** The window shown, or null while a fixed range is (`customRange`). */
    window: customRange ? null : selectedWindow,
    setWindow,
    customRange,
    setRange,
    range,
    target: target.data,
    /** The latest recorded verdict, null before the first evaluation. */
    verdict: latestVerdict.data ? (latestVerdict.data[0] ?? null) : undefined,
    /** Violation and breach periods of the window, from the recorded verdicts, for shading. */
    periods: verdictPeriods.data?.periods ?? NO_PERIODS,
    /** Set when the verdict history does not reach back to the window's start: shading begins here. */
    verdictsSince: verdictPeriods.data?.coveredFrom ?? null,
    series: series.data,
    /** The series shown is the previous window's or range's while the new one loads. */
    seriesIsStale: series.isPlaceholderData,
    /** Undefined for windows over a day, which metrics.summary does not cover. */
    summary: windowMs <= DAY_MS ? summary.data : undefined,
    rollbacks: rollbackItems,
    /** The rollbacks overlapping the range with their timelines (steps, completion, verification), newest first. */
    timelines: timelines.data ?? NO_TIMELINES,
    activeRollback,
    policy: policy.data,
    snapshots: snapshots.data,
    isLoading: target.isPending || (ready && queries.some((query) => query.isPending && query.isEnabled)),
    /** The first failed load (the target's before the rest), or null. */
    error: queries.find((query) => query.error)?.error ?? null,
    actionError,
    clearActionError: () => setActionError(null),
    pending: {
      trigger: requestManual.isPending,
      cancel: cancel.isPending || abort.isPending,
      monitoring: setMonitoring.isPending,
      policy: savePolicy.isPending,
    },
    triggerRollback,
    cancelRollback,
    startMonitoring: () => switchMonitoring(true),
    stopMonitoring: () => switchMonitoring(false),
    updatePolicy,
    refresh,
  };
}

export type PerformanceRollback = ReturnType<typeof usePerformanceRollback>;
