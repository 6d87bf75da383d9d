// Replays stored buckets through evaluate → decide, tick by tick, to show what a policy would have done.
import { decide, decisionKinds, type Decision, type DecisionKind, type DecisionTarget } from "./decision";
import { epochAt, judgedRange } from "./configuration-epoch";
import { evaluate, type ErrorWindow, type Verdict, type VerdictStatus } from "./evaluation";
import { toWindowMetrics, type MetricBucket } from "./metrics";
import type { Policy } from "./policy";
import { rollupWidths } from "./rollups";
import { LatencySketch } from "./sketch";

export interface BacktestInput {
  /** One series (one target, one provider/model breakdown), sorted by start. */
  buckets: readonly MetricBucket[];
  policy: Policy;
  /** Epoch ms; ticks run at from, from + cycleMs, … while before `to`. */
  from: number;
  to: number;
  cycleMs: number;
  initialTarget: Pick<
    DecisionTarget,
    "currentSnapshotId" | "knownGoodSnapshotId" | "lastRollbackAt" | "automationPaused"
  >;
  /** How many preceding verdicts feed the streak, as the live cycle would load them. */
  recentVerdictLimit?: number;
  /**
   * When what config delivery served changed in history (epoch ms, any order: publishes, rollback steps and
   * completions). Each replayed window starts no earlier than the latest change before its tick plus the policy's
   * pickup grace, rounded up to `bucketWidthMs` — the live cycle's judgedRange. Replayed windows read all traffic:
   * per-version rows and per-arm step gates cannot be replayed, since a simulated rollback has no arm traffic.
   */
  configChanges?: { at: readonly number[]; bucketWidthMs: number };
}

export interface BacktestEvent {
  at: Date;
  verdict: Verdict;
  decision: Decision;
}

/** The decisions that start a rollback: what a chart of the backtest marks. */
export const rollbackDecisionKinds = ["PROPOSE_ROLLBACK", "AUTO_ROLLBACK", "EMERGENCY_ROLLBACK"] as const;
export type RollbackDecisionKind = (typeof rollbackDecisionKinds)[number];

export interface BacktestAction {
  at: Date;
  kind: RollbackDecisionKind;
  explanation: string;
}

/** How bad a period got: a violation, a critical breach, or an emergency breach. */
export type PeriodLevel = "VIOLATION" | "BREACH" | "EMERGENCY";

/** Consecutive ticks with a VIOLATION or BREACH verdict, over [from, to): `to` is the tick after the last one. */
export interface BacktestPeriod {
  from: Date;
  to: Date;
  level: PeriodLevel;
}

export interface BacktestResult {
  ticks: number;
  /** Ticks with a violation or breach, or a decision other than NONE; healthy ticks are only counted. */
  events: BacktestEvent[];
  /** Every rollback the policy would have started, oldest first. */
  actions: BacktestAction[];
  periods: BacktestPeriod[];
  verdictCounts: Record<VerdictStatus, number>;
  decisionCounts: Record<DecisionKind, number>;
  firstBreachAt: Date | null;
}

const HOUR_MS = 3_600_000;

/**
 * Simplifications, since recorded metrics cannot show what a rollback would have changed:
 * - a proposal counts as approved at once; every rollback sets `lastRollbackAt`, and automatic and
 *   emergency ones count toward the hourly cap;
 * - a rollback stays active until its steps have run ((steps − 1) × step interval; none for an emergency)
 *   and a verdict is HEALTHY again, so one sustained degradation is one incident, and only a degradation
 *   after a recovery meets the cooldown and the hourly cap; snapshots never change;
 * - the window at tick t merges buckets starting in [t − window, t), the same filter as the live cycle;
 *   a bucket's whole content counts from its start, so resolution is the bucket width.
 * Counts come from prefix sums and the evaluation window's sketch from a two-stack sliding merge, so a
 * 7-day replay at 10 s ticks costs O(buckets + ticks) sketch merges rather than O(buckets × window).
 */
export function backtest(input: BacktestInput): BacktestResult {
  const { buckets, policy, cycleMs } = input;
  if (!(cycleMs > 0)) throw new RangeError(`Cycle interval must be positive, got ${cycleMs}`);
  if (buckets.some((bucket, i) => i > 0 && bucket.start < (buckets[i - 1]?.start ?? -Infinity))) {
    throw new RangeError("Buckets must be sorted by start");
  }

  const starts = buckets.map((b) => b.start);
  const prefix = prefixSums(buckets);
  const totalsIn = (lo: number, hi: number) => {
    const sum = (counter: Counter) => at(prefix[counter], hi) - at(prefix[counter], lo);
    return {
      requestCount: sum("requestCount"),
      errorCount: sum("errorCount"),
      costMicros: sum("costMicros"),
      inputTokens: sum("inputTokens"),
      outputTokens: sum("outputTokens"),
    };
  };
  const errorWindow = (from: number, to: number): ErrorWindow => {
    const { requestCount, errorCount } = totalsIn(lowerBound(starts, from), lowerBound(starts, to));
    return { from, to, requestCount, errorRate: requestCount > 0 ? errorCount / requestCount : null };
  };

  const windowMs = policy.evaluationWindowSeconds * 1000;
  const rolloutMs = (policy.steps.length - 1) * policy.stepIntervalSeconds * 1000;
  const verdictLimit = input.recentVerdictLimit ?? 50;
  const sliding = { latency: new SlidingSketchWindow(), ttft: new SlidingSketchWindow() };
  let [lo, hi] = [0, 0];

  const recent: Pick<Verdict, "status">[] = [];
  const autoRollbackTimes: number[] = [];
  let lastRollbackAt = input.initialTarget.lastRollbackAt;
  let rollback: { stepsDoneAt: number } | null = null;

  const result: BacktestResult = {
    ticks: 0,
    events: [],
    actions: [],
    periods: [],
    verdictCounts: { INSUFFICIENT_DATA: 0, HEALTHY: 0, VIOLATION: 0, BREACH: 0 },
    decisionCounts: Object.fromEntries(decisionKinds.map((k) => [k, 0])) as Record<DecisionKind, number>,
    firstBreachAt: null,
  };

  const changes = input.configChanges;
  const judgedWindow = (from: number, to: number) =>
    changes
      ? judgedRange(
          { from, to },
          {
            configChangedAt: epochAt(changes.at, to),
            configPickupSeconds: policy.configPickupSeconds,
            bucketWidthMs: changes.bucketWidthMs,
          },
        )
      : { from, to, clipped: false };

  for (let t = input.from; t < input.to; t += cycleMs) {
    for (let next = buckets[hi]; next && next.start < t; next = buckets[++hi]) {
      sliding.latency.push(next.latency);
      sliding.ttft.push(next.ttft);
    }
    // The window's start never moves back (changes only accumulate), so the sliding merge stays one-way.
    const judged = judgedWindow(t - windowMs, t);
    for (; lo < hi && (buckets[lo]?.start ?? Infinity) < judged.from; lo++) {
      sliding.latency.shift();
      sliding.ttft.shift();
    }
    const window = toWindowMetrics(
      { ...totalsIn(lo, hi), latency: sliding.latency.merged(), ttft: sliding.ttft.merged() },
      judged,
    );
    const burnWindow = (seconds: number) => {
      const range = judgedWindow(t - seconds * 1000, t);
      return errorWindow(range.from, range.to);
    };

    const verdict = evaluate({
      window,
      policy,
      recentVerdicts: recent,
      burnRate: {
        longWindow: burnWindow(policy.burnRate.longWindowSeconds),
        shortWindow: burnWindow(policy.burnRate.shortWindowSeconds),
      },
      scope: { sinceChange: judged.clipped },
    });
    if (rollback && t >= rollback.stepsDoneAt && verdict.status === "HEALTHY") rollback = null;
    while ((autoRollbackTimes[0] ?? Infinity) <= t - HOUR_MS) autoRollbackTimes.shift();
    const now = new Date(t);
    const decision = decide({
      verdict,
      policy,
      now,
      target: {
        ...input.initialTarget,
        hasActiveRollback: rollback !== null,
        lastRollbackAt,
        autoRollbacksInLastHour: autoRollbackTimes.length,
      },
    });

    if (
      decision.kind === "PROPOSE_ROLLBACK" ||
      decision.kind === "AUTO_ROLLBACK" ||
      decision.kind === "EMERGENCY_ROLLBACK"
    ) {
      lastRollbackAt = now;
      rollback = { stepsDoneAt: decision.kind === "EMERGENCY_ROLLBACK" ? t : t + rolloutMs };
      if (decision.kind !== "PROPOSE_ROLLBACK") autoRollbackTimes.push(t);
      result.actions.push({ at: now, kind: decision.kind, explanation: decision.explanation });
    }
    recent.unshift({ status: verdict.status });
    if (recent.length > verdictLimit) recent.pop();

    result.ticks += 1;
    result.verdictCounts[verdict.status] += 1;
    result.decisionCounts[decision.kind] += 1;
    if (verdict.status === "BREACH") result.firstBreachAt ??= now;
    if (verdict.status === "VIOLATION" || verdict.status === "BREACH" || decision.kind !== "NONE") {
      result.events.push({ at: now, verdict, decision });
    }
    const level = periodLevel(verdict);
    const open = result.periods.at(-1);
    if (level && open && open.to.getTime() === t) {
      open.to = new Date(Math.min(t + cycleMs, input.to));
      open.level = worstLevel(open.level, level);
    } else if (level) {
      result.periods.push({ from: now, to: new Date(Math.min(t + cycleMs, input.to)), level });
    }
  }
  return result;
}

const LEVEL_RANK: Record<PeriodLevel, number> = { VIOLATION: 0, BREACH: 1, EMERGENCY: 2 };

function periodLevel(verdict: Verdict): PeriodLevel | null {
  if (verdict.status === "VIOLATION") return "VIOLATION";
  if (verdict.status === "BREACH") return verdict.severity === "EMERGENCY" ? "EMERGENCY" : "BREACH";
  return null;
}

function worstLevel(a: PeriodLevel, b: PeriodLevel): PeriodLevel {
  return LEVEL_RANK[a] >= LEVEL_RANK[b] ? a : b;
}

/**
 * Joins periods less than `minGapMs` apart, keeping the worst level: a chart drawn at that resolution
 * shows flapping as one shaded span instead of thousands of slivers, and the list stays short.
 */
export function mergePeriods(periods: readonly BacktestPeriod[], minGapMs: number): BacktestPeriod[] {
  const merged: BacktestPeriod[] = [];
  for (const period of periods) {
    const last = merged.at(-1);
    if (last && period.from.getTime() - last.to.getTime() < minGapMs) {
      last.to = new Date(Math.max(last.to.getTime(), period.to.getTime()));
      last.level = worstLevel(last.level, period.level);
    } else {
      merged.push({ ...period });
    }
  }
  return merged;
}

/**
 * Sliding-window aggregation with two stacks: `front` holds, for each of its sketches, the merge of that
 * sketch and every newer one in `front`; `back` keeps one running merge. Every sketch is merged a constant
 * number of times overall, and the window's merge is one more merge. Merges are pure, so nothing is shared.
 */
class SlidingSketchWindow {
  #front: LatencySketch[] = [];
  #back: LatencySketch[] = [];
  #backMerged = LatencySketch.empty();
  #cached: LatencySketch | null = null;

  push(sketch: LatencySketch): void {
    this.#back.push(sketch);
    this.#backMerged = LatencySketch.merge([this.#backMerged, sketch]);
    this.#cached = null;
  }

  shift(): void {
    if (this.#front.length === 0) {
      let merged = LatencySketch.empty();
      for (const sketch of this.#back.reverse()) {
        merged = LatencySketch.merge([merged, sketch]);
        this.#front.push(merged);
      }
      this.#back = [];
      this.#backMerged = LatencySketch.empty();
    }
    this.#front.pop();
    this.#cached = null;
  }

  merged(): LatencySketch {
    this.#cached ??= LatencySketch.merge([this.#front.at(-1) ?? LatencySketch.empty(), this.#backMerged]);
    return this.#cached;
  }
}

const COUNTERS = ["requestCount", "errorCount", "costMicros", "inputTokens", "outputTokens"] as const;
type Counter = (typeof COUNTERS)[number];

/** prefix[counter][i] is the sum of that counter over buckets[0..i). */
function prefixSums(buckets: readonly MetricBucket[]): Record<Counter, number[]> {
  const prefix = Object.fromEntries(COUNTERS.map((c) => [c, [0]])) as Record<Counter, number[]>;
  buckets.forEach((bucket, i) => {
    for (const c of COUNTERS) prefix[c].push(at(prefix[c], i) + bucket[c]);
  });
  return prefix;
}

function at(values: readonly number[], index: number): number {
  return values[index] ?? 0;
}

/** Index of the first start ≥ value. */
function lowerBound(sorted: readonly number[], value: number): number {
  let [low, high] = [0, sorted.length];
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] ?? Infinity) < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

const MINUTE_MS = 60_000;

/**
 * The coarsest series a replay can read without changing its answer: 1-minute rollups when every tick falls on a
 * minute and every window the policies read is whole minutes (a window [t − w, t) then holds exactly the minutes'
 * buckets), else the buckets. The one difference at a minute's resolution: a window cut at a configuration change
 * starts at the next whole minute rather than the next bucket (`configChanges.bucketWidthMs`).
 */
export function replayResolutionMs(policies: readonly Policy[], cycleMs: number, bucketWidthMs: number): number {
  const wholeMinutes = (seconds: number) => (seconds * 1000) % MINUTE_MS === 0;
  const minutes =
    rollupWidths(bucketWidthMs).includes(MINUTE_MS) &&
    cycleMs % MINUTE_MS === 0 &&
    policies.every(
      (policy) =>
        wholeMinutes(policy.evaluationWindowSeconds) &&
        (!policy.burnRate.enabled ||
          (wholeMinutes(policy.burnRate.longWindowSeconds) && wholeMinutes(policy.burnRate.shortWindowSeconds))),
    );
  return minutes ? MINUTE_MS : bucketWidthMs;
}
