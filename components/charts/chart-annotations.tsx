// What the metric chart draws to name things around and over its plot: the markers' labels above it and their
// key under it, the thresholds' labels inside it, and the legend. All hidden from screen readers, which get the
// chart's summary and data table instead (metric-chart.tsx).
import type { ReactNode } from "react";
import { breachColors } from "@/server/domain/slo";
import { formatDateTime } from "../format";
import { LABEL_LINE_PX, type LimitLabelSide, type MarkerPlacement } from "./labels";
import type { ChartMarker, ChartPeriod, ChartThreshold } from "./chart-types";

/** Lanes of marker labels above the plot. */
export const MARKER_LANES = 2;

export const markerColors: Record<NonNullable<ChartMarker["tone"]>, string> = {
  neutral: "#4338ca",
  step: "#4338ca",
  good: "#047857",
  bad: "#b91c1c",
};

/** A shaded period's name, in the legend and in the data list. */
export const periodLabel: Record<ChartPeriod["level"], string> = {
  VIOLATION: "Violation",
  BREACH: "Breach",
  EMERGENCY: "Emergency breach",
};

/** A white outline under label text, so it stays legible over lines and shading. */
const halo = { stroke: "#ffffff", strokeWidth: 3, paintOrder: "stroke" } as const;

/** The marker labels' lanes above the plot, each label over its line (labels.ts placeMarkerLabels). */
export function MarkerLabels({
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
export function MarkerKey({
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
export function LimitLabel({
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

export function Legend({
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
