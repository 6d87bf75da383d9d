// The metric chart's text alternative, in the <details> under it: its markers and shaded periods as lists and
// every point as a table.
import Link from "next/link";
import { DataTable } from "../data-table";
import { formatDateTime } from "../format";
import { periodLabel } from "./chart-annotations";
import type { ChartMarker, ChartPeriod } from "./chart-types";

/** One point as the chart draws it: `t` is its start in epoch ms. */
export interface Datum {
  t: number;
  value: number | null;
  /** The value again when neither neighbour has one, else null. */
  alone: number | null;
}

export function ChartData({
  heading,
  data,
  format,
  periods,
  markers,
}: {
  heading: string;
  data: readonly Datum[];
  format: (value: number) => string;
  periods: readonly (ChartPeriod & { x1: number; x2: number })[];
  markers: readonly ChartMarker[];
}) {
  return (
    <div className="mt-2 space-y-3">
      {markers.length > 0 ? (
        <ul className="space-y-1">
          {markers.map((marker) => (
            <li key={`${marker.at.getTime()}-${marker.label}`}>
              {formatDateTime(marker.at)}:{" "}
              {marker.href ? (
                <Link href={marker.href} className="text-indigo-700 underline">
                  {marker.label}
                </Link>
              ) : (
                marker.label
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {periods.length > 0 ? (
        <ul className="space-y-1">
          {periods.map((period) => (
            <li key={`${period.x1}-${period.level}`}>
              {periodLabel[period.level]} from {formatDateTime(new Date(period.x1))} to{" "}
              {formatDateTime(new Date(period.x2))}
            </li>
          ))}
        </ul>
      ) : null}
      <div className="max-h-64 overflow-auto rounded border border-slate-200">
        <DataTable
          caption={`${heading} over time`}
          rows={data}
          rowKey={(datum) => datum.t}
          density="dense"
          headClassName="sticky top-0 bg-slate-50 text-slate-700"
          columns={[
            {
              id: "time",
              header: "Time",
              cell: (datum) => formatDateTime(new Date(datum.t)),
              className: "tabular-nums",
            },
            {
              id: "value",
              header: heading,
              cell: (datum) => (datum.value === null ? "no traffic" : format(datum.value)),
              className: "tabular-nums",
            },
          ]}
        />
      </div>
    </div>
  );
}
