// The dashboard's overview: every target with its latest verdict, current snapshot, active rollback and an
// hour of sparklines, plus the system switches, in a fixed number of queries however many targets there are.
import "server-only";
import { z } from "zod";
import type { Db } from "../../db";
import { verdictSchema, type Verdict, type VerdictStatus } from "../../domain/evaluation";
import { bucketStart, chartStepMs, downsampleSeries } from "../../domain/metrics";
import { attentionLevel, sortByAttention, type AttentionLevel } from "../../domain/overview";
import type { RollbackStatus, RollbackTrigger } from "../../domain/rollback";
import { slos, type SloReading } from "../../domain/slo";
import { loadStepSeries } from "../metrics/chart-series";
import { getSystemState, type SystemStateDto } from "../config/system-switches";

/** The sparklines' span and resolution: an hour in about 60 points (one a minute with 10 s buckets). */
export const SPARKLINE_RANGE_MS = 3_600_000;
export const SPARKLINE_POINTS = 60;

export interface OverviewVerdict {
  status: VerdictStatus;
  severity: "CRITICAL" | "EMERGENCY" | null;
  evaluatedAt: Date;
  consecutiveCount: number;
  /** The evaluation window's numbers; null when the stored verdict cannot be read. */
  observed: Verdict["observed"] | null;
  explanation: string | null;
}

export interface OverviewRollback {
  id: string;
  status: RollbackStatus;
  trigger: RollbackTrigger;
  /** Steps applied so far (0 before the first) and how many there are. */
  step: number;
  stepCount: number;
  /** Share of traffic on `to`; the rest is still on `from`. */
  trafficPercent: number;
  from: { id: string; version: number | null };
  to: { id: string; version: number | null };
}

/**
 * One series per SLO of the catalogue, a value per step from `from` (null where the step had no traffic, and all
 * nulls for an SLO no traffic reported, such as TTFT on a route that does not stream), rounded to what the
 * catalogue's formatters show: it is polled for every target every few seconds.
 */
export type Sparklines = { from: Date; stepMs: number } & Record<SloReading, (number | null)[]>;

export interface OverviewTarget {
  id: string;
  slug: string;
  name: string;
  monitoringEnabled: boolean;
  attention: AttentionLevel;
  verdict: OverviewVerdict | null;
  currentSnapshot: { id: string; version: number | null } | null;
  activeRollback: OverviewRollback | null;
  sparklines: Sparklines;
}

export interface Overview {
  generatedAt: Date;
  system: SystemStateDto;
  /** Worst first (server/domain/overview.ts). */
  targets: OverviewTarget[];
}

const stepsSchema = z.array(z.number().int());

/**
 * Three significant digits: what the catalogue's formatters show of any unit, so a sparkline's latest value reads
 * as the same reading would on a tile ("$0.0000106", not "$0.000011" from whole micro-dollars).
 */
const rounded = (value: number | null) => (value === null ? null : Number(value.toPrecision(3)));

export async function getOverview(db: Db, options: { now: Date; bucketWidthMs: number }): Promise<Overview> {
  const { now, bucketWidthMs } = options;
  const range = { from: now.getTime() - SPARKLINE_RANGE_MS, to: now.getTime() };
  const stepMs = chartStepMs(range, bucketWidthMs, SPARKLINE_POINTS);
  const seriesFrom = bucketStart(range.from, stepMs);

  const [targets, latestTimes, rollbacks, system] = await Promise.all([
    db.target.findMany({
      select: { id: true, slug: true, name: true, monitoringEnabled: true, currentSnapshotId: true },
    }),
    db.verdictRecord.groupBy({ by: ["targetId"], _max: { evaluatedAt: true } }),
    db.rollback.findMany({
      where: { activeTargetId: { not: null } },
      select: {
        id: true,
        targetId: true,
        status: true,
        trigger: true,
        steps: true,
        currentStep: true,
        trafficPercent: true,
        fromSnapshotId: true,
        toSnapshotId: true,
      },
    }),
    getSystemState(db),
  ]);

  // The latest verdict of each target: the groupBy above found its time, the (targetId, evaluatedAt) index
  // finds the row. One query for all targets rather than one per target.
  const latestKeys = latestTimes.flatMap((row) =>
    row._max.evaluatedAt ? [{ targetId: row.targetId, evaluatedAt: row._max.evaluatedAt }] : [],
  );
  const snapshotIds = [
    ...targets.flatMap((target) => (target.currentSnapshotId ? [target.currentSnapshotId] : [])),
    ...rollbacks.flatMap((rollback) => [rollback.fromSnapshotId, rollback.toSnapshotId]),
  ];
  const [verdictRows, snapshots, series] = await Promise.all([
    latestKeys.length === 0
      ? []
      : db.verdictRecord.findMany({
          where: { OR: latestKeys },
          select: {
            targetId: true,
            evaluatedAt: true,
            status: true,
            severity: true,
            consecutiveCount: true,
            details: true,
          },
        }),
    snapshotIds.length === 0
      ? []
      : db.configSnapshot.findMany({
          where: { id: { in: [...new Set(snapshotIds)] } },
          select: { id: true, version: true },
        }),
    loadStepSeries(db, {
      targetIds: targets.map((target) => target.id),
      from: new Date(seriesFrom),
      to: now,
      stepMs,
    }),
  ]);

  const verdicts = new Map<string, OverviewVerdict>();
  for (const row of verdictRows) {
    if (verdicts.has(row.targetId)) continue;
    const details = verdictSchema.safeParse(row.details);
    verdicts.set(row.targetId, {
      status: row.status,
      severity: row.severity,
      evaluatedAt: row.evaluatedAt,
      consecutiveCount: row.consecutiveCount,
      observed: details.success ? details.data.observed : null,
      explanation: details.success ? details.data.explanation : null,
    });
  }
  const versions = new Map(snapshots.map((snapshot) => [snapshot.id, snapshot.version]));
  const snapshotRef = (id: string) => ({ id, version: versions.get(id) ?? null });
  const activeRollbacks = new Map(
    rollbacks.map((rollback) => {
      const steps = stepsSchema.safeParse(rollback.steps);
      return [
        rollback.targetId,
        {
          id: rollback.id,
          status: rollback.status,
          trigger: rollback.trigger,
          step: rollback.currentStep + 1,
          stepCount: steps.success ? steps.data.length : 0,
          trafficPercent: rollback.trafficPercent,
          from: snapshotRef(rollback.fromSnapshotId),
          to: snapshotRef(rollback.toSnapshotId),
        } satisfies OverviewRollback,
      ];
    }),
  );

  const cards = targets.map((target): OverviewTarget => {
    const verdict = verdicts.get(target.id) ?? null;
    const activeRollback = activeRollbacks.get(target.id) ?? null;
    const points = downsampleSeries(series.get(target.id) ?? [], range, stepMs);
    return {
      id: target.id,
      slug: target.slug,
      name: target.name,
      monitoringEnabled: target.monitoringEnabled,
      attention: attentionLevel({
        monitoringEnabled: target.monitoringEnabled,
        verdict,
        hasActiveRollback: activeRollback !== null,
      }),
      verdict,
      currentSnapshot: target.currentSnapshotId ? snapshotRef(target.currentSnapshotId) : null,
      activeRollback,
      sparklines: {
        from: new Date(seriesFrom),
        stepMs,
        ...(Object.fromEntries(
          slos.map(({ reading }) => [reading, points.map((point) => rounded(point[reading]))]),
        ) as Record<SloReading, (number | null)[]>),
      },
    };
  });
  return { generatedAt: now, system, targets: sortByAttention(cards) };
}
