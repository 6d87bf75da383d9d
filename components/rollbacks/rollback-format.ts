// Words and types shared by the rollback pages: outputs of the rollbacks router, durations, who acted.
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { RollbackTrigger } from "@/server/domain/rollback";
import type { RoleName } from "@/server/domain/roles";

type Outputs = inferRouterOutputs<AppRouter>["rollbacks"];
export type RollbackView = Outputs["byId"];
export type RollbackListItem = Outputs["list"]["items"][number];
export type RollbackHistorySummary = Outputs["summary"];
export type Viewer = { id: string; role: RoleName };

export const triggerLabels: Record<RollbackTrigger, string> = {
  EMERGENCY: "Emergency",
  SLO: "SLO breach",
  MANUAL: "Manual",
};

/** For counts: "3 SLO breach", "1 emergency". */
export const triggerNouns: Record<RollbackTrigger, string> = {
  EMERGENCY: "emergency",
  SLO: "SLO breach",
  MANUAL: "manual",
};

/** "0 s", "45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h": two units at most. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || Number.isNaN(ms)) return "—";
  const seconds = Math.round(Math.abs(ms) / 1000);
  const units: [number, string][] = [
    [Math.floor(seconds / 86_400), "d"],
    [Math.floor((seconds % 86_400) / 3600), "h"],
    [Math.floor((seconds % 3600) / 60), "min"],
    [seconds % 60, "s"],
  ];
  const first = units.findIndex(([value]) => value > 0);
  if (first === -1) return "0 s";
  return units
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(" ");
}

/** "a viewer", "an operator". */
export function roleWithArticle(role: RoleName): string {
  const word = role.toLowerCase();
  return `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;
}

/** A user by name (else email), an API key by its label; nobody is Rewind itself (or `fallback`). */
export function personName(
  user: { name: string; email: string | null } | null | undefined,
  fallback = "Rewind",
): string {
  return user ? user.name || user.email || fallback : fallback;
}

export function snapshotLabel(snapshot: { version: number | null }): string {
  return snapshot.version === null ? "a deleted snapshot" : `v${snapshot.version}`;
}

/** The snapshots page of the target, on the snapshot. */
export function snapshotHref(targetSlug: string, snapshotId: string): string {
  return `/snapshots?target=${encodeURIComponent(targetSlug)}&snapshot=${encodeURIComponent(snapshotId)}`;
}
