"use client";
// A small line without axes for a card: the trend of the last hour. Screen readers get the title and the
// latest value instead of the drawing.
import { useMemo } from "react";
import { Line, LineChart, YAxis } from "recharts";

export function Sparkline({
  title,
  values,
  format,
  color,
}: {
  title: string;
  /** One value per step, oldest first; null where a step had no traffic. */
  values: readonly (number | null)[];
  format: (value: number) => string;
  color: string;
}) {
  const data = useMemo(() => values.map((value, index) => ({ index, value })), [values]);
  const latest = useMemo(() => values.findLast((value) => value !== null) ?? null, [values]);
  const label = `${title}, last hour: ${latest === null ? "no traffic" : `latest ${format(latest)}`}`;
  return (
    <div role="img" aria-label={label} className="min-w-0">
      <div aria-hidden="true" className="flex items-baseline justify-between gap-2 text-xs text-slate-600">
        <span>{title}</span>
        <span className="font-medium text-slate-900 tabular-nums">{latest === null ? "—" : format(latest)}</span>
      </div>
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
          </LineChart>
        )}
      </div>
    </div>
  );
}
