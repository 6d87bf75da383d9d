// How the incident report words things: times, durations, actors, snapshots, triggers, step outcomes and the
// audit actions of a rollback (the rollback page's timeline uses the same titles).
import { type RollbackTrigger } from "../rollback";
import { SECOND } from "./types";
import type { ReportActor, SnapshotRef } from "./types";

// ---------------------------------------------------------------------------------------------------------------
// Words.

/** "2027-05-01 03:02:10 UTC": a postmortem is read across time zones. */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "0 s", "45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h": two units at most; "—" for none. */
export function formatReportDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return "—";
  const seconds = Math.round(Math.abs(ms) / SECOND);
  const units: [number, string][] = [
    [Math.floor(seconds / 86_400), "d"],
    [Math.floor((seconds % 86_400) / 3_600), "h"],
    [Math.floor((seconds % 3_600) / 60), "min"],
    [seconds % 60, "s"],
  ];
  const first = units.findIndex(([value]) => value > 0);
  if (first === -1) return "0 s";
  const text = units
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(" ");
  return ms < 0 ? `−${text}` : text;
}

export function actorName(actor: ReportActor): string {
  switch (actor.type) {
    case "USER":
      return actor.name || actor.email || "A deleted user";
    case "API_KEY":
      return actor.name ? `API key “${actor.name}”` : "A deleted API key";
    case "COMMAND_LINE":
      return "Command line";
    case "SYSTEM":
      return "Rewind";
  }
}

export function actorDetail(actor: ReportActor): string | null {
  if (actor.type === "USER") return actor.name ? actor.email : null;
  if (actor.type === "COMMAND_LINE") return actor.via;
  if (actor.type === "SYSTEM") return "automatic";
  return null;
}

export function snapshotText(snapshot: SnapshotRef): string {
  if (snapshot.version === null) return "a deleted snapshot";
  return snapshot.label ? `v${snapshot.version} “${snapshot.label}”` : `v${snapshot.version}`;
}

export const triggerLabels: Record<RollbackTrigger, string> = {
  SLO: "SLO breach",
  EMERGENCY: "Emergency",
  MANUAL: "Manual",
};

export const verificationLabels: Record<string, string> = {
  EFFECTIVE: "Effective: the known-good snapshot's traffic was judged healthy",
  INEFFECTIVE: "Ineffective: the target still breached on the known-good snapshot",
  INCONCLUSIVE: "Inconclusive: too little traffic to judge",
  PENDING: "Pending: the verification window is still open",
};

/** Audit actions of a rollback, as the timeline names them. */
export const rollbackActionTitles: Record<string, string> = {
  "rollback.created": "Requested",
  "rollback.approval_added": "Approval added",
  "rollback.approved": "Approved",
  "rollback.rejected": "Rejected",
  "rollback.cancelled": "Cancelled",
  "rollback.started": "Started: traffic moved",
  "rollback.step_advanced": "Next step",
  "rollback.jumped_to_full": "Jumped to 100% (the step check found the current snapshot worse)",
  "rollback.step_held": "Step held: not enough traffic to compare the arms",
  "rollback.advanced_after_holds": "Next step without a comparison (held too long)",
  "rollback.gate_aborted": "Stopped: the known-good snapshot was worse; traffic back to the snapshot from before",
  "rollback.completed": "Completed",
  "rollback.aborted": "Aborted: traffic back to the snapshot from before",
  "rollback.expired": "Expired",
  "rollback.failed": "Failed",
  "rollback.verified": "Verified effective",
  "rollback.ineffective": "Verified ineffective",
  "rollback.inconclusive": "Verification inconclusive",
};

export const outcomeLabels: Record<string, string> = {
  ADVANCE: "advance",
  HOLD: "hold (too little traffic)",
  FAST_FORWARD: "jump to 100% (the current snapshot is worse)",
  ABORT: "abort (the known-good snapshot is worse)",
};

export const armLabels: Record<string, string> = {
  KNOWN_GOOD: "Known-good",
  CURRENT: "Current",
  BEFORE_STEP: "Before the step",
  SINCE_STEP: "Since the step",
};

/** A window of seconds in words: "1 min", "90 s", "2 h". */
export function windowText(seconds: number): string {
  if (seconds >= 3_600 && seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
