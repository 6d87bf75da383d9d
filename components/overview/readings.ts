// How SLO figures say which window they read and how old they are, on the overview cards and the target page.
// The figures themselves go through the catalogue's formatters (server/domain/slo.ts); windows are worded as
// the verdict text words them (server/domain/evaluation.ts), so "P95 latency over 5 min" matches
// "… over the last 5 min" in the explanation beside it.
import { formatDuration } from "@/server/domain/evaluation";
import { formatRelative } from "../format";

/**
 * Figures older than this are shown muted with their age: monitoring runs every few seconds (10 s by default),
 * so two minutes without a newer verdict means cycles are not running or the target was not evaluated.
 */
export const STALE_AFTER_MS = 2 * 60_000;

/** "5 min", "30 s", "1 h": a window's length as the verdict text says it. */
export function windowText(seconds: number): string {
  return formatDuration(seconds);
}

/** "as of 3 min ago" when `at` is older than STALE_AFTER_MS at `now`, else null. */
export function staleAge(at: Date, now: Date): string | null {
  return now.getTime() - at.getTime() > STALE_AFTER_MS ? `as of ${formatRelative(at, now)}` : null;
}
