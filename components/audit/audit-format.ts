// How an audit event reads on the audit page and in a flag's history: who acted, what they did, what changed.
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { formatRelative } from "../format";

type Outputs = inferRouterOutputs<AppRouter>;
export type AuditEventView = Outputs["audit"]["list"]["events"][number];
export type AuditFacetsView = Outputs["audit"]["facets"];

/** Who acted, as the audit page and a flag's history name them. */
export function actorLabel(
  event: Pick<AuditEventView, "actorType" | "actorId" | "actor">,
  keyNames?: ReadonlyMap<string, string>,
): { name: string; detail: string | null } {
  if (event.actorType === "SYSTEM") {
    // A command run on Rewind's host is a system act that names who ran it (`cli:alice@host`).
    const via = event.actorId?.startsWith("cli:") ? event.actorId.slice("cli:".length) : null;
    return via ? { name: "Command line", detail: via } : { name: "Rewind", detail: "automatic" };
  }
  if (event.actorType === "API_KEY") {
    // The server names a key that still exists ("API key “deploy-bot”"); a revoked one may live on in the facets.
    if (event.actor) return { name: event.actor.name, detail: null };
    const name = event.actorId ? keyNames?.get(event.actorId) : undefined;
    return { name: name ? `API key “${name}”` : "API key", detail: name ? null : event.actorId };
  }
  if (event.actor) return { name: event.actor.name, detail: event.actor.email };
  return { name: "Unknown user", detail: event.actorId };
}

const actionTexts: Record<string, string> = {
  "flag.created": "created the flag",
  "flag.updated": "edited the flag",
  "flag.enabled": "turned the flag on",
  "flag.disabled": "turned the flag off",
  "flag.kill_switch_off": "turned the kill switch off (emergency stop)",
  "flag.percent_changed": "changed the flag's rollout percentage",
  "flag_reenablement.started": "started re-enabling kill switches",
  "flag_reenablement.advanced": "advanced the kill-switch re-enablement",
  "flag_reenablement.held": "held the kill-switch re-enablement (too little traffic)",
  "flag_reenablement.completed": "completed the kill-switch re-enablement",
  "flag_reenablement.reverted": "turned the kill switches off again (regression)",
  "flag_reenablement.cancelled": "cancelled the kill-switch re-enablement",
  "emergency_stop.activated": "activated the emergency stop",
  "emergency_stop.lifted": "lifted the emergency stop",
  "monitoring.paused": "paused monitoring",
  "monitoring.resumed": "resumed monitoring",
  "audit.checkpoint_created": "signed an audit checkpoint",
};

/** A short sentence for known actions ("turned the flag on"), else the action code itself. */
export function actionText(action: string): string {
  return actionTexts[action] ?? action;
}

type Json = AuditEventView["before"];

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: Json | undefined): string {
  if (value === undefined || value === null) return "—";
  if (typeof value === "string") return value === "" ? "(empty)" : `“${value}”`;
  if (typeof value === "boolean") return value ? "on" : "off";
  return JSON.stringify(value);
}

/** "description: “a” → “b”" for each field an update changed; empty when before/after are not flat objects. */
export function changedFieldTexts(event: Pick<AuditEventView, "before" | "after">): string[] {
  const before = isObject(event.before) ? event.before : {};
  const after = isObject(event.after) ? event.after : {};
  if (!isObject(event.before) && !isObject(event.after)) return [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map((key) =>
      key in before ? `${key}: ${show(before[key])} → ${show(after[key])}` : `${key}: ${show(after[key])}`,
    );
}

/** Before, after and reason as indented JSON, for an event's expanded details. */
export function detailsJson(event: Pick<AuditEventView, "before" | "after" | "reason">): string {
  return JSON.stringify({ before: event.before, after: event.after, reason: event.reason }, null, 2);
}

/** "3 min ago"; "just now" for the last few seconds, and for a server clock slightly ahead of this browser's. */
export function timeAgo(date: Date, now: Date = new Date()): string {
  return date.getTime() > now.getTime() - 5_000 ? "just now" : formatRelative(date, now);
}
