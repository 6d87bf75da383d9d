// "Nice" value axes for charts: a maximum of 1, 2, 2.5 or 5 × 10ⁿ that holds the data and the limits drawn, and
// ticks on round steps below it, so an axis reads 0–20% or 0–25 s rather than 0–52% or 0–6.9 s.

const MANTISSAS = [1, 2, 2.5, 5, 10] as const;
/** The tick step for each maximum's mantissa: 5 or 6 ticks, on values a person reads at a glance. */
const STEP_OF: Record<number, number> = { 1: 0.2, 2: 0.5, 2.5: 0.5, 5: 1 };

/** Rounds away binary noise (0.1 × 3 = 0.30000000000000004). */
const tidy = (value: number) => Number(value.toPrecision(12));

/** The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value`; 1 for nothing positive. */
export function niceCeiling(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const base = 10 ** Math.floor(Math.log10(value));
  for (const mantissa of MANTISSAS) {
    const candidate = tidy(mantissa * base);
    if (candidate >= value) return candidate;
  }
  return tidy(10 * base);
}

export interface NiceAxis {
  max: number;
  /** From 0 up to `max`, inclusive. */
  ticks: number[];
}

/**
 * The axis from 0 that holds every value (data points and the limits drawn). Values above `cap` (a ratio's 100%)
 * are left out of view rather than stretching the axis past what the data can reach.
 */
export function niceAxis(values: readonly (number | null | undefined)[], { cap }: { cap?: number } = {}): NiceAxis {
  let top = 0;
  for (const value of values) {
    if (value == null || !Number.isFinite(value) || (cap !== undefined && value > cap)) continue;
    top = Math.max(top, value);
  }
  const max = cap === undefined ? niceCeiling(top) : Math.min(cap, niceCeiling(top));
  return { max, ticks: niceTicks(max) };
}

/** 0 to `max` in round steps; `max` is expected nice (niceCeiling), else the steps are a fifth of it. */
export function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0];
  const base = 10 ** Math.floor(Math.log10(max));
  const mantissa = tidy(max / base);
  const step = STEP_OF[mantissa] === undefined ? max / 5 : tidy(STEP_OF[mantissa] * base);
  const ticks: number[] = [];
  for (let index = 0; tidy(index * step) <= max; index += 1) ticks.push(tidy(index * step));
  return ticks;
}
