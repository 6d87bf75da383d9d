"use client";
// The step gate on the rollback page: what the latest check found (each SLO on both arms, the p-value, which arm
// is worse), the readings against their SLO limits as a chart, and every check with its outcome. Rules:
// docs/ROLLBACKS.md, "The step gate".
import { useId, type ReactNode } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import { formatSloValue, sloDefinition, type Slo } from "@/server/domain/slo";
import { niceAxis } from "../charts/axis";
import { DataTable } from "../data-table";
import { formatDateTime } from "../format";
import { Badge, Card, type StatusTone } from "../ui";
import { snapshotLabel, type RollbackView } from "./rollback-format";
import { ScrollArea } from "./scroll-area";

type StepCheck = RollbackView["stepChecks"][number];
type Arm = StepCheck["arms"][number];
type Comparison = StepCheck["comparisons"][number];

export const outcomeLabels: Record<StepCheck["outcome"], string> = {
  ADVANCE: "Advanced",
  HOLD: "Held",
  FAST_FORWARD: "Fast-forwarded to 100%",
  ABORT: "Aborted",
};
const outcomeTones: Record<StepCheck["outcome"], StatusTone> = {
  ADVANCE: "good",
  HOLD: "warning",
  FAST_FORWARD: "bad",
  ABORT: "bad",
};
const armColors = { first: "#0f766e", second: "#b45309" };

/** "1.2e-5" below 0.0001, else two significant digits: "0.031". */
export function formatPValue(p: number | null): string {
  if (p === null) return "—";
  return p < 0.0001 ? p.toExponential(1) : p.toPrecision(2);
}

function armLabel(arm: Arm, rollback: RollbackView): string {
  switch (arm.arm) {
    case "KNOWN_GOOD":
      return `Known-good ${snapshotLabel(rollback.toSnapshot)}`;
    case "CURRENT":
      return `Current ${snapshotLabel(rollback.fromSnapshot)}`;
    case "BEFORE_STEP":
      return "Before the step";
    case "SINCE_STEP":
      return "Since the step";
  }
}

const requestsOf = (count: number) => `${count.toLocaleString("en-US")} request${count === 1 ? "" : "s"}`;

/** What an on-call engineer reads first: "Step 1 of 3 held: 40 of 100 requests on the known-good arm". */
export function checkHeadline(check: StepCheck, rollback: RollbackView): string {
  const step = `Step ${check.step + 1} of ${rollback.steps.length} (${check.trafficPercent}%)`;
  const [first, second] = check.arms;
  const minimum = rollback.policy.stepGate?.stepMinRequests;
  const names = check.perArm
    ? ["the known-good arm", "the current arm"]
    : ["the interval before the step", "the traffic since the step"];
  switch (check.outcome) {
    case "HOLD": {
      const thin = [first, second].flatMap((arm, i) =>
        arm && (minimum === undefined || arm.requestCount < minimum)
          ? [
              `${arm.requestCount.toLocaleString("en-US")}${minimum === undefined ? "" : ` of ${minimum}`} requests on ${names[i]}`,
            ]
          : [],
      );
      return `${step} held: ${thin.join(" and ")}`;
    }
    case "ADVANCE":
      return check.perArm
        ? `${step} passed: the known-good arm is not worse (${requestsOf(first?.requestCount ?? 0)} against ${requestsOf(second?.requestCount ?? 0)})`
        : `${step} passed: the target is not worse since the step (time windows: the sender reports no versions)`;
    case "FAST_FORWARD":
      return check.perArm
        ? `${step}: the current snapshot is worse, so all traffic moved to the known-good one`
        : `${step}: the target got worse since the step, so all traffic moved to the known-good snapshot`;
    case "ABORT":
      return `${step}: the known-good snapshot is worse than the current one, so the rollback stopped and traffic went back`;
  }
}

function worseBadge(comparison: Comparison, perArm: boolean) {
  if (comparison.worse === "CURRENT") {
    return <Badge tone="bad">{perArm ? "Current worse" : "Worse since the step"}</Badge>;
  }
  if (comparison.worse === "KNOWN_GOOD") return <Badge tone="bad">Known-good worse</Badge>;
  if (comparison.knownGood === null || comparison.current === null) {
    return <span className="text-slate-600">No data on an arm</span>;
  }
  if (sloDefinition(comparison.slo).armTest.kind === "ratio") {
    return <span className="text-slate-600">Within the ratio margin</span>;
  }
  if (comparison.pValue === null) return <span className="text-slate-600">Not tested</span>;
  return <span className="text-slate-700">No significant difference</span>;
}

export function StepChecks({ rollback }: { rollback: RollbackView }) {
  const headingId = useId();
  const latest = rollback.stepChecks.at(-1);
  return (
    <Card className="space-y-4">
      <div>
        <h2 id={headingId} className="text-base font-semibold">
          Step checks: known-good against current
        </h2>
        <p className="text-sm text-slate-600">
          Before each step, Rewind compares the traffic each snapshot served since the last one and advances, holds,
          fast-forwards or aborts.
        </p>
      </div>
      {latest ? (
        <>
          <div className="space-y-1" aria-live="polite">
            <p className="text-sm font-medium">
              <Badge tone={outcomeTones[latest.outcome]}>{outcomeLabels[latest.outcome]}</Badge>{" "}
              {checkHeadline(latest, rollback)}
            </p>
            <p className="text-sm text-slate-700">{latest.explanation}</p>
            <p className="text-xs text-slate-600">
              Checked <time dateTime={latest.checkedAt.toISOString()}>{formatDateTime(latest.checkedAt)}</time> on
              traffic since {formatDateTime(latest.windowFrom)}; each test at α = {formatPValue(latest.alpha)}
              {latest.perArm ? "" : "; the sender reports no snapshot versions, so time windows were compared"}.
            </p>
          </div>
          <Comparison check={latest} rollback={rollback} />
          <ReadingsChart check={latest} rollback={rollback} />
          <History rollback={rollback} />
        </>
      ) : (
        <p className="text-sm text-slate-600">No check yet: the first runs when step 1 has served its interval.</p>
      )}
    </Card>
  );
}

function Comparison({ check, rollback }: { check: StepCheck; rollback: RollbackView }) {
  const [first, second] = check.arms;
  if (!first || !second) return null;
  type Row = { id: string; label: string; first: string; second: string; p: string; result: ReactNode };
  const rows: Row[] = [
    {
      id: "requests",
      label: "Requests",
      first: first.requestCount.toLocaleString("en-US"),
      second: second.requestCount.toLocaleString("en-US"),
      p: "—",
      result: null,
    },
    ...check.comparisons.map((comparison) => ({
      id: comparison.slo,
      label: sloDefinition(comparison.slo).title,
      first: formatSloValue(comparison.slo, comparison.knownGood),
      second: formatSloValue(comparison.slo, comparison.current),
      p: formatPValue(comparison.pValue),
      result: worseBadge(comparison, check.perArm),
    })),
  ];
  return (
    <ScrollArea label="Latest step check, per arm">
      <DataTable
        caption={`Latest check, step ${check.step + 1}: each SLO on both ${check.perArm ? "arms" : "time windows"}`}
        captionVisible
        density="compact"
        rows={rows}
        rowKey={(row) => row.id}
        columns={[
          { id: "slo", header: "SLO", rowHeader: true, cell: (row) => row.label },
          { id: "first", header: armLabel(first, rollback), numeric: true, cell: (row) => row.first },
          { id: "second", header: armLabel(second, rollback), numeric: true, cell: (row) => row.second },
          { id: "p", header: "p-value", numeric: true, cell: (row) => row.p },
          { id: "result", header: "Worse arm", cell: (row) => row.result },
        ]}
      />
    </ScrollArea>
  );
}

/** Each SLO's reading on both arms as a share of its policy limit, so SLOs of different units share one axis. */
function ReadingsChart({ check, rollback }: { check: StepCheck; rollback: RollbackView }) {
  const ids = { title: useId(), description: useId() };
  const [first, second] = check.arms;
  const thresholds = rollback.policy.thresholds;
  const limitOf = (slo: Slo) => (thresholds ? (thresholds[sloDefinition(slo).threshold] ?? null) : null);
  const data = check.comparisons.flatMap((comparison) => {
    const limit = limitOf(comparison.slo);
    if (limit === null || (comparison.knownGood === null && comparison.current === null)) return [];
    const share = (value: number | null) => (value === null ? null : Math.round((value / limit) * 1000) / 10);
    return [
      {
        slo: comparison.slo,
        label: sloDefinition(comparison.slo).title,
        first: share(comparison.knownGood),
        second: share(comparison.current),
      },
    ];
  });
  if (!first || !second || data.length === 0) return null;
  const names = { first: armLabel(first, rollback), second: armLabel(second, rollback) };
  // 0 to a round share (100%, 250%, 500%…) that holds the bars and the limit's 100% line.
  const axis = niceAxis([100, ...data.flatMap((row) => [row.first, row.second])]);
  return (
    <figure aria-labelledby={ids.title} aria-describedby={ids.description}>
      <figcaption id={ids.title} className="mb-1 text-sm font-medium">
        Readings as a share of each SLO&apos;s limit (100% = at the limit)
      </figcaption>
      <p id={ids.description} className="sr-only">
        {data
          .map(
            (row) =>
              `${row.label}: ${names.first} ${row.first ?? "no data"}%, ${names.second} ${row.second ?? "no data"}%`,
          )
          .join("; ")}
        . The table above has the readings and p-values.
      </p>
      <div aria-hidden="true">
        <BarChart
          responsive
          accessibilityLayer={false}
          data={data}
          style={{ width: "100%", height: 200 }}
          margin={{ top: 8, right: 12, bottom: 0, left: 0 }}
        >
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="label" tick={{ fontSize: 11, fill: "#475569" }} stroke="#94a3b8" />
          <YAxis
            unit="%"
            width={44}
            domain={[0, axis.max]}
            ticks={axis.ticks}
            tick={{ fontSize: 11, fill: "#475569" }}
            stroke="#94a3b8"
          />
          <Tooltip isAnimationActive={false} formatter={(value) => `${String(value)}% of the limit`} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <ReferenceLine y={100} stroke="#dc2626" strokeDasharray="4 4" />
          <Bar dataKey="first" name={names.first} fill={armColors.first} isAnimationActive={false} />
          <Bar dataKey="second" name={names.second} fill={armColors.second} isAnimationActive={false} />
        </BarChart>
      </div>
    </figure>
  );
}

function History({ rollback }: { rollback: RollbackView }) {
  const checks = [...rollback.stepChecks].reverse();
  return (
    <details className="text-sm" open={checks.length <= 5}>
      <summary className="cursor-pointer font-medium text-slate-800 hover:text-slate-950">
        Every check ({checks.length})
      </summary>
      <ScrollArea label="Every step check" className="mt-2 max-h-80">
        <DataTable
          label="Every step check, newest first"
          density="compact"
          alignTop
          rows={checks}
          rowKey={(check) => check.id}
          columns={[
            {
              id: "when",
              header: "Checked",
              rowHeader: true,
              className: "whitespace-nowrap",
              cell: (check) => <time dateTime={check.checkedAt.toISOString()}>{formatDateTime(check.checkedAt)}</time>,
            },
            {
              id: "step",
              header: "Step",
              cell: (check) => `${check.step + 1} of ${rollback.steps.length} (${check.trafficPercent}%)`,
            },
            {
              id: "outcome",
              header: "Outcome",
              cell: (check) => <Badge tone={outcomeTones[check.outcome]}>{outcomeLabels[check.outcome]}</Badge>,
            },
            {
              id: "requests",
              header: "Requests",
              numeric: true,
              cell: (check) => check.arms.map((arm) => arm.requestCount.toLocaleString("en-US")).join(" / "),
            },
            {
              id: "compared",
              header: "Compared",
              cell: (check) => (check.perArm ? "Arms by version" : "Time windows"),
            },
            { id: "why", header: "Why", cell: (check) => check.explanation },
          ]}
        />
      </ScrollArea>
    </details>
  );
}
