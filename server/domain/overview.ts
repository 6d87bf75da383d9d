// How the overview orders and groups targets: the ones that need a person first, then search and pages so a
// thousand targets stay readable. Pure, so the service, the page and tests share it.
import { z } from "zod";
import type { VerdictStatus } from "./evaluation";
import type { RollbackStatus } from "./rollback";

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

/**
 * The overview's groups, most urgent first: over an SLO (emergency, breach or violation), a proposal waiting for a
 * person, a rollback under way, no data (a target gone quiet may be broken), healthy.
 */
export const overviewGroups = ["BREACHING", "AWAITING_APPROVAL", "ROLLING_BACK", "NO_DATA", "HEALTHY"] as const;
export type OverviewGroup = (typeof overviewGroups)[number];

export const overviewGroupLabels: Record<OverviewGroup, string> = {
  BREACHING: "Breaching or violating",
  AWAITING_APPROVAL: "Awaiting approval",
  ROLLING_BACK: "Rolling back",
  NO_DATA: "No data",
  HEALTHY: "Healthy",
};

/** The group of a target at `attention` whose active rollback (if any) has `rollbackStatus`. */
export function overviewGroupOf(attention: AttentionLevel, rollbackStatus: RollbackStatus | null): OverviewGroup {
  switch (attention) {
    case "EMERGENCY":
    case "BREACH":
    case "VIOLATION":
      return "BREACHING";
    case "ROLLBACK":
      return rollbackStatus === "PENDING_APPROVAL" ? "AWAITING_APPROVAL" : "ROLLING_BACK";
    case "NO_DATA":
    case "HEALTHY":
      return attention;
  }
}

/** Group by group; within one, worst level first, then by slug, so cards keep their places between refreshes. */
export function sortForOverview<T extends { group: OverviewGroup; attention: AttentionLevel; slug: string }>(
  targets: readonly T[],
): T[] {
  return [...targets].sort(
    (a, b) =>
      overviewGroups.indexOf(a.group) - overviewGroups.indexOf(b.group) ||
      attentionLevels.indexOf(a.attention) - attentionLevels.indexOf(b.attention) ||
      (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0),
  );
}

/** Whether a target's slug or name holds the search, ignoring case; an empty search matches every target. */
export function matchesSearch(target: { slug: string; name: string }, search: string): boolean {
  const wanted = search.trim().toLowerCase();
  return wanted === "" || target.slug.includes(wanted) || target.name.toLowerCase().includes(wanted);
}

export const OVERVIEW_PAGE_SIZE = 50;

/** What the overview shows: a search over slugs and names, one group or all, a page of the cards that match. */
export const overviewViewSchema = z.object({
  search: z.string().trim().max(200, "Search at most 200 characters").default(""),
  group: z.enum(overviewGroups, { error: `Choose one of ${overviewGroups.join(", ")}` }).optional(),
  page: z.number().int().min(1, "Pages start at 1").max(100_000).default(1),
});
export type OverviewView = z.input<typeof overviewViewSchema>;

/** The page a view asks for, brought within the pages there are (a filter may have shrunk them since). */
export function pageOf<T>(items: readonly T[], page: number): { items: T[]; page: number; pageCount: number } {
  const pageCount = Math.max(1, Math.ceil(items.length / OVERVIEW_PAGE_SIZE));
  const shown = Math.min(page, pageCount);
  return {
    items: items.slice((shown - 1) * OVERVIEW_PAGE_SIZE, shown * OVERVIEW_PAGE_SIZE),
    page: shown,
    pageCount,
  };
}
