"use client";
// The chart window as a segmented control built on native radio buttons: Tab reaches the group, arrow keys
// move between windows, and screen readers hear "Time window, 1 h, radio button, 2 of 5".
import { chartWindowKeys, chartWindows, type ChartWindow } from "./windows";

export function WindowSelector({ value, onChange }: { value: ChartWindow; onChange: (next: ChartWindow) => void }) {
  return (
    <fieldset className="inline-flex overflow-hidden rounded-md border border-slate-300 bg-white text-sm">
      <legend className="sr-only">Time window</legend>
      {chartWindowKeys.map((key) => (
        <label key={key} className="border-l border-slate-300 first-of-type:border-l-0">
          <input
            type="radio"
            name="chart-window"
            value={key}
            checked={value === key}
            onChange={() => onChange(key)}
            className="peer sr-only"
          />
          <span className="block cursor-pointer px-3 py-1.5 text-slate-800 peer-checked:bg-indigo-600 peer-checked:font-medium peer-checked:text-white peer-focus-visible:outline-2 peer-focus-visible:-outline-offset-2 peer-focus-visible:outline-indigo-800 hover:bg-slate-100 peer-checked:hover:bg-indigo-700">
            {chartWindows[key].label}
          </span>
        </label>
      ))}
    </fieldset>
  );
}
