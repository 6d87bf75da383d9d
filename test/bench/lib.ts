// Small helpers for benchmarks: timing statistics and output. Benchmarks print figures; they never
// assert on time (shared machines make timing assertions flaky).

export interface Figure {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  note?: string;
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] ?? Number.NaN;
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times; returns per-run microseconds, sorted. */
export function timeMicros(fn: () => void, runs: number, warmup = Math.min(100, runs)): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1_000);
  }
  return samples.sort((a, b) => a - b);
}

/**
 * Wall-clock and CPU milliseconds per run of `fn`, each sorted, after `warmup` unmeasured runs. The CPU time is
 * this process's (on SQLite the database's work too, on PostgreSQL not the server's): on a machine shared with
 * other work it approximates what the wall time would be on an idle one.
 */
export async function timeRuns(
  fn: () => Promise<unknown>,
  options: { runs: number; warmup: number },
): Promise<{ wall: number[]; cpu: number[] }> {
  for (let i = 0; i < options.warmup; i++) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const started = performance.now();
    const usage = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(usage);
    wall.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1_000);
  }
  return { wall: wall.sort((a, b) => a - b), cpu: cpu.sort((a, b) => a - b) };
}

export function printTable(figures: readonly Figure[]): void {
  const rows = figures.map((f) => [f.benchmark, f.metric, formatValue(f.value), f.unit, f.note ?? ""]);
  const header = ["benchmark", "metric", "value", "unit", "note"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => "─".repeat(w))));
  for (const row of rows) console.log(line(row));
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  return value.toPrecision(3);
}
