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
// a data table in a <details> (chart-data.tsx); the drawn SVG itself is hidden from them, as are the labels and
// legend around it (chart-annotations.tsx). The chart fills its parent's width.
import { memo, useEffect, useId, useMemo, useState } from "react";
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
import { formatDateTime } from "../format";
import { niceAxis } from "./axis";
import { Legend, LimitLabel, MARKER_LANES, MarkerKey, MarkerLabels, markerColors } from "./chart-annotations";
import { ChartData, type Datum } from "./chart-data";
import { placeLimitLabels, placeMarkerLabels } from "./labels";
import type { ChartMarker, ChartPeriod, ChartThreshold } from "./chart-types";
import { tickFormatter, timeTicks } from "./time-axis";

/** A point covers [start, start + stepMs); a null (or missing) reading is a step without traffic. */
export type ChartPoint = { start: Date } & { [K in SloReading]?: number | null };

/**
 * The SLOs to chart or list for these readings, in catalogue order: every SLO shown without data, and the others
 * (time to first token comes from streaming routes only) when some row has a reading for them.
 */
export function shownSlos(rows: readonly { [K in SloReading]?: number | null }[]): SloDefinition[] {
  return slos.filter((slo) => slo.shownWithoutData || rows.some((row) => row[slo.reading] != null));
}

export type { ChartMarker, ChartPeriod, ChartThreshold } from "./chart-types";

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
