// How a verdict or rollback status looks, the same on every page.
import type { VerdictStatus } from "@/server/domain/evaluation";
import type { RollbackStatus } from "@/server/domain/rollback";
import { Badge, type StatusTone } from "./ui";

type VerdictLike = { status: VerdictStatus; severity?: "CRITICAL" | "EMERGENCY" } | null | undefined;

export function verdictTone(verdict: VerdictLike): StatusTone {
  if (!verdict) return "neutral";
  switch (verdict.status) {
    case "HEALTHY":
      return "good";
    case "VIOLATION":
      return "warning";
    case "BREACH":
      return verdict.severity === "EMERGENCY" ? "critical" : "bad";
    case "INSUFFICIENT_DATA":
      return "neutral";
  }
}

export function verdictLabel(verdict: VerdictLike): string {
  if (!verdict) return "Not evaluated";
  switch (verdict.status) {
    case "HEALTHY":
      return "Healthy";
    case "VIOLATION":
      return "Violation";
    case "BREACH":
      return verdict.severity === "EMERGENCY" ? "Emergency" : "Breach";
    case "INSUFFICIENT_DATA":
      return "Not enough data";
  }
}

/** Worst first: used to sort targets on the overview. */
export function verdictRank(verdict: VerdictLike): number {
  return { critical: 0, bad: 1, warning: 2, neutral: 3, info: 3, good: 4 }[verdictTone(verdict)];
}

export function VerdictBadge({ verdict }: { verdict: VerdictLike }) {
  return <Badge tone={verdictTone(verdict)}>{verdictLabel(verdict)}</Badge>;
}

const rollbackTones: Record<RollbackStatus, StatusTone> = {
  PENDING_APPROVAL: "warning",
  APPROVED: "info",
  IN_PROGRESS: "info",
  COMPLETED: "good",
  REJECTED: "neutral",
  CANCELLED: "neutral",
  EXPIRED: "neutral",
  FAILED: "bad",
};

export function rollbackStatusLabel(status: RollbackStatus): string {
  const text = status.toLowerCase().replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function RollbackStatusBadge({ status }: { status: RollbackStatus }) {
  return <Badge tone={rollbackTones[status]}>{rollbackStatusLabel(status)}</Badge>;
}
