"use client";
// The chart window as a segmented control built on native radio buttons: Tab reaches the group, arrow keys
// move between windows, and screen readers hear "Time window, 1 h, radio button, 2 of 5". Beside the windows, the
// incident zoom (a recent rollback's span) and, while a shared link shows one, its fixed range.
import { chartWindowKeys, chartWindows, type ChartWindow } from "./windows";

/** A choice beside the windows: the incident zoom, or the fixed range a link opened. */
export interface ExtraChoice {
  key: "incident" | "range";
  label: string;
  /** Read to screen readers instead of the short label, e.g. "Incident: rollback requested 03:02". */
  title?: string;
}

export function WindowSelector({
  value,
  onChange,
  extras = [],
}: {
  value: ChartWindow | ExtraChoice["key"];
  onChange: (next: ChartWindow | ExtraChoice["key"]) => void;
  extras?: readonly ExtraChoice[];
}) {
  const choices = [
    ...extras.map((extra) => ({ key: extra.key, label: extra.label, title: extra.title })),
    ...chartWindowKeys.map((key) => ({ key, label: chartWindows[key].label, title: undefined })),
  ];
  return (
    <fieldset className="inline-flex overflow-hidden rounded-md border border-slate-300 bg-white text-sm">
      <legend className="sr-only">Time window</legend>
      {choices.map(({ key, label, title }) => (
        <label key={key} className="border-l border-slate-300 first-of-type:border-l-0" title={title}>
          <input
            type="radio"
            name="chart-window"
            value={key}
            checked={value === key}
            onChange={() => onChange(key)}
            aria-label={title}
            className="peer sr-only"
          />
          <span className="block cursor-pointer px-3 py-1.5 whitespace-nowrap text-slate-800 peer-checked:bg-indigo-600 peer-checked:font-medium peer-checked:text-white peer-focus-visible:outline-2 peer-focus-visible:-outline-offset-2 peer-focus-visible:outline-indigo-800 hover:bg-slate-100 peer-checked:hover:bg-indigo-700">
            {label}
          </span>
        </label>
      ))}
    </fieldset>
  );
}
