"use client";
// The history's figures for the filtered rollbacks: how many per week, how fast Rewind acted, how many did not
// help. Definitions: docs/ROLLBACKS.md, "History and its summary".
import { useQuery } from "@tanstack/react-query";
import { useId, type ReactNode } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import type { RollbackTrigger } from "@/server/domain/rollback";
import type { RollbackFilter } from "@/server/domain/rollback-inputs";
import { formatUnit } from "@/server/domain/slo";
import { DataTable, type Column } from "../data-table";
import { useTRPC } from "../trpc";
import { Card, QueryError, Skeleton } from "../ui";
import { formatDuration, triggerLabels, triggerNouns, type RollbackHistorySummary } from "./rollback-format";
import { ScrollArea } from "./scroll-area";

const triggerColors: Record<RollbackTrigger, string> = { EMERGENCY: "#b91c1c", SLO: "#4f46e5", MANUAL: "#64748b" };
const triggers: RollbackTrigger[] = ["EMERGENCY", "SLO", "MANUAL"];

const weekLabel = (start: Date) =>
  start.toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });

export function RollbackSummary({ filter }: { filter: RollbackFilter }) {
  const trpc = useTRPC();
  const summary = useQuery(trpc.rollbacks.summary.queryOptions(filter, { refetchInterval: 30_000 }));
  if (summary.isPending) return <Skeleton className="h-48 w-full" label="Loading the summary" />;
  if (summary.isError) return <QueryError error={summary.error} what="the summary" />;
  const data = summary.data;
  if (data.total === 0) return null;
  const { verification, timeToAction } = data;
  const judged = verification.effective + verification.ineffective;
  return (
    <section aria-labelledby="summary-heading" className="space-y-4">
      <h2 id="summary-heading" className="sr-only">
        Summary of the filtered rollbacks
      </h2>
      <div className="grid gap-4 sm:grid-cols-3">
        <Figure label="Rollbacks" value={data.total.toLocaleString("en-US")}>
          {triggers
            .filter((trigger) => data.byTrigger[trigger] > 0)
            .map((trigger) => `${data.byTrigger[trigger]} ${triggerNouns[trigger]}`)
            .join(" · ")}
        </Figure>
        <Figure label="Median breach to action" value={formatDuration(timeToAction.medianMs)}>
          {timeToAction.count === 0
            ? "No rollback moved traffic yet"
            : `Over the ${timeToAction.count} that moved traffic: from the request to the first traffic switch`}
        </Figure>
        <Figure label="Ineffective" value={formatUnit("ratio", verification.ineffectiveShare)}>
          {judged === 0
            ? "None verified yet"
            : `${verification.ineffective} of ${judged} verified rollbacks did not restore the SLOs`}
          {verification.pending > 0 ? `; ${verification.pending} still being verified` : ""}
          {verification.inconclusive > 0
            ? `; ${verification.inconclusive} inconclusive (too little traffic to judge)`
            : ""}
        </Figure>
      </div>
      <WeeklyChart summary={data} />
    </section>
  );
}

function Figure({ label, value, children }: { label: string; value: string; children: ReactNode }) {
  return (
    <Card>
      <p className="text-sm text-slate-600">{label}</p>
      <p className="mt-1 text-2xl font-semibold tabular-nums">{value}</p>
      <p className="mt-1 text-xs text-slate-600">{children}</p>
    </Card>
  );
}

type Week = RollbackHistorySummary["weeks"][number];

function WeeklyChart({ summary }: { summary: RollbackHistorySummary }) {
  const ids = { title: useId(), description: useId() };
  const data = summary.weeks.map((week) => ({ ...week, label: weekLabel(week.start) }));
  const busiest = summary.weeks.reduce((top, week) => (week.total > (top?.total ?? -1) ? week : top), summary.weeks[0]);
  return (
    <Card>
      <figure aria-labelledby={ids.title} aria-describedby={ids.description}>
        <figcaption className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
          <h3 id={ids.title} className="text-sm font-semibold">
            Rollbacks per week
          </h3>
          <span className="text-xs text-slate-600">
            Weeks start Monday 00:00 UTC
            {summary.weeksTruncated ? `; the latest ${summary.weeks.length} weeks are shown` : ""}
          </span>
        </figcaption>
        <p id={ids.description} className="sr-only">
          {summary.weeks.length} weeks from the week of {weekLabel(summary.weeks[0]!.start)}; the busiest, the week of{" "}
          {busiest ? weekLabel(busiest.start) : ""}, had {busiest?.total ?? 0}.
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
            <XAxis
              dataKey="label"
              tick={{ fontSize: 11, fill: "#475569" }}
              stroke="#94a3b8"
              interval="preserveStartEnd"
            />
            <YAxis allowDecimals={false} width={32} tick={{ fontSize: 11, fill: "#475569" }} stroke="#94a3b8" />
            <Tooltip
              isAnimationActive={false}
              labelFormatter={(label) => `Week of ${typeof label === "string" ? label : ""}`}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {triggers.map((trigger) => (
              <Bar
                key={trigger}
                dataKey={trigger}
                name={triggerLabels[trigger]}
                stackId="week"
                fill={triggerColors[trigger]}
                isAnimationActive={false}
              />
            ))}
          </BarChart>
        </div>
        <details className="mt-1 text-sm">
          <summary className="cursor-pointer text-xs text-slate-700 hover:text-slate-900">
            Rollbacks per week: data table
          </summary>
          <ScrollArea label="Rollbacks per week, by trigger" className="mt-2 max-h-64">
            <DataTable
              label="Rollbacks per week, by trigger"
              density="inline"
              head="plain"
              rows={summary.weeks}
              rowKey={(week) => week.start.getTime()}
              columns={[
                { id: "week", header: "Week of", rowHeader: true, cell: (week) => weekLabel(week.start) },
                ...triggers.map((trigger): Column<Week> => ({
                  id: trigger,
                  header: triggerLabels[trigger],
                  numeric: true,
                  cell: (week) => week[trigger],
                })),
                { id: "total", header: "Total", numeric: true, cell: (week) => week.total },
              ]}
            />
          </ScrollArea>
        </details>
      </figure>
    </Card>
  );
}
