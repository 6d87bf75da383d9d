// What a rollback transition says: the notification text every transition gets (with the numbers and what
// to do) and the `config.changed` announcement when traffic moves.
import "server-only";
import type { Tx } from "../../db";
import type { Policy } from "../../domain/policy";
import type { RollbackState, RollbackTransition } from "../../domain/rollback";
import { actorIdOf, type Actor } from "../audit/audit-log";
import { enqueueConfigChanged, enqueueNotification, type NotificationInput } from "../platform/outbox";
import type { RollbackRow } from "./rows";

export function formatMinutes(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

export interface NotifyContext {
  row: Pick<RollbackRow, "id" | "trigger" | "fromSnapshotId" | "toSnapshotId" | "reason" | "target">;
  result: RollbackTransition;
  versions: Map<string, number>;
  actorName: string;
  policy?: Policy;
  killSwitchesOff?: string[];
  /** A decision that asked to page a person (emergency, automatic action held back). */
  escalate?: boolean;
}

/** The notification every transition gets: what happened, with the numbers, and what to do. */
function notificationFor({ row, result, versions, actorName, policy, killSwitchesOff }: NotifyContext) {
  const { state, action } = result;
  const from = `v${versions.get(row.fromSnapshotId) ?? "?"}`;
  const to = `v${versions.get(row.toSnapshotId) ?? "?"}`;
  const label = `${row.target.name} (${row.target.slug})`;
  const subject = `Rollback of ${label}`;
  const step = `step ${state.currentStep + 1} of ${state.steps.length}: ${state.trafficPercent}% of traffic on ${to}`;
  const base = (severity: NotificationInput["severity"], title: string, body: string) => ({ severity, title, body });
  switch (action) {
    case "rollback.created":
      if (state.status === "IN_PROGRESS") {
        return base(
          "EMERGENCY",
          `Emergency rollback of ${label}`,
          `${row.reason ?? ""}\nAll traffic moved from ${from} to the known-good snapshot ${to} at once. ` +
            (killSwitchesOff && killSwitchesOff.length > 0
              ? `Kill switches turned off: ${killSwitchesOff.join(", ")}. `
              : "") +
            "Abort it in Rewind if the known-good snapshot is to blame.",
        );
      }
      if (state.status === "APPROVED") {
        return base(
          "CRITICAL",
          `Automatic rollback of ${label}`,
          `${row.reason ?? ""}\nRolling back from ${from} to the known-good snapshot ${to} in steps of ` +
            `${state.steps.join("/")}%${policy ? ` every ${formatMinutes(policy.stepIntervalSeconds)}` : ""}. ` +
            "Abort it in Rewind if it makes things worse.",
        );
      }
      return base(
        row.trigger === "MANUAL" ? "WARNING" : "CRITICAL",
        `${subject} needs approval`,
        `${row.trigger === "MANUAL" ? `${actorName} asks to roll back: ` : ""}${row.reason ?? ""}\n` +
          `Proposed: move traffic from ${from} to ${to} in steps of ${state.steps.join("/")}%. ` +
          `Needs ${state.approvalsRequired} approval${state.approvalsRequired === 2 ? "s" : ""}` +
          (policy
            ? ` within ${formatMinutes(policy.approvalTimeoutSeconds)} (until ${new Date(
                state.requestedAt.getTime() + policy.approvalTimeoutSeconds * 1000,
              ).toISOString()})`
            : "") +
          ": approve or reject it in Rewind.",
      );
    case "rollback.approval_added":
      return base(
        "INFO",
        `${subject}: ${state.approvals.length} of ${state.approvalsRequired} approvals`,
        `${actorName} approved. One more approver is needed.`,
      );
    case "rollback.approved":
      return base("INFO", `${subject} approved`, `${actorName} approved. The next monitoring cycle starts it.`);
    case "rollback.rejected":
      return base(
        "WARNING",
        `${subject} rejected`,
        `${actorName} rejected it: ${state.endReason}. ${from} stays current.`,
      );
    case "rollback.cancelled":
      return base(
        "WARNING",
        `${subject} cancelled`,
        `${actorName} cancelled it: ${state.endReason}. ${from} stays current.`,
      );
    case "rollback.expired":
      return base(
        "WARNING",
        `${subject} expired`,
        `${state.endReason}. ${from} stays current; the next breach proposes a rollback afresh.`,
      );
    case "rollback.started":
      return base("INFO", `${subject} started`, `${step}.`);
    case "rollback.step_advanced":
      return base("INFO", `${subject}: step ${state.currentStep + 1} of ${state.steps.length}`, `${step}.`);
    case "rollback.jumped_to_full":
      return base("CRITICAL", `${subject} jumped to 100%`, `All traffic is on ${to}.`);
    case "rollback.step_held":
      // Quiet: a held step is routine on thin traffic, and it escalates once it has waited too long.
      return null;
    case "rollback.advanced_after_holds":
      return base(
        "WARNING",
        `${subject}: step ${state.currentStep + 1} of ${state.steps.length} taken without a comparison`,
        `${step}. The arms never had enough traffic to compare; watch the target's SLOs.`,
      );
    case "rollback.gate_aborted":
      return base(
        "CRITICAL",
        `${subject} stopped: ${to} is worse than ${from}`,
        `All traffic is back on ${from}. ${to} is still marked known-good: check it, and unmark it or roll back ` +
          "to another snapshot, since rolling back to it again would spread the same harm.",
      );
    case "rollback.completed":
      return base(
        "RESOLVED",
        `${subject} completed`,
        `${to} is the current configuration; ${from} is marked failed. Verification now watches whether the SLOs recover.`,
      );
    case "rollback.aborted":
      return base(
        "WARNING",
        `${subject} aborted`,
        `${actorName} aborted it: ${state.endReason}. All traffic is back on ${from}.`,
      );
    case "rollback.failed":
      return base("CRITICAL", `${subject} failed`, `${state.endReason}. All traffic is back on ${from}.`);
  }
}

export async function notifyTransition(tx: Tx, context: NotifyContext, actor: Actor, now: Date): Promise<void> {
  const { row, result } = context;
  const message = notificationFor(context);
  if (!message) return;
  const escalations = result.effects.flatMap((effect) => (effect.kind === "ESCALATE" ? [effect.reason] : []));
  const escalate = escalations.length > 0 || context.escalate === true;
  await enqueueNotification(
    tx,
    {
      event: result.action === "rollback.created" ? createdEvent(result.state) : result.action,
      severity: message.severity,
      title: message.title,
      body: [message.body, ...escalations].join("\n"),
      targetId: row.target.id,
      rollbackId: row.id,
      payload: {
        trigger: row.trigger,
        status: result.state.status,
        trafficPercent: result.state.trafficPercent,
        fromSnapshotId: row.fromSnapshotId,
        toSnapshotId: row.toSnapshotId,
        actorType: actor.type,
        actorId: actorIdOf(actor),
        escalate,
      },
    },
    now,
  );
  await announceConfigChange(tx, context, now);
}

/**
 * A transition that moves traffic (a step, an emergency's 100%, an abort's 0%) or completes changes what
 * config delivery serves for the target: announced as `config.changed`.
 */
async function announceConfigChange(tx: Tx, { row, result, versions }: NotifyContext, now: Date): Promise<void> {
  const traffic = result.effects.find((effect) => effect.kind === "TRAFFIC");
  const completed = result.effects.some((effect) => effect.kind === "COMPLETED");
  if (!traffic && !completed) return;
  const from = `v${versions.get(row.fromSnapshotId) ?? "?"}`;
  const to = `v${versions.get(row.toSnapshotId) ?? "?"}`;
  const percent = result.state.trafficPercent;
  await enqueueConfigChanged(
    tx,
    {
      target: { id: row.target.id, slug: row.target.slug },
      cause: result.action === "rollback.created" ? createdEvent(result.state) : result.action,
      summary: completed
        ? `${to} is now the current configuration of ${row.target.slug}; the rollback's traffic split ended.`
        : `${row.target.slug} serves ${to} to ${percent}% of traffic and ${from} to ${100 - percent}%.`,
      details: {
        rollbackId: row.id,
        trafficPercent: percent,
        fromSnapshotId: row.fromSnapshotId,
        toSnapshotId: row.toSnapshotId,
      },
    },
    now,
  );
}

function createdEvent(state: RollbackState): string {
  if (state.status === "IN_PROGRESS") return "rollback.emergency";
  return state.status === "APPROVED" ? "rollback.automatic" : "rollback.proposed";
}
