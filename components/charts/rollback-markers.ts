// Rollbacks as chart markers: each moment of a rollback's timeline that changed what was served or says how it
// went (requested, every traffic step, completion or end, verification) as a labelled line, moments that coincide (an emergency is requested and moves
// all traffic in one go) merged into one; or, on a wide chart, one marker per rollback.
import type { RollbackStatus, RollbackTrigger } from "@/server/domain/rollback";
import type { TimelineEvent } from "@/server/domain/rollback-timeline";
import type { ChartMarker } from "./chart-types";

export interface MarkedRollback {
  id: string;
  trigger: RollbackTrigger;
  status: RollbackStatus;
  requestedAt: Date;
  events: readonly TimelineEvent[];
}

const endingLabels: Record<NonNullable<TimelineEvent["ending"]>, string> = {
  ABORTED: "Aborted",
  CANCELLED: "Cancelled",
  REJECTED: "Rejected",
  EXPIRED: "Expired",
  FAILED: "Failed",
};

const verificationLabels: Record<string, string> = {
  EFFECTIVE: "Verified",
  INEFFECTIVE: "Ineffective",
  INCONCLUSIVE: "Inconclusive",
};

/** "Requested", "Step 50%", "Completed", "Verified"… */
export function eventLabel(event: TimelineEvent): string {
  switch (event.kind) {
    case "REQUESTED":
      return "Requested";
    case "APPROVED":
      return "Approved";
    case "STEP":
      return `Step ${event.trafficPercent ?? 100}%`;
    case "COMPLETED":
      return "Completed";
    case "ENDED":
      return endingLabels[event.ending ?? "CANCELLED"];
    case "VERIFIED":
      return verificationLabels[event.verification ?? ""] ?? "Verified";
  }
}

function eventTone(event: TimelineEvent): NonNullable<ChartMarker["tone"]> {
  if (event.kind === "VERIFIED") {
    return event.verification === "EFFECTIVE" ? "good" : event.verification === "INEFFECTIVE" ? "bad" : "neutral";
  }
  if (event.kind === "ENDED" && event.ending === "FAILED") return "bad";
  return event.kind === "STEP" ? "step" : "neutral";
}

/** Which labels win room first: the rollback's bounds and outcome, then its steps, then its approval. */
const rank: Record<TimelineEvent["kind"], number> = {
  REQUESTED: 0,
  COMPLETED: 1,
  ENDED: 1,
  VERIFIED: 2,
  STEP: 3,
  APPROVED: 4,
};
const toneRank: Record<NonNullable<ChartMarker["tone"]>, number> = { bad: 3, good: 2, neutral: 1, step: 0 };

/** Events closer than this are one moment on any chart. */
const SAME_MOMENT_MS = 1_000;

/** Events closer than SAME_MOMENT_MS, oldest first. */
function moments(events: readonly TimelineEvent[]): TimelineEvent[][] {
  const grouped: TimelineEvent[][] = [];
  for (const event of [...events].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    const last = grouped.at(-1);
    const first = last?.[0];
    if (last && first && event.at.getTime() - first.at.getTime() < SAME_MOMENT_MS) last.push(event);
    else grouped.push([event]);
  }
  return grouped;
}

/**
 * One marker per moment of a rollback's timeline, most important first. Approvals are left to the words
 * (timelineSentence): they change nothing served, and a chart has little room around the first step.
 */
export function timelineMarkers(rollback: MarkedRollback): ChartMarker[] {
  const href = `/rollbacks/${rollback.id}`;
  return moments(rollback.events.filter((event) => event.kind !== "APPROVED"))
    .map((events) => ({
      marker: {
        at: events[0]!.at,
        label: events.map(eventLabel).join(" · "),
        href,
        tone: events.map(eventTone).reduce((worst, tone) => (toneRank[tone] > toneRank[worst] ? tone : worst)),
      } satisfies ChartMarker,
      rank: Math.min(...events.map((event) => rank[event.kind])),
    }))
    .sort((a, b) => a.rank - b.rank || a.marker.at.getTime() - b.marker.at.getTime())
    .map(({ marker }) => marker);
}

/**
 * Markers for the rollbacks on a chart, most important first: every moment of each rollback's timeline when
 * `detailed` (a chart of a few hours), else one per rollback at its request, labelled by `summaryLabel`. The
 * rollback given as `focus` (the incident zoomed on) comes first, then the others in the order given.
 */
export function rollbackMarkers(
  rollbacks: readonly MarkedRollback[],
  {
    detailed,
    focus,
    summaryLabel,
  }: { detailed: boolean; focus?: string | null; summaryLabel: (rollback: MarkedRollback) => string },
): ChartMarker[] {
  const ordered = [...rollbacks].sort((a, b) => Number(b.id === focus) - Number(a.id === focus));
  if (!detailed) {
    return ordered.map((rollback) => ({
      at: rollback.requestedAt,
      label: summaryLabel(rollback),
      href: `/rollbacks/${rollback.id}`,
    }));
  }
  return ordered.flatMap(timelineMarkers);
}

/** The whole timeline in words, for the incident banner: "Requested · Step 100% 03:02, Completed 03:03, …". */
export function timelineSentence(rollback: MarkedRollback, formatTime: (date: Date) => string): string {
  return moments(rollback.events)
    .map((events) => `${events.map(eventLabel).join(" · ")} ${formatTime(events[0]!.at)}`)
    .join(", ");
}
