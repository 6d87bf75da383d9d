// The dashboard's overview: every target's state, counted by group, and a page of the targets a search and group
// match, each with its latest verdict, current snapshot, active rollback and an hour of sparklines, plus the system
// switches, in a fixed number of queries however many targets there are. Cards and sparklines are built for the
// page only, so a thousand targets cost little more than fifty.
import "server-only";
import { z } from "zod";
import type { Db } from "../../db";
import { verdictSchema, type Verdict, type VerdictStatus } from "../../domain/evaluation";
import { bucketStart, chartStepMs, downsampleSeries } from "../../domain/metrics";
import {
  attentionLevel,
  matchesSearch,
  OVERVIEW_PAGE_SIZE,
  overviewGroupOf,
  overviewGroups,
  overviewViewSchema,
  pageOf,
  sortForOverview,
  type AttentionLevel,
  type OverviewGroup,
  type OverviewView,
} from "../../domain/overview";
import type { RollbackStatus, RollbackTrigger } from "../../domain/rollback";
import { slos, type SloReading } from "../../domain/slo";
import { loadStepSeries } from "../metrics/chart-series";
import { getSystemState, type SystemStateDto } from "../config/system-switches";
import { parseInput } from "../platform/validation";

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
  group: OverviewGroup;
  verdict: OverviewVerdict | null;
  currentSnapshot: { id: string; version: number | null } | null;
  activeRollback: OverviewRollback | null;
  sparklines: Sparklines;
}

export interface Overview {
  generatedAt: Date;
  system: SystemStateDto;
  /** Every target, by group, whatever the search: the page's summary. */
  counts: Record<OverviewGroup, number> & { total: number; emergencies: number };
  /** The targets the search matches, by group (every group, whichever one is shown): the groups' headings. */
  matched: Record<OverviewGroup, number> & { total: number };
  /** The view as applied: the search trimmed, the page brought within `pageCount`. */
  view: { search: string; group: OverviewGroup | null; page: number; pageCount: number; pageSize: number };
  /** The page's targets, group by group, worst first within each (server/domain/overview.ts). */
  targets: OverviewTarget[];
  /** How many targets the view shows over all its pages. */
  shown: number;
}

const stepsSchema = z.array(z.number().int());

/**
 * Three significant digits: what the catalogue's formatters show of any unit, so a sparkline's latest value reads
 * as the same reading would on a tile ("$0.0000106", not "$0.000011" from whole micro-dollars).
 */
const rounded = (value: number | null) => (value === null ? null : Number(value.toPrecision(3)));

export async function getOverview(
  db: Db,
  options: { now: Date; bucketWidthMs: number },
  input: OverviewView = {},
): Promise<Overview> {
  const { search, group, page } = parseInput(overviewViewSchema, input);
  const { now, bucketWidthMs } = options;
  const range = { from: now.getTime() - SPARKLINE_RANGE_MS, to: now.getTime() };
  const stepMs = chartStepMs(range, bucketWidthMs, SPARKLINE_POINTS);
  const seriesFrom = bucketStart(range.from, stepMs);

  const [targets, latestRows, rollbacks, system] = await Promise.all([
    db.target.findMany({
      select: { id: true, slug: true, name: true, monitoringEnabled: true, currentSnapshotId: true },
    }),
    latestVerdicts(db),
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

  const rollbackOf = new Map(rollbacks.map((rollback) => [rollback.targetId, rollback]));

  // Every target's state, for the counts; the search and group pick what is shown, and only the page's cards
  // are built.
  const states = targets.map((target) => {
    const rollback = rollbackOf.get(target.id) ?? null;
    const attention = attentionLevel({
      monitoringEnabled: target.monitoringEnabled,
      verdict: latestRows.get(target.id) ?? null,
      hasActiveRollback: rollback !== null,
    });
    return {
      target,
      rollback,
      attention,
      group: overviewGroupOf(attention, rollback?.status ?? null),
      slug: target.slug,
    };
  });
  const counts = {
    ...countByGroup(states),
    total: states.length,
    emergencies: states.filter((state) => state.attention === "EMERGENCY").length,
  };
  const matching = states.filter((state) => matchesSearch(state.target, search));
  const matched = { ...countByGroup(matching), total: matching.length };
  const shown = sortForOverview(group ? matching.filter((state) => state.group === group) : matching);
  const paged = pageOf(shown, page);

  const pageRollbacks = paged.items.flatMap((state) => (state.rollback ? [state.rollback] : []));
  const snapshotIds = [
    ...paged.items.flatMap((state) => (state.target.currentSnapshotId ? [state.target.currentSnapshotId] : [])),
    ...pageRollbacks.flatMap((rollback) => [rollback.fromSnapshotId, rollback.toSnapshotId]),
  ];
  const [snapshots, series] = await Promise.all([
    snapshotIds.length === 0
      ? []
      : db.configSnapshot.findMany({
          where: { id: { in: [...new Set(snapshotIds)] } },
          select: { id: true, version: true },
        }),
    loadStepSeries(db, {
      targetIds: paged.items.map((state) => state.target.id),
      from: new Date(seriesFrom),
      to: now,
      stepMs,
      bucketWidthMs,
    }),
  ]);

  const versions = new Map(snapshots.map((snapshot) => [snapshot.id, snapshot.version]));
  const snapshotRef = (id: string) => ({ id, version: versions.get(id) ?? null });
  const verdictOf = (targetId: string): OverviewVerdict | null => {
    const row = latestRows.get(targetId);
    if (!row) return null;
    const details = verdictSchema.safeParse(row.details);
    return {
      status: row.status,
      severity: row.severity,
      evaluatedAt: row.evaluatedAt,
      consecutiveCount: row.consecutiveCount,
      observed: details.success ? details.data.observed : null,
      explanation: details.success ? details.data.explanation : null,
    };
  };
  const activeRollbackOf = (rollback: (typeof rollbacks)[number] | null): OverviewRollback | null => {
    if (!rollback) return null;
    const steps = stepsSchema.safeParse(rollback.steps);
    return {
      id: rollback.id,
      status: rollback.status,
      trigger: rollback.trigger,
      step: rollback.currentStep + 1,
      stepCount: steps.success ? steps.data.length : 0,
      trafficPercent: rollback.trafficPercent,
      from: snapshotRef(rollback.fromSnapshotId),
      to: snapshotRef(rollback.toSnapshotId),
    };
  };

  const cards = paged.items.map(({ target, rollback, attention, group: targetGroup }): OverviewTarget => {
    const points = downsampleSeries(series.get(target.id) ?? [], range, stepMs);
    return {
      id: target.id,
      slug: target.slug,
      name: target.name,
      monitoringEnabled: target.monitoringEnabled,
      attention,
      group: targetGroup,
      verdict: verdictOf(target.id),
      currentSnapshot: target.currentSnapshotId ? snapshotRef(target.currentSnapshotId) : null,
      activeRollback: activeRollbackOf(rollback),
      sparklines: {
        from: new Date(seriesFrom),
        stepMs,
        ...(Object.fromEntries(
          slos.map(({ reading }) => [reading, points.map((point) => rounded(point[reading]))]),
        ) as Record<SloReading, (number | null)[]>),
      },
    };
  });
  return {
    generatedAt: now,
    system,
    counts,
    matched,
    view: {
      search,
      group: group ?? null,
      page: paged.page,
      pageCount: paged.pageCount,
      pageSize: OVERVIEW_PAGE_SIZE,
    },
    targets: cards,
    shown: shown.length,
  };
}

interface LatestVerdictRow {
  targetId: string;
  evaluatedAt: Date;
  status: VerdictStatus;
  severity: "CRITICAL" | "EMERGENCY" | null;
  consecutiveCount: number;
  details: unknown;
}

/**
 * Each target's latest verdict, in one statement without parameters whatever the number of targets: per target one
 * seek on the (targetId, evaluatedAt) index, rather than grouping the whole verdict history (a thousand targets
 * keep hundreds of thousands of verdicts) or binding a key per target (SQLite takes at most 999 parameters).
 */
async function latestVerdicts(db: Db): Promise<Map<string, LatestVerdictRow>> {
  const rows = await db.$queryRaw<LatestVerdictRow[]>`
    SELECT "v"."targetId", "v"."evaluatedAt", "v"."status", "v"."severity", "v"."consecutiveCount", "v"."details"
    FROM "Target" AS "t"
    JOIN "VerdictRecord" AS "v" ON "v"."id" = (
      SELECT "p"."id" FROM "VerdictRecord" AS "p" WHERE "p"."targetId" = "t"."id"
      ORDER BY "p"."evaluatedAt" DESC LIMIT 1
    )`;
  return new Map(
    rows.map((row) => [
      row.targetId,
      {
        ...row,
        // Raw rows come as the driver gives them: SQLite's JSON as text, its integers possibly as bigint.
        consecutiveCount: Number(row.consecutiveCount),
        details: typeof row.details === "string" ? (JSON.parse(row.details) as unknown) : row.details,
      },
    ]),
  );
}

function countByGroup(states: readonly { group: OverviewGroup }[]): Record<OverviewGroup, number> {
  const counts = Object.fromEntries(overviewGroups.map((group) => [group, 0])) as Record<OverviewGroup, number>;
  for (const state of states) counts[state.group] += 1;
  return counts;
}
