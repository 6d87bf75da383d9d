// The time windows the target page charts, in the order its selector shows them; `?window=` carries the key.
import { MAX_CHART_RANGE_DAYS } from "@/server/domain/metrics";

const MINUTE = 60_000;

export const chartWindows = {
  "15m": { label: "15 min", ms: 15 * MINUTE },
  "1h": { label: "1 h", ms: 60 * MINUTE },
  "6h": { label: "6 h", ms: 6 * 60 * MINUTE },
  "24h": { label: "24 h", ms: 24 * 60 * MINUTE },
  "7d": { label: "7 d", ms: 7 * 24 * 60 * MINUTE },
  "30d": { label: "30 d", ms: 30 * 24 * 60 * MINUTE },
} as const;

export type ChartWindow = keyof typeof chartWindows;
export const chartWindowKeys = Object.keys(chartWindows) as ChartWindow[];
export const defaultChartWindow: ChartWindow = "1h";

export function isChartWindow(value: unknown): value is ChartWindow {
  return typeof value === "string" && Object.hasOwn(chartWindows, value);
}

/** `?window=` as given, or the default for a missing or unknown value. */
export function parseChartWindow(value: string | string[] | undefined | null): ChartWindow {
  return isChartWindow(value) ? value : defaultChartWindow;
}

/** A fixed span of the chart's time axis, from `?from=` and `?to=` (ISO dates); `to` null follows now. */
export interface ChartRange {
  from: Date;
  to: Date | null;
}

const MAX_RANGE_MS = MAX_CHART_RANGE_DAYS * 24 * 60 * MINUTE;

const dateOf = (value: string | string[] | undefined | null): Date | null => {
  if (typeof value !== "string" || value === "") return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
};

/**
 * `?from=` and `?to=` as a range, or null when `from` is missing or unreadable, `to` is not after it, or the
 * range is over 30 days (the longest the charts read): the page then shows a window instead.
 */
export function parseChartRange(
  from: string | string[] | undefined | null,
  to: string | string[] | undefined | null,
): ChartRange | null {
  const start = dateOf(from);
  const end = dateOf(to);
  if (!start || (to != null && to !== "" && !end)) return null;
  if (end && (end <= start || end.getTime() - start.getTime() > MAX_RANGE_MS)) return null;
  return { from: start, to: end };
}

/** The query string a range or a window is shared with (minutes are enough for a chart's edges). */
export function chartQuery(view: ChartWindow | ChartRange): Record<string, string> {
  if (typeof view === "string") return { window: view };
  const iso = (date: Date) => date.toISOString().replace(".000Z", "Z").replace(/:00Z$/, "Z");
  return view.to ? { from: iso(view.from), to: iso(view.to) } : { from: iso(view.from) };
}

/** Rewrites the page's URL for a chosen window or range, without a server round trip. */
export function replaceChartQuery(view: ChartWindow | ChartRange): void {
  const url = new URL(window.location.href);
  for (const key of ["window", "from", "to"]) url.searchParams.delete(key);
  for (const [key, value] of Object.entries(chartQuery(view))) url.searchParams.set(key, value);
  // Next keeps useSearchParams in step with history.replaceState.
  window.history.replaceState(null, "", url);
}

export function sameRange(a: ChartRange | null, b: ChartRange | null): boolean {
  return (
    a !== null &&
    b !== null &&
    a.from.getTime() === b.from.getTime() &&
    (a.to?.getTime() ?? null) === (b.to?.getTime() ?? null)
  );
}
