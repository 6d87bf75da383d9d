// The chart's time axis: ticks on whole local minutes, hours or days, and their labels.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TICK_STEPS = [MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR];
const LONG_TICK_STEPS = [6 * HOUR, 12 * HOUR, DAY, 2 * DAY];

/** About `count` ticks on whole local minutes, hours or days. */
export function timeTicks(range: { from: number; to: number }, count = 6): number[] {
  const span = range.to - range.from;
  if (span <= 0) return [];
  const step = [...TICK_STEPS, ...LONG_TICK_STEPS].find((candidate) => span / candidate <= count) ?? 7 * DAY;
  const offset = new Date(range.from).getTimezoneOffset() * MINUTE;
  const ticks: number[] = [];
  for (let t = Math.ceil((range.from - offset) / step) * step + offset; t <= range.to; t += step) ticks.push(t);
  return ticks;
}

const timeOnly = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });
const dayAndTime = new Intl.DateTimeFormat("en-GB", { weekday: "short", hour: "2-digit", minute: "2-digit" });
const dayOnly = new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short" });

export function tickFormatter(range: { from: number; to: number }, ticks: readonly number[]) {
  const spansDays = range.to - range.from > DAY;
  const wholeDays = ticks.length > 1 && (ticks[1] ?? 0) - (ticks[0] ?? 0) >= DAY;
  return (t: number) => (wholeDays ? dayOnly : spansDays ? dayAndTime : timeOnly).format(t);
}
