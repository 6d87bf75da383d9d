"use client";
// Replays the stored metrics of the last 24 h or 7 d through the draft and the current policy, and shows where
// each would have proposed or forced a rollback: a metric chart with the draft's bad periods shaded, and one
// lane per policy with its bad periods and its rollbacks, aligned on the same time axis.
import { skipToken, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ComposedChart, ReferenceArea, ResponsiveContainer, Scatter, XAxis, YAxis } from "recharts";
import type { PeriodLevel, RollbackDecisionKind } from "@/server/domain/backtest";
import type { Policy } from "@/server/domain/policy";
import { breachColors, sloDefinition, sloLimit, type Slo } from "@/server/domain/slo";
import { MetricChart, shownSlos, type ChartPoint } from "../charts/metric-chart";
import { DataTable } from "../data-table";
import { formatDateTime } from "../format";
import { useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, Skeleton } from "../ui";

const RANGES = [
  { id: "24h", label: "Last 24 hours", hours: 24, cycleSeconds: 10 },
  { id: "7d", label: "Last 7 days", hours: 168, cycleSeconds: 60 },
] as const;
type RangeId = (typeof RANGES)[number]["id"];

/** MetricChart's y-axis width and side margins, so the lanes' time axis lines up with its. */
const Y_AXIS_WIDTH = 64;
const MARGIN = { top: 4, right: 12, bottom: 4, left: 0 };

const LEVEL_LABEL: Record<PeriodLevel, string> = { VIOLATION: "violation", BREACH: "breach", EMERGENCY: "emergency" };
const ACTION_LABEL: Record<RollbackDecisionKind, string> = {
  PROPOSE_ROLLBACK: "Proposal",
  AUTO_ROLLBACK: "Automatic rollback",
  EMERGENCY_ROLLBACK: "Emergency rollback",
};
/** Each action has its own shape, so the lanes do not rely on colour. */
const ACTION_SYMBOL: Record<RollbackDecisionKind, string> = {
  PROPOSE_ROLLBACK: "▲",
  AUTO_ROLLBACK: "◆",
  EMERGENCY_ROLLBACK: "✖",
};

interface Run {
  range: RangeId;
  from: Date;
  to: Date;
  /** Null when the draft equals the current policy (or the user cannot edit): only the current one runs. */
  draft: Policy | null;
}

function plural(count: number, one: string, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

type BacktestCounts = { decisionCounts: Record<RollbackDecisionKind | "NONE" | "NOTIFY", number> };

/** "3 proposals, 1 emergency rollback", or "no rollbacks". */
export function describeActions({ decisionCounts }: BacktestCounts): string {
  const parts = [
    decisionCounts.PROPOSE_ROLLBACK > 0 && plural(decisionCounts.PROPOSE_ROLLBACK, "proposal"),
    decisionCounts.AUTO_ROLLBACK > 0 && plural(decisionCounts.AUTO_ROLLBACK, "automatic rollback"),
    decisionCounts.EMERGENCY_ROLLBACK > 0 && plural(decisionCounts.EMERGENCY_ROLLBACK, "emergency rollback"),
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(", ") : "no rollbacks";
}

export function PolicyBacktest({
  targetId,
  current,
  currentLabel,
  draft,
  draftInvalid,
}: {
  targetId: string;
  current: Policy;
  currentLabel: string;
  /** The valid draft when it differs from the current policy; null otherwise. */
  draft: Policy | null;
  draftInvalid: boolean;
}) {
  const trpc = useTRPC();
  const ids = { heading: useId(), range: useId(), metric: useId() };
  const [range, setRange] = useState<RangeId>("24h");
  const [metric, setMetric] = useState<Slo>("ERROR_RATE");
  const [run, setRun] = useState<Run | null>(null);

  const spec = RANGES.find((r) => r.id === (run?.range ?? range))!;
  const input = run ? { targetId, from: run.from, to: run.to, cycleSeconds: spec.cycleSeconds } : null;
  const once = { staleTime: Infinity, refetchOnWindowFocus: false } as const;
  // One request: the server reads the range's metrics once for the current policy, the draft and the chart.
  const comparison = useQuery(
    trpc.policies.backtestComparison.queryOptions(
      input ? { ...input, maxPoints: 400, ...(run?.draft && { policy: run.draft }) } : skipToken,
      once,
    ),
  );

  function start() {
    const hours = RANGES.find((r) => r.id === range)!.hours;
    const to = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    setRun({ range, from: new Date(to.getTime() - hours * 3_600_000), to, draft });
  }

  const loading = run !== null && comparison.isFetching;
  const error = comparison.error;
  const stale = run !== null && JSON.stringify(run.draft) !== JSON.stringify(draft);

  return (
    <Card className="mt-8">
      <h2 id={ids.heading} className="text-lg font-medium">
        Backtest
      </h2>
      <p className="mt-1 max-w-prose text-sm text-slate-600">
        Replays this target’s stored metrics through the policy, cycle by cycle, and shows where it would have proposed
        or forced a rollback. Recorded metrics cannot show what a rollback would have changed: a proposal counts as
        approved at once, and one sustained degradation is one incident.
      </p>
      <div className="mt-4 flex flex-wrap items-end gap-3">
        <div>
          <label htmlFor={ids.range} className="block text-sm font-medium">
            Range
          </label>
          <select
            id={ids.range}
            value={range}
            onChange={(event) => setRange(event.target.value as RangeId)}
            className="mt-1 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
          >
            {RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label} (every {r.cycleSeconds === 60 ? "minute" : `${r.cycleSeconds} s`})
              </option>
            ))}
          </select>
        </div>
        <Button onClick={start} disabled={loading}>
          {loading ? "Running…" : draft ? "Backtest the draft and the current policy" : "Backtest the current policy"}
        </Button>
        {draftInvalid ? (
          <p className="text-sm text-slate-700">The draft has invalid fields: only the current policy can run.</p>
        ) : null}
      </div>
      {stale ? (
        <p className="mt-2 text-sm text-slate-700" role="status">
          The draft changed since this run: run the backtest again to see the new draft.
        </p>
      ) : null}

      <div aria-live="polite" aria-busy={loading} className="mt-4">
        {run === null ? null : error ? (
          <Alert>Backtest failed: {error.message}</Alert>
        ) : !comparison.data ? (
          <Skeleton className="h-64 w-full" label="Running the backtest" />
        ) : (
          <BacktestResults
            run={run}
            metric={metric}
            onMetric={setMetric}
            metricSelectId={ids.metric}
            points={comparison.data.series.points}
            current={{ label: currentLabel, lane: "Current", policy: current, result: comparison.data.current }}
            draft={
              run.draft && comparison.data.draft
                ? { label: "Draft", lane: "Draft", policy: run.draft, result: comparison.data.draft }
                : null
            }
          />
        )}
      </div>
    </Card>
  );
}

type BacktestData = {
  ticks: number;
  decisionCounts: BacktestCounts["decisionCounts"];
  verdictCounts: Record<"INSUFFICIENT_DATA" | "HEALTHY" | "VIOLATION" | "BREACH", number>;
  actions: { at: Date; kind: RollbackDecisionKind; explanation: string }[];
  periods: { from: Date; to: Date; level: PeriodLevel }[];
  firstBreachAt: Date | null;
};
interface Side {
  label: string;
  /** Short, for the lane's axis. */
  lane: string;
  policy: Policy;
  result: BacktestData;
}
type SeriesPoint = ChartPoint & { requestCount: number };

function BacktestResults({
  run,
  metric,
  onMetric,
  metricSelectId,
  points,
  current,
  draft,
}: {
  run: Run;
  metric: Slo;
  onMetric: (id: Slo) => void;
  metricSelectId: string;
  points: SeriesPoint[];
  current: Side;
  draft: Side | null;
}) {
  const domain: [number, number] = [run.from.getTime(), run.to.getTime()];
  const shaded = draft ?? current;
  const hasTraffic = points.some((point) => point.requestCount > 0);
  const sides = draft ? [draft, current] : [current];
  const summary = sides.map((side) => `${side.label}: ${describeActions(side.result)}`).join("; ");
  // An SLO only some traffic carries (time to first token) is offered when the range has readings for it.
  const choices = shownSlos(points);
  const shown = choices.find((slo) => slo.id === metric) ?? sloDefinition("ERROR_RATE");
  const thresholdOf = (policy: Policy) => sloLimit(policy, shown.id);
  const shadedLimit = thresholdOf(shaded.policy);
  const currentLimit = thresholdOf(current.policy);

  return (
    <div>
      <p className="text-base font-medium" data-testid="backtest-summary">
        {summary}.
      </p>
      <dl className="mt-2 grid gap-x-6 gap-y-1 text-sm text-slate-700 sm:grid-cols-2">
        {sides.map((side) => (
          <div key={side.label}>
            <dt className="inline font-medium">{side.label}:</dt>{" "}
            <dd className="inline">
              {plural(side.result.verdictCounts.BREACH, "breaching cycle")},{" "}
              {plural(side.result.verdictCounts.VIOLATION, "violating cycle")} of{" "}
              {side.result.ticks.toLocaleString("en-US")}; first breach{" "}
              {side.result.firstBreachAt ? formatDateTime(side.result.firstBreachAt) : "never"}
            </dd>
          </div>
        ))}
      </dl>
      {!hasTraffic ? (
        <p className="mt-4 rounded-md bg-slate-50 p-3 text-sm text-slate-700">
          No traffic was recorded for this target in the range, so no policy could act. Send metrics with{" "}
          <code>POST /api/v1/ingest</code> (docs/API.md) or run <code>npm run simulate</code>.
        </p>
      ) : null}

      {hasTraffic ? (
        <>
          <div className="mt-4 flex flex-wrap items-center gap-2" role="radiogroup" aria-labelledby={metricSelectId}>
            <span id={metricSelectId} className="text-sm font-medium">
              Chart
            </span>
            {choices.map((m) => (
              <label
                key={m.id}
                className="cursor-pointer rounded-md border border-slate-300 px-2 py-1 text-sm has-[:checked]:border-indigo-600 has-[:checked]:bg-indigo-50 has-[:checked]:font-medium has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-indigo-500"
              >
                <input
                  type="radio"
                  name={metricSelectId}
                  value={m.id}
                  checked={shown.id === m.id}
                  onChange={() => onMetric(m.id)}
                  className="sr-only"
                />
                {m.title}
              </label>
            ))}
          </div>

          <div className="mt-3">
            <MetricChart
              slo={shown.id}
              points={points}
              range={{ from: run.from, to: run.to }}
              title={`${shown.title}, with the ${shaded.label.toLowerCase()} policy’s bad periods and rollbacks`}
              thresholds={[
                ...(shadedLimit === null ? [] : [{ value: shadedLimit, label: `${shaded.label} limit` }]),
                ...(draft && currentLimit !== null && currentLimit !== shadedLimit
                  ? [{ value: currentLimit, label: `${current.label} limit`, tone: "emergency" as const }]
                  : []),
              ]}
              periods={shaded.result.periods}
              markers={shaded.result.actions.map((action) => ({
                at: action.at,
                label: `${ACTION_SYMBOL[action.kind]} ${ACTION_LABEL[action.kind]}`,
              }))}
              height={240}
            />
            <Lanes sides={sides} domain={domain} />
            <p className="mt-1 text-sm text-slate-700">
              Lanes, on the chart’s time axis: each policy’s bad periods as bars (amber: violation, red: breach, dark
              red: emergency) and its rollbacks as {ACTION_SYMBOL.PROPOSE_ROLLBACK} proposal,{" "}
              {ACTION_SYMBOL.AUTO_ROLLBACK} automatic, {ACTION_SYMBOL.EMERGENCY_ROLLBACK} emergency. The table below
              lists them.
            </p>
          </div>
          <ActionsTable sides={sides} />
        </>
      ) : null}
    </div>
  );
}

/** One row per policy: bad periods as bars, rollbacks as symbols, on the metric chart's time axis. */
function Lanes({ sides, domain }: { sides: Side[]; domain: [number, number] }) {
  const rows = sides.length;
  const laneOf = (index: number) => rows - 1 - index;
  return (
    <div className="w-full" aria-hidden="true">
      <ResponsiveContainer width="100%" height={8 + rows * 30}>
        <ComposedChart margin={MARGIN} accessibilityLayer={false}>
          <XAxis dataKey="t" type="number" scale="time" domain={domain} allowDataOverflow hide />
          <YAxis
            type="number"
            domain={[0, rows]}
            width={Y_AXIS_WIDTH}
            ticks={sides.map((_, i) => laneOf(i) + 0.5)}
            tickFormatter={(v: number) => sides[rows - 1 - Math.floor(v)]?.lane ?? ""}
            tick={{ fontSize: 12, fill: "#334155" }}
            tickLine={false}
            axisLine={false}
          />
          {sides.map((side, i) => (
            <ReferenceArea
              key={`lane-${side.label}`}
              x1={domain[0]}
              x2={domain[1]}
              y1={laneOf(i) + 0.1}
              y2={laneOf(i) + 0.9}
              fill="#f1f5f9"
              ifOverflow="hidden"
            />
          ))}
          {sides.flatMap((side, i) =>
            side.result.periods.map((period) => (
              <ReferenceArea
                key={`${side.label}-${period.from.getTime()}`}
                x1={period.from.getTime()}
                x2={Math.max(period.to.getTime(), period.from.getTime() + (domain[1] - domain[0]) / 400)}
                y1={laneOf(i) + 0.25}
                y2={laneOf(i) + 0.75}
                fill={breachColors[period.level]}
                fillOpacity={period.level === "VIOLATION" ? 0.5 : 0.85}
                ifOverflow="hidden"
              />
            )),
          )}
          {sides.map((side, i) => (
            <Scatter
              key={`actions-${side.label}`}
              data={side.result.actions.map((action) => ({
                t: action.at.getTime(),
                y: laneOf(i) + 0.5,
                kind: action.kind,
              }))}
              dataKey="y"
              isAnimationActive={false}
              shape={(props: { cx?: number; cy?: number; payload?: { kind: RollbackDecisionKind } }) => (
                <text
                  x={props.cx}
                  y={props.cy}
                  textAnchor="middle"
                  dominantBaseline="central"
                  fontSize={14}
                  fill="#111827"
                  stroke="#ffffff"
                  strokeWidth={0.6}
                >
                  {props.payload ? ACTION_SYMBOL[props.payload.kind] : ""}
                </text>
              )}
            />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

function ActionsTable({ sides }: { sides: Side[] }) {
  const rows = sides
    .flatMap((side) => side.result.actions.map((action) => ({ ...action, policy: side.label })))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  const periods = sides.flatMap((side) => side.result.periods.map((period) => ({ ...period, policy: side.label })));
  return (
    <details className="mt-4">
      <summary className="cursor-pointer text-sm font-medium text-indigo-800">
        Rollbacks and bad periods as a table ({plural(rows.length, "rollback")}, {plural(periods.length, "period")})
      </summary>
      {rows.length === 0 ? (
        <p className="mt-2 text-sm text-slate-700">Neither policy would have started a rollback in this range.</p>
      ) : (
        <div className="mt-2 overflow-x-auto">
          <DataTable
            caption="Rollbacks each policy would have started"
            density="compact"
            alignTop
            rows={rows}
            rowKey={(row) => `${row.policy}-${row.at.getTime()}`}
            columns={[
              { id: "time", header: "Time", cell: (row) => formatDateTime(row.at), className: "whitespace-nowrap" },
              { id: "policy", header: "Policy", cell: (row) => row.policy },
              {
                id: "action",
                header: "Action",
                className: "whitespace-nowrap",
                cell: (row) => (
                  <>
                    <span aria-hidden="true">{ACTION_SYMBOL[row.kind]} </span>
                    {ACTION_LABEL[row.kind]}
                  </>
                ),
              },
              { id: "why", header: "Why", cell: (row) => row.explanation, className: "text-slate-700" },
            ]}
          />
        </div>
      )}
      {periods.length > 0 ? (
        <ul className="mt-3 space-y-1 text-sm text-slate-700">
          {periods.map((period) => (
            <li key={`${period.policy}-${period.from.getTime()}`}>
              <span className="font-medium">{period.policy}</span>:{" "}
              <Badge tone={period.level === "VIOLATION" ? "warning" : "bad"}>{LEVEL_LABEL[period.level]}</Badge>{" "}
              {formatDateTime(period.from)} – {formatDateTime(period.to)}
            </li>
          ))}
        </ul>
      ) : null}
    </details>
  );
}
