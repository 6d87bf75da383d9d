// How the overview orders targets: the ones that need a person first. Pure, so the service and tests share it.
import type { VerdictStatus } from "./evaluation";

/** Worst first. A target is in the first class that applies to it. */
export const attentionLevels = ["EMERGENCY", "BREACH", "VIOLATION", "ROLLBACK", "NO_DATA", "HEALTHY"] as const;
export type AttentionLevel = (typeof attentionLevels)[number];

export interface AttentionInput {
  monitoringEnabled: boolean;
  verdict: { status: VerdictStatus; severity: "CRITICAL" | "EMERGENCY" | null } | null;
  hasActiveRollback: boolean;
}

/**
 * Emergency breach, breach, violation, active rollback, no data, healthy. A target whose monitoring is off
 * gets no new verdicts, so its last one says nothing about now: it counts as no data (unless a rollback
 * of it is under way, which still needs watching).
 */
export function attentionLevel({ monitoringEnabled, verdict, hasActiveRollback }: AttentionInput): AttentionLevel {
  const current = monitoringEnabled ? verdict : null;
  if (current?.status === "BREACH") return current.severity === "EMERGENCY" ? "EMERGENCY" : "BREACH";
  if (current?.status === "VIOLATION") return "VIOLATION";
  if (hasActiveRollback) return "ROLLBACK";
  if (!current || current.status === "INSUFFICIENT_DATA") return "NO_DATA";
  return "HEALTHY";
}

/** Worst first; within a level by slug, so cards keep their places between refreshes. */
export function sortByAttention<T extends { attention: AttentionLevel; slug: string }>(targets: readonly T[]): T[] {
  return [...targets].sort(
    (a, b) =>
      attentionLevels.indexOf(a.attention) - attentionLevels.indexOf(b.attention) ||
      (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0),
  );
}
