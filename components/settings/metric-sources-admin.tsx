"use client";
// Settings → Integrations → Pulled metrics: which targets Rewind judges on readings pulled from Prometheus or
// CloudWatch, how their last pull went, and the form of one target's source (docs/INTEGRATIONS.md).
import { useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { metricSourceLabels } from "@/server/domain/pulled-sources/config";
import { formatUnit, slos } from "@/server/domain/slo";
import { DataTable } from "../data-table";
import { formatAgo, formatDateTime } from "../format";
import { useTRPC } from "../trpc";
import { Alert, Badge, Button, EmptyState, inputClass, ListSkeleton } from "../ui";
import { draftOf } from "./metric-source-draft";
import { MetricSourceForm } from "./metric-source-form";

export function MetricSourcesAdmin() {
  const trpc = useTRPC();
  const sources = useQuery({ ...trpc.metricSources.list.queryOptions(), refetchInterval: 5_000 });
  const targets = useQuery(trpc.targets.list.queryOptions());
  const [targetId, setTargetId] = useState("");
  const selectId = useId();

  const heading = (
    <div>
      <h2 id="pulled-metrics-heading" className="text-lg font-medium">
        Pulled metrics (Prometheus, CloudWatch)
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        A target with a source is judged each cycle on the readings pulled from it, by the same policy rules (streak,
        emergency multiplier), instead of the traffic sent to Rewind. A failed pull is a verdict of insufficient data
        that says why; it never starts a rollback. No charts, per-version judgment, burn-rate alert or step gate
        statistics come from pulled readings.
      </p>
    </div>
  );
  if (sources.isPending || targets.isPending)
    return (
      <section aria-labelledby="pulled-metrics-heading" className="space-y-3">
        {heading}
        <ListSkeleton label="Loading pulled metric sources" />
      </section>
    );
  if (sources.isError || targets.isError)
    return (
      <section aria-labelledby="pulled-metrics-heading" className="space-y-3">
        {heading}
        <Alert>Could not load the pulled metric sources: {(sources.error ?? targets.error)?.message}</Alert>
      </section>
    );

  const selected = sources.data.find((source) => source.targetId === targetId) ?? null;
  return (
    <section aria-labelledby="pulled-metrics-heading" className="space-y-4">
      {heading}
      {sources.data.length === 0 ? (
        <EmptyState title="No target pulls its metrics">
          Every target is judged on the traffic sent to Rewind. Choose a target below to read its SLOs from Prometheus
          or CloudWatch instead.
        </EmptyState>
      ) : (
        <DataTable
          caption="Targets with a pulled metric source"
          alignTop
          rows={sources.data}
          rowKey={(source) => source.targetId}
          columns={[
            { id: "target", header: "Target", rowHeader: true, cell: (source) => source.target.name },
            {
              id: "source",
              header: "Source",
              cell: (source) => (
                <span className="flex flex-wrap items-center gap-2">
                  {metricSourceLabels[source.kind]}
                  {source.enabled ? null : <Badge tone="neutral">off</Badge>}
                </span>
              ),
            },
            {
              id: "last",
              header: "Last pull",
              cell: (source) =>
                source.lastPulledAt ? (
                  <time
                    dateTime={new Date(source.lastPulledAt).toISOString()}
                    title={formatDateTime(source.lastPulledAt)}
                  >
                    {formatAgo(source.lastPulledAt)}
                  </time>
                ) : (
                  "not yet"
                ),
            },
            {
              id: "result",
              header: "Result",
              cell: (source) =>
                source.lastError ? (
                  <span className="text-red-800">
                    <Badge tone="bad">failed</Badge> {source.lastError}
                  </span>
                ) : source.lastReadings ? (
                  <span>
                    {source.lastReadings.requestCount.toLocaleString("en-US")} requests
                    {slos
                      .filter((slo) => source.lastReadings?.readings[slo.reading] != null)
                      .map(
                        (slo) => `, ${slo.label} ${formatUnit(slo.unit, source.lastReadings?.readings[slo.reading])}`,
                      )
                      .join("")}
                  </span>
                ) : (
                  ""
                ),
            },
            {
              id: "edit",
              header: "Actions",
              hideHeader: true,
              cell: (source) => (
                <Button tone="secondary" onClick={() => setTargetId(source.targetId)}>
                  Edit {source.target.name}
                </Button>
              ),
            },
          ]}
        />
      )}
      <div className="rounded-lg border border-slate-200 bg-white p-4">
        <label htmlFor={selectId} className="block text-sm font-medium">
          Target to pull metrics for
        </label>
        <select
          id={selectId}
          value={targetId}
          onChange={(event) => setTargetId(event.target.value)}
          className={`mt-1 max-w-md ${inputClass}`}
        >
          <option value="">Choose a target…</option>
          {targets.data.map((target) => (
            <option key={target.id} value={target.id}>
              {target.name} ({target.slug})
            </option>
          ))}
        </select>
        {targetId ? (
          <div className="mt-4">
            <MetricSourceForm
              // Another target starts the form from what is saved for it.
              key={targetId}
              targetId={targetId}
              initial={selected && draftOf(selected)}
              secretSet={selected?.secretSet ?? false}
            />
          </div>
        ) : null}
      </div>
    </section>
  );
}
