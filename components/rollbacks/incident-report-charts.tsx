"use client";
// The incident report's charts: every SLO the traffic carried, zoomed on the incident (the range of
// rollbacks.incident), with the policy's limit, the violation periods and the rollback's moments marked.
import type { inferRouterOutputs } from "@trpc/server";
import { useMemo } from "react";
import type { AppRouter } from "@/server/api/root";
import { formatReportDuration, formatUtc } from "@/server/domain/incident-report/wording";
import { MetricChart, shownSlos } from "../charts/metric-chart";
import { timelineMarkers } from "../charts/rollback-markers";
import { Card } from "../ui";

type ReportChart = inferRouterOutputs<AppRouter>["rollbacks"]["report"]["chart"];

export function IncidentCharts({ chart, targetSlug }: { chart: ReportChart; targetSlug: string }) {
  const range = useMemo(() => ({ from: chart.from, to: chart.to }), [chart.from, chart.to]);
  const markers = useMemo(() => timelineMarkers(chart.rollback), [chart.rollback]);
  return (
    <section aria-labelledby="charts-heading" className="space-y-3">
      <div>
        <h2 id="charts-heading" className="text-base font-semibold">
          The incident on the charts
        </h2>
        <p className="text-xs text-slate-600">
          All traffic of {targetSlug} from <time dateTime={chart.from.toISOString()}>{formatUtc(chart.from)}</time> to{" "}
          <time dateTime={chart.to.toISOString()}>{formatUtc(chart.to)}</time>, each point covering{" "}
          {formatReportDuration(chart.stepMs)}; shading covers the traffic each violating verdict judged.
        </p>
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        {shownSlos(chart.points).map((slo) => {
          const limit = chart.limits[slo.id] ?? null;
          return (
            <Card key={slo.id}>
              <MetricChart
                slo={slo.id}
                points={chart.points}
                range={range}
                thresholds={limit === null ? [] : [{ value: limit, label: "Limit" }]}
                periods={chart.periods}
                markers={markers}
                height={200}
              />
            </Card>
          );
        })}
      </div>
    </section>
  );
}
