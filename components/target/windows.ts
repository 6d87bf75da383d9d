// The time windows the target page charts, in the order its selector shows them; `?window=` carries the key.
const MINUTE = 60_000;

export const chartWindows = {
  "15m": { label: "15 min", ms: 15 * MINUTE },
  "1h": { label: "1 h", ms: 60 * MINUTE },
  "6h": { label: "6 h", ms: 6 * 60 * MINUTE },
  "24h": { label: "24 h", ms: 24 * 60 * MINUTE },
  "7d": { label: "7 d", ms: 7 * 24 * 60 * MINUTE },
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
