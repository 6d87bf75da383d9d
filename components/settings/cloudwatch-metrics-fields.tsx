"use client";
// The CloudWatch metrics a pulled source reads, one row each: the id its readings name, namespace, metric name,
// dimensions (Name=Value, one per line) and statistic (Sum, Average, p95, …).
import { useId } from "react";
import { Button, FieldError, inputClass } from "../ui";
import { emptyMetricRow, type MetricRow } from "./metric-source-draft";

const columns: { field: keyof MetricRow; label: string; placeholder: string }[] = [
  { field: "id", label: "Id", placeholder: "latency" },
  { field: "namespace", label: "Namespace", placeholder: "AWS/Bedrock" },
  { field: "metricName", label: "Metric name", placeholder: "InvocationLatency" },
  {
    field: "dimensions",
    label: "Dimensions (Name=Value per line)",
    placeholder: "ModelId=anthropic.claude-3-5-sonnet…",
  },
  { field: "stat", label: "Statistic", placeholder: "p95" },
];

export function CloudWatchMetricsFields({
  metrics,
  onChange,
  field,
  listError,
}: {
  metrics: MetricRow[];
  onChange: (metrics: MetricRow[]) => void;
  field: (path: string) => string | undefined;
  /** An issue of the list itself (none, too many). */
  listError: string | undefined;
}) {
  const base = useId();
  const setRow = (index: number, change: Partial<MetricRow>) =>
    onChange(metrics.map((row, i) => (i === index ? { ...row, ...change } : row)));
  return (
    <fieldset className="space-y-3">
      <legend className="text-sm font-medium">Metrics the readings read</legend>
      <FieldError id={`${base}-metrics-error`} message={listError} />
      {metrics.map((row, index) => (
        <fieldset key={index} className="grid gap-2 rounded-md border border-slate-200 p-3 sm:grid-cols-6">
          <legend className="sr-only">Metric {index + 1}</legend>
          {columns.map(({ field: name, label, placeholder }) => {
            const id = `${base}-${index}-${name}`;
            const issue = field(`config.metrics.${index}.${name}`);
            const wide = name === "dimensions" || name === "metricName";
            return (
              <div key={name} className={wide ? "sm:col-span-2" : ""}>
                <label htmlFor={id} className="block text-xs font-medium text-slate-700">
                  {label}
                </label>
                {name === "dimensions" ? (
                  <textarea
                    id={id}
                    rows={2}
                    value={row.dimensions}
                    placeholder={placeholder}
                    spellCheck={false}
                    onChange={(event) => setRow(index, { dimensions: event.target.value })}
                    className={`mt-1 font-mono ${inputClass}`}
                    aria-invalid={Boolean(issue)}
                    aria-describedby={issue ? `${id}-error` : undefined}
                  />
                ) : (
                  <input
                    id={id}
                    value={row[name]}
                    placeholder={placeholder}
                    spellCheck={false}
                    onChange={(event) => setRow(index, { [name]: event.target.value })}
                    className={`mt-1 font-mono ${inputClass}`}
                    aria-invalid={Boolean(issue)}
                    aria-describedby={issue ? `${id}-error` : undefined}
                  />
                )}
                <FieldError id={`${id}-error`} message={issue} />
              </div>
            );
          })}
          <div className="flex items-end">
            <Button
              tone="secondary"
              disabled={metrics.length === 1}
              onClick={() => onChange(metrics.filter((_, i) => i !== index))}
            >
              Remove metric {index + 1}
            </Button>
          </div>
        </fieldset>
      ))}
      <Button tone="secondary" onClick={() => onChange([...metrics, emptyMetricRow()])}>
        Add a metric
      </Button>
    </fieldset>
  );
}
