"use client";
// A small line without axes for a card: the trend of the last hour. Screen readers get the title and the
// latest value instead of the drawing. The latest value names its window (one step) and, when it is not from
// the last step or two, is muted with its age.
import { useMemo } from "react";
import { Line, LineChart, YAxis } from "recharts";
import { formatRelative } from "../format";
import { windowText } from "./readings";

export function Sparkline({
  title,
  values,
  format,
  color,
  from,
  stepMs,
  now,
}: {
  title: string;
  /** One value per step, oldest first; null where a step had no traffic. */
  values: readonly (number | null)[];
  format: (value: number) => string;
  color: string;
  /** When the first step starts, each step's length, and the time of the figures: to say how old "latest" is. */
  from: Date;
  stepMs: number;
  now: Date;
}) {
  // A step with traffic between two silent ones has no line to be part of: it is drawn as a dot.
  const data = useMemo(
    () =>
      values.map((value, index) => ({
        index,
        value,
        alone: value !== null && values[index - 1] == null && values[index + 1] == null ? value : null,
      })),
    [values],
  );
  const hasAlone = data.some((datum) => datum.alone !== null);
  const latestIndex = values.findLastIndex((value) => value !== null);
  const latest = latestIndex === -1 ? null : (values[latestIndex] ?? null);
  // The last step is still filling; a latest value from further back says when it was.
  const latestEnd = from.getTime() + (latestIndex + 1) * stepMs;
  const age = latest !== null && now.getTime() - latestEnd > stepMs ? formatRelative(new Date(latestEnd), now) : null;
  const step = windowText(stepMs / 1000);
  const label =
    `${title}, last hour: ` +
    (latest === null ? "no traffic" : `latest ${format(latest)} over ${step}${age ? ` (as of ${age})` : ""}`);
  return (
    <div role="img" aria-label={label} className="min-w-0">
      <div aria-hidden="true" className="flex items-baseline justify-between gap-2 text-xs text-slate-600">
        <span className="min-w-0">{title}</span>
        <span
          className={`shrink-0 tabular-nums ${latest === null || age ? "text-slate-500" : "font-medium text-slate-900"}`}
        >
          {latest === null ? "—" : format(latest)}
        </span>
      </div>
      {latest !== null ? (
        <div aria-hidden="true" className="text-right text-[11px] text-slate-500">
          {age ? `as of ${age}` : `over the latest ${step}`}
        </div>
      ) : null}
      <div aria-hidden="true" className="mt-1 h-10">
        {latest === null ? (
          <div className="flex h-full items-center justify-center rounded bg-slate-50 text-xs text-slate-600">
            No traffic
          </div>
        ) : (
          <LineChart
            responsive
            accessibilityLayer={false}
            data={data}
            style={{ width: "100%", height: 40 }}
            margin={{ top: 2, right: 2, bottom: 2, left: 2 }}
          >
            <YAxis hide domain={[0, "auto"]} />
            <Line
              type="monotone"
              dataKey="value"
              stroke={color}
              strokeWidth={1.5}
              dot={false}
              isAnimationActive={false}
              connectNulls={false}
            />
            {hasAlone ? (
              <Line
                dataKey="alone"
                stroke="none"
                dot={{ r: 1.75, fill: color, stroke: color }}
                activeDot={false}
                isAnimationActive={false}
              />
            ) : null}
          </LineChart>
        )}
      </div>
    </div>
  );
}
