"use client";
// The one time-series chart of an SLO metric, shared by every page that draws one; its title, reading, unit,
// formatting and colours come from the SLO catalogue (server/domain/slo.ts). Usage:
//
//   <MetricChart
//     slo="ERROR_RATE"                                     // which SLO's reading of each point to draw
//     points={series.points}                               // metrics.series points, oldest first; nulls are gaps
//     range={{ from, to }}                                 // the x-axis
//     thresholds={[{ value: 0.05, label: "Limit" }]}       // horizontal lines; the first is always kept in view
//     periods={[{ from, to, level: "BREACH" }]}            // shaded spans (verdicts, or a backtest's periods)
//     markers={[{ at, label: "Completed", href: "/rollbacks/r1" }]}  // vertical lines, labelled above the plot
//   />
//
// The value axis runs from 0 to a nice maximum (axis.ts) holding the data and every threshold; labels never
// overlap or leave the drawing (labels.ts): markers' labels sit in lanes above the plot, thresholds' inside it at
// the right, above or below their line.
//
// Screen readers get the figure's title, a one-line summary (latest, maximum, limit, periods, rollbacks) and
// a data table in a <details>; the drawn SVG itself is hidden from them. The chart fills its parent's width.
import Link from "next/link";
import { memo, useEffect, useId, useMemo, useState, type ReactNode } from "react";
import { CartesianGrid, Line, LineChart, ReferenceArea, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import {
  breachColors,
  sloDefinition,
  slos,
  unitFormats,
  type Slo,
  type SloDefinition,
  type SloReading,
} from "@/server/domain/slo";
import { DataTable } from "../data-table";
import { formatDateTime } from "../format";
import { niceAxis } from "./axis";
import { tickFormatter, timeTicks } from "./time-axis";
import {
  LABEL_LINE_PX,
  placeLimitLabels,
  placeMarkerLabels,
  type LimitLabelSide,
  type MarkerPlacement,
} from "./labels";

/** A point covers [start, start + stepMs); a null (or missing) reading is a step without traffic. */
export type ChartPoint = { start: Date } & { [K in SloReading]?: number | null };

/**
 * The SLOs to chart or list for these readings, in catalogue order: every SLO shown without data, and the others
 * (time to first token comes from streaming routes only) when some row has a reading for them.
 */
export function shownSlos(rows: readonly { [K in SloReading]?: number | null }[]): SloDefinition[] {
  return slos.filter((slo) => slo.shownWithoutData || rows.some((row) => row[slo.reading] != null));
}

export interface ChartThreshold {
  value: number;
  /** Shown on the line with the formatted value, e.g. "Limit" → "Limit 5%". */
  label: string;
  /** "limit" (default): a dashed line in the breach colour; "emergency": a dotted one in the emergency colour. */
  tone?: "limit" | "emergency";
}

/** Same shape as a backtest's periods: [from, to) at the worst level reached. */
export interface ChartPeriod {
  from: Date;
  to: Date;
  level: "VIOLATION" | "BREACH" | "EMERGENCY";
}

export interface ChartMarker {
  at: Date;
  /** Short: it is drawn above the plot over its line, e.g. "Requested", "Step 50%". */
  label: string;
  /** Where the marker leads, e.g. /rollbacks/<id>; a link in the chart and in the data list. */
  href?: string;
  /** "good" (a verified rollback) and "bad" (an ineffective or failed one) colour the line; a step's is dashed. */
  tone?: "neutral" | "good" | "bad" | "step";
}

export interface MetricChartProps {
  slo: Slo;
  points: readonly ChartPoint[];
  range: { from: Date; to: Date };
  thresholds?: readonly ChartThreshold[];
  periods?: readonly ChartPeriod[];
  /** In order of importance: where labels would overlap, the earlier ones get them. */
  markers?: readonly ChartMarker[];
  /** Defaults to the SLO's title in the catalogue ("Error rate", "P95 latency", …). */
  title?: string;
  /** Height of the drawing in pixels. */
  height?: number;
}

const periodLabel: Record<ChartPeriod["level"], string> = {
  VIOLATION: "Violation",
  BREACH: "Breach",
  EMERGENCY: "Emergency breach",
};

/** The element's width, following resizes; 0 where there is no layout (server, jsdom). */
function useWidth(element: HTMLElement | null): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => setWidth(entry?.contentRect.width ?? 0));
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return width;
}

const MARGIN = { top: 8, right: 12, bottom: 0, left: 0 };
const Y_AXIS_WIDTH = 64;
/** Recharts' default height of the time axis under the plot. */
const X_AXIS_HEIGHT = 30;
/** Lanes of marker labels above the plot. */
const MARKER_LANES = 2;

const markerColors: Record<NonNullable<ChartMarker["tone"]>, string> = {
  neutral: "#4338ca",
  step: "#4338ca",
  good: "#047857",
  bad: "#b91c1c",
};

interface Datum {
  t: number;
  value: number | null;
  /** The value again when neither neighbour has one, else null. */
  alone: number | null;
}

/** The highest value and the latest one with traffic, for the summary. */
function extremes(data: readonly Datum[]) {
  let max: Datum | null = null;
  let latest: Datum | null = null;
  for (const datum of data) {
    if (datum.value === null) continue;
    if (!max || datum.value > (max.value ?? 0)) max = datum;
    latest = datum;
  }
  return { max, latest };
}

/** Memoised: pass stable arrays (useMemo) and it redraws only when they change. */
export const MetricChart = memo(function MetricChart({
  slo,
  points,
  range,
  thresholds = [],
  periods = [],
  markers = [],
  title,
  height = 220,
}: MetricChartProps) {
  const info = sloDefinition(slo);
  const format = unitFormats[info.unit];
  const metric = info.reading;
  const heading = title ?? info.title;
  const ids = { title: useId(), summary: useId() };
  const [tableOpen, setTableOpen] = useState(false);
  const [box, setBox] = useState<HTMLDivElement | null>(null);
  const width = useWidth(box);
  const from = range.from.getTime();
  const to = range.to.getTime();

  const data = useMemo<Datum[]>(
    () =>
      points.map((point, index) => {
        const value = point[metric] ?? null;
        // A point with no neighbour draws no line segment, so it also goes in a series drawn as dots only.
        const alone = value !== null && points[index - 1]?.[metric] == null && points[index + 1]?.[metric] == null;
        return { t: point.start.getTime(), value, alone: alone ? value : null };
      }),
    [points, metric],
  );
  const { max, latest } = extremes(data);
  const hasAlone = data.some((datum) => datum.alone !== null);
  const limit = thresholds[0];
  const axis = useMemo(
    () =>
      niceAxis([...data.map((datum) => datum.value), ...thresholds.map((line) => line.value)], {
        cap: info.unit === "ratio" ? 1 : undefined,
      }),
    [data, thresholds, info.unit],
  );
  const plotHeight = height - MARGIN.top - MARGIN.bottom - X_AXIS_HEIGHT;
  const limitSides = placeLimitLabels(
    thresholds.map((line) => line.value),
    { max: axis.max, plotHeight },
  );
  const ticks = timeTicks({ from, to });
  const formatTick = tickFormatter({ from, to }, ticks);
  const visiblePeriods = periods
    .map((period) => ({ ...period, x1: Math.max(from, period.from.getTime()), x2: Math.min(to, period.to.getTime()) }))
    .filter((period) => period.x2 > period.x1);
  const visibleMarkers = markers.filter((marker) => marker.at.getTime() >= from && marker.at.getTime() <= to);
  // A few minutes of breach on a week's chart would be under a pixel: each span is drawn at least 3 px wide.
  const plotWidth = width - MARGIN.left - Y_AXIS_WIDTH - MARGIN.right;
  const minShadeMs = plotWidth > 0 ? (3 * (to - from)) / plotWidth : 0;
  // Markers are numbered in time order; one whose label finds no room shows its number, explained in the key.
  const numbers = new Map(
    [...visibleMarkers].sort((a, b) => a.at.getTime() - b.at.getTime()).map((marker, index) => [marker, index + 1]),
  );
  const labels = placeMarkerLabels(
    visibleMarkers,
    { from, to },
    { left: MARGIN.left + Y_AXIS_WIDTH, right: width - MARGIN.right, width },
    { lanes: MARKER_LANES, compactLabel: (marker) => String(numbers.get(marker)) },
  );
  const keyed = width > 0 ? [...numbers].filter(([marker]) => labels.get(marker)?.compact !== false) : [];

  const summary = [
    latest?.value != null
      ? `Latest ${format(latest.value)} at ${formatTick(latest.t)}, highest ${format(max?.value ?? 0)} at ${formatTick(max?.t ?? 0)}.`
      : "No traffic in this window.",
    thresholds.length > 0 ? `${thresholds.map((line) => `${line.label} ${format(line.value)}`).join(", ")}.` : "",
    visiblePeriods.length > 0
      ? `${visiblePeriods.length} period${visiblePeriods.length === 1 ? "" : "s"} of violation or breach shaded.`
      : "",
    visibleMarkers.length > 0
      ? `${visibleMarkers.length} rollback event${visibleMarkers.length === 1 ? "" : "s"} marked.`
      : "",
  ]
    .filter(Boolean)
    .join(" ");

  return (
    <figure aria-labelledby={ids.title} aria-describedby={ids.summary} className="min-w-0">
      <figcaption className="mb-2 flex flex-wrap items-baseline justify-between gap-x-3">
        <h3 id={ids.title} className="text-sm font-semibold">
          {heading}
        </h3>
        <span className="text-sm text-slate-700 tabular-nums">
          {latest?.value != null ? format(latest.value) : "—"}
          {limit ? <span className="text-slate-600"> / limit {format(limit.value)}</span> : null}
        </span>
      </figcaption>
      {/* The drawing repeats what the summary and the table say; links inside it are for the mouse. */}
      <div aria-hidden="true" ref={setBox}>
        {visibleMarkers.length > 0 ? <MarkerLabels labels={labels} numbers={numbers} /> : null}
        <LineChart responsive accessibilityLayer={false} data={data} style={{ width: "100%", height }} margin={MARGIN}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={[from, to]}
            ticks={ticks}
            tickFormatter={formatTick}
            allowDataOverflow
            tick={{ fontSize: 11, fill: "#475569" }}
            stroke="#94a3b8"
          />
          <YAxis
            domain={[0, axis.max]}
            ticks={axis.ticks}
            tickFormatter={format}
            allowDataOverflow
            width={Y_AXIS_WIDTH}
            tick={{ fontSize: 11, fill: "#475569" }}
            stroke="#94a3b8"
          />
          {visiblePeriods.map((period) => (
            <ReferenceArea
              key={`${period.x1}-${period.level}`}
              x1={period.x1}
              x2={Math.min(to, Math.max(period.x2, period.x1 + minShadeMs))}
              fill={breachColors[period.level]}
              fillOpacity={0.18}
              ifOverflow="hidden"
            />
          ))}
          {thresholds.map((line, index) => {
            const color = line.tone === "emergency" ? breachColors.EMERGENCY : breachColors.BREACH;
            const side = limitSides[index] ?? null;
            return (
              <ReferenceLine
                key={`${line.label}-${line.value}`}
                y={line.value}
                stroke={color}
                strokeDasharray={line.tone === "emergency" ? "2 3" : "6 4"}
                ifOverflow="hidden"
                label={
                  side
                    ? (props: { viewBox?: { x?: number; y?: number; width?: number } }) => (
                        <LimitLabel
                          viewBox={props.viewBox}
                          side={side}
                          color={color}
                          text={`${line.label} ${format(line.value)}`}
                        />
                      )
                    : undefined
                }
              />
            );
          })}
          {visibleMarkers.map((marker) => (
            <ReferenceLine
              key={`${marker.at.getTime()}-${marker.label}`}
              x={marker.at.getTime()}
              stroke={markerColors[marker.tone ?? "neutral"]}
              strokeWidth={marker.tone === "step" ? 1.25 : 1.5}
              strokeDasharray={marker.tone === "step" ? "4 3" : undefined}
            />
          ))}
          <Tooltip
            labelFormatter={(t) => formatDateTime(new Date(Number(t)))}
            formatter={(value) => [typeof value === "number" ? format(value) : "no traffic", heading]}
            isAnimationActive={false}
          />
          <Line
            dataKey="value"
            type="linear"
            stroke={info.color}
            strokeWidth={1.75}
            dot={false}
            activeDot={{ r: 3 }}
            connectNulls={false}
            isAnimationActive={false}
          />
          {hasAlone ? (
            <Line
              dataKey="alone"
              stroke="none"
              dot={{ r: 2.5, fill: info.color, stroke: info.color }}
              activeDot={false}
              tooltipType="none"
              legendType="none"
              isAnimationActive={false}
            />
          ) : null}
        </LineChart>
      </div>
      <Legend
        color={info.color}
        thresholds={thresholds}
        levels={[...new Set(visiblePeriods.map((period) => period.level))]}
        markers={visibleMarkers.length > 0}
      />
      {keyed.length > 0 ? <MarkerKey keyed={keyed} labels={labels} /> : null}
      <p id={ids.summary} className="sr-only">
        {summary}
      </p>
      <details className="mt-1 text-sm" onToggle={(event) => setTableOpen(event.currentTarget.open)}>
        <summary className="cursor-pointer text-xs text-slate-700 hover:text-slate-900">{heading}: data table</summary>
        {tableOpen ? (
          <ChartData heading={heading} data={data} format={format} periods={visiblePeriods} markers={visibleMarkers} />
        ) : null}
      </details>
    </figure>
  );
});

/** A white outline under label text, so it stays legible over lines and shading. */
const halo = { stroke: "#ffffff", strokeWidth: 3, paintOrder: "stroke" } as const;

/** The marker labels' lanes above the plot, each label over its line (labels.ts placeMarkerLabels). */
function MarkerLabels({
  labels,
  numbers,
}: {
  labels: ReadonlyMap<ChartMarker, MarkerPlacement>;
  numbers: ReadonlyMap<ChartMarker, number>;
}) {
  return (
    <div className="relative" style={{ height: MARKER_LANES * LABEL_LINE_PX }} data-testid="chart-marker-labels">
      {[...labels].map(([marker, place]) => {
        const style = {
          left: place.left,
          width: place.width,
          bottom: place.lane * LABEL_LINE_PX,
          height: LABEL_LINE_PX,
          color: markerColors[marker.tone ?? "neutral"],
        };
        const className = `absolute truncate text-center text-[11px] leading-4 font-semibold whitespace-nowrap${
          place.compact ? " rounded-full border border-current bg-white" : ""
        }`;
        const title = `${marker.label}, ${formatDateTime(marker.at)}`;
        const text = place.compact ? numbers.get(marker) : marker.label;
        return marker.href ? (
          <a
            key={`${marker.at.getTime()}-${marker.label}`}
            href={marker.href}
            tabIndex={-1}
            title={title}
            className={`${className} hover:underline`}
            style={style}
          >
            {text}
          </a>
        ) : (
          <span key={`${marker.at.getTime()}-${marker.label}`} title={title} className={className} style={style}>
            {text}
          </span>
        );
      })}
    </div>
  );
}

const keyTime = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** The markers whose label found no room above the plot: numbered ones by their number, the others in full. */
function MarkerKey({
  keyed,
  labels,
}: {
  keyed: readonly (readonly [ChartMarker, number])[];
  labels: ReadonlyMap<ChartMarker, MarkerPlacement>;
}) {
  return (
    <ol aria-hidden="true" className="mt-1 flex flex-wrap gap-x-3 gap-y-0.5 text-xs text-slate-700">
      {keyed.map(([marker, number]) => (
        <li key={`${marker.at.getTime()}-${marker.label}`} className="tabular-nums">
          {labels.has(marker) ? (
            <span className="mr-1 inline-block min-w-4 rounded-full border border-indigo-700 px-1 text-center text-[10px] leading-[14px] font-semibold text-indigo-800">
              {number}
            </span>
          ) : null}
          {marker.label} <span className="text-slate-600">{keyTime.format(marker.at)}</span>
        </li>
      ))}
    </ol>
  );
}

/** A threshold's label inside the plot, ending at its right edge, just above or below its line. */
function LimitLabel({
  viewBox,
  side,
  color,
  text,
}: {
  viewBox?: { x?: number; y?: number; width?: number };
  side: LimitLabelSide;
  color: string;
  text: string;
}) {
  const right = (viewBox?.x ?? 0) + (viewBox?.width ?? 0) - 4;
  const y = viewBox?.y ?? 0;
  return (
    <text
      x={right}
      y={side === "above" ? y - 4 : y + 12}
      textAnchor="end"
      fontSize={11}
      fontWeight={600}
      fill={color}
      {...halo}
    >
      {text}
    </text>
  );
}

function Legend({
  color,
  thresholds,
  levels,
  markers,
}: {
  color: string;
  thresholds: readonly ChartThreshold[];
  levels: readonly ChartPeriod["level"][];
  markers: boolean;
}) {
  const item = (swatch: ReactNode, label: string) => (
    <li key={label} className="flex items-center gap-1.5">
      {swatch}
      {label}
    </li>
  );
  return (
    <ul aria-hidden="true" className="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-700">
      {item(<span className="h-0.5 w-4" style={{ background: color }} />, "Measured")}
      {thresholds.map((line) =>
        item(
          <span
            className={`w-4 border-t-2 ${line.tone === "emergency" ? "border-dotted" : "border-dashed"}`}
            style={{ borderColor: line.tone === "emergency" ? breachColors.EMERGENCY : breachColors.BREACH }}
          />,
          line.label,
        ),
      )}
      {levels.map((level) =>
        item(
          <span className="h-3 w-4 rounded-sm" style={{ background: breachColors[level], opacity: 0.35 }} />,
          periodLabel[level],
        ),
      )}
      {markers ? item(<span className="h-3 w-0.5 bg-indigo-700" />, "Rollback") : null}
    </ul>
  );
}

function ChartData({
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
