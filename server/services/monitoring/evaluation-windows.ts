// The windows a target's verdict judges: which traffic (its version's rows, or all traffic cut at the last
// configuration change), over which ranges, and how the evaluation pass loads them in bulk (through rollups where no
// cut falls). The pass itself is evaluation.ts; the rules of a cut are server/domain/configuration-epoch.ts.
import "server-only";
import type { Db } from "../../db";
import { judgedRange } from "../../domain/configuration-epoch";
import type { ErrorWindow, EvaluationInput } from "../../domain/evaluation";
import { emptyTotals, errorWindow, mergeWindow, toWindowMetrics, type MetricBucket } from "../../domain/metrics";
import type { Policy } from "../../domain/policy";
import { loadJudgedSeriesByTarget, type JudgedSeries, type VersionCounts } from "../metrics/bucket-reads";

/**
 * The windows one target's verdict judges (docs/POLICY.md, "Judging a configuration"): when the current
 * snapshot's version has attributed traffic in the evaluation window, its version rows — evaluation and burn-rate
 * windows alike, since they are that configuration's traffic by definition; otherwise the all-traffic series with
 * every window cut by judgedRange at the last configuration change plus the pickup grace. Pure over data the pass
 * loaded in bulk.
 */
export function judgedWindows(input: {
  policy: Policy;
  end: number;
  epoch: Parameters<typeof judgedRange>[1];
  version: number | null;
  series: JudgedSeries | undefined;
  /** The database's sums for a burn-rate window length, per snapshot version (0: all traffic). */
  counts: (seconds: number) => VersionCounts | undefined;
  /** All-traffic counts per bucket from a cut that lies before `series` starts (loadCountSeriesByTarget). */
  countSeries?: readonly Pick<MetricBucket, "start" | "requestCount" | "errorCount">[];
}): Pick<EvaluationInput, "window" | "burnRate" | "scope"> {
  const { policy, end, epoch, version } = input;
  const evaluationRange = { from: end - policy.evaluationWindowSeconds * 1000, to: end };
  const rows = version === null ? undefined : input.series?.versions.get(version);
  const attributed = rows !== undefined && mergeWindow(rows, evaluationRange).requestCount > 0;
  const lengths = [policy.burnRate.longWindowSeconds, policy.burnRate.shortWindowSeconds] as const;
  // A burn-rate alert says the budget burns fast *and for a while*: until the configuration has served for a
  // whole short window, its windows hold seconds of traffic, whose noise would read as a 16× burn. The window
  // SLOs (with their streak, or the emergency multiplier) judge that time alone.
  const burnJudged = policy.burnRate.enabled && !judgedRange({ from: end - lengths[1] * 1000, to: end }, epoch).clipped;
  if (attributed && version !== null) {
    const fromSums = (seconds: number): ErrorWindow =>
      toWindowMetrics(
        { ...emptyTotals(), ...input.counts(seconds)?.get(version) },
        { from: end - seconds * 1000, to: end },
      );
    return {
      window: mergeWindow(rows, evaluationRange),
      scope: { snapshotVersion: version },
      ...(burnJudged && {
        burnRate: { longWindow: fromSums(lengths[0]), shortWindow: fromSums(lengths[1]) },
      }),
    };
  }
  const all = input.series?.all ?? [];
  const judged = judgedRange(evaluationRange, epoch);
  const burnWindow = (seconds: number): ErrorWindow => {
    const cut = judgedRange({ from: end - seconds * 1000, to: end }, epoch);
    if (!cut.clipped) {
      return toWindowMetrics({ ...emptyTotals(), ...input.counts(seconds)?.get(0) }, { from: cut.from, to: end });
    }
    // A cut inside the evaluation windows' range reads the buckets already loaded; an earlier one the counts.
    return errorWindow(input.countSeries ?? all, cut);
  };
  return {
    window: mergeWindow(all, judged),
    scope: { sinceChange: judged.clipped },
    ...(burnJudged && {
      burnRate: { longWindow: burnWindow(lengths[0]), shortWindow: burnWindow(lengths[1]) },
    }),
  };
}

/** Preceding verdicts the streak needs: with this many, `consecutiveViolations` can be reached. */
export function recentVerdictLimit(policy: Policy): number {
  return policy.consecutiveViolations;
}

/** The longest window a policy reads, in ms. */
export function lookbackMs(policy: Policy): number {
  const evaluationMs = policy.evaluationWindowSeconds * 1000;
  return policy.burnRate.enabled ? Math.max(evaluationMs, policy.burnRate.longWindowSeconds * 1000) : evaluationMs;
}

/**
 * Every target's evaluation window (all traffic and version rows), in bulk. A target whose windows no configuration
 * change cuts (`cut`) reads exactly its window through rollups: one query per distinct window length, at most 10
 * rows a series for 5 minutes instead of 30. The others read buckets from the longest window on, as `judgedWindows`
 * cuts them at bucket starts.
 */
export async function loadEvaluationWindows<Target extends { id: string }>(
  db: Db,
  input: {
    policies: ReadonlyMap<string, { policy: Policy } | { error: unknown }>;
    targets: readonly Target[];
    end: number;
    evaluationFrom: number;
    bucketWidthMs: number;
    cut: (target: Target, policy: Policy) => boolean;
  },
): Promise<Map<string, JudgedSeries>> {
  const { end, bucketWidthMs } = input;
  const cutIds: string[] = [];
  const byLength = new Map<number, string[]>();
  for (const target of input.targets) {
    const entry = input.policies.get(target.id);
    if (!entry || !("policy" in entry)) continue;
    if (input.cut(target, entry.policy)) {
      cutIds.push(target.id);
      continue;
    }
    const ids = byLength.get(entry.policy.evaluationWindowSeconds);
    if (ids) ids.push(target.id);
    else byLength.set(entry.policy.evaluationWindowSeconds, [target.id]);
  }
  const reads = [
    loadJudgedSeriesByTarget(
      db,
      cutIds,
      { from: new Date(input.evaluationFrom), to: new Date(end) },
      {
        bucketWidthMs,
        maxWidthMs: 0,
      },
    ),
    ...[...byLength].map(([seconds, ids]) =>
      loadJudgedSeriesByTarget(
        db,
        ids,
        { from: new Date(end - seconds * 1000), to: new Date(end) },
        {
          bucketWidthMs,
          maxWidthMs: Infinity,
        },
      ),
    ),
  ];
  return new Map((await Promise.all(reads)).flatMap((series) => [...series]));
}
