// A window of a target's traffic stored as JSON (counts and encoded sketches), so a later check runs the same
// tests on it as on live totals: a rollback step's `stepBaseline`, a flag re-enablement plan's flags-off
// `baseline`.
import { z } from "zod";
import { emptyTotals, type MetricTotals } from "./metrics";
import { LatencySketch } from "./sketch";

const baselineSchema = z.object({
  from: z.number(),
  to: z.number(),
  requestCount: z.number(),
  errorCount: z.number(),
  costMicros: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  latency: z.string(),
  ttft: z.string(),
});
export type StepBaseline = z.infer<typeof baselineSchema>;

export function toBaseline(totals: MetricTotals, range: { from: number; to: number }): StepBaseline {
  const { requestCount, errorCount, costMicros, inputTokens, outputTokens } = totals;
  return {
    ...range,
    requestCount,
    errorCount,
    costMicros,
    inputTokens,
    outputTokens,
    latency: totals.latency.encode(),
    ttft: totals.ttft.encode(),
  };
}

/** A baseline stored before the step gate (plain readings) or none reads as no traffic: the check HOLDs. */
export function fromBaseline(stored: unknown): MetricTotals {
  const parsed = baselineSchema.safeParse(stored);
  if (!parsed.success) return emptyTotals();
  const { latency, ttft, from: _from, to: _to, ...counts } = parsed.data;
  return { ...counts, latency: LatencySketch.decode(latency), ttft: LatencySketch.decode(ttft) };
}
