// The shapes a metric chart is given besides its points: threshold lines, shaded periods and markers. Their own
// file, so the chart and its parts (chart-annotations, chart-data, rollback-markers) all import them from below.

export interface ChartThreshold {
  value: number;
  /** Shown on the line with the formatted value, e.g. "Limit" → "Limit 5%". */
  label: string;
  /** "limit" (default): a dashed line in the breach colour; "emergency": a dotted one in the emergency colour. */
  tone?: "limit" | "emergency";
}

/** Same shape as a backtest's periods: [from, to) at the worst level reached. */
export interface ChartPeriod {
  from: Date;
  to: Date;
  level: "VIOLATION" | "BREACH" | "EMERGENCY";
}

export interface ChartMarker {
  at: Date;
  /** Short: it is drawn above the plot over its line, e.g. "Requested", "Step 50%". */
  label: string;
  /** Where the marker leads, e.g. /rollbacks/<id>; a link in the chart and in the data list. */
  href?: string;
  /** "good" (a verified rollback) and "bad" (an ineffective or failed one) colour the line; a step's is dashed. */
  tone?: "neutral" | "good" | "bad" | "step";
}
