// The notification outbox: rows written in the same transaction as the change they announce. Delivery
// (notifications/: the channels of channels/registry.ts, retries, dead letters) reads them later, so it can never
// block or undo the change. A platform primitive: every capability that announces a change writes here, audit/
// (checkpoints) included, which sits below notifications/.
import "server-only";
import type { Tx } from "../../db";
import type { JsonValue } from "../../domain/canonical-json";

export type NotificationSeverity = "EMERGENCY" | "CRITICAL" | "WARNING" | "RESOLVED" | "INFO";

export interface NotificationInput {
  /** rollback.proposed, rollback.completed, emergency_stop.activated, verdict.violation, config.changed, audit.checkpoint, … */
  event: string;
  severity: NotificationSeverity;
  title: string;
  /** Plain text with the numbers: what happened and what Rewind did or needs. */
  body: string;
  targetId?: string | null;
  rollbackId?: string | null;
  payload?: JsonValue;
}

/** Returns the notification's id. */
export async function enqueueNotification(tx: Tx, input: NotificationInput, now: Date): Promise<string> {
  const { id } = await tx.notification.create({
    data: {
      event: input.event,
      severity: input.severity,
      title: input.title,
      body: input.body,
      targetId: input.targetId ?? null,
      rollbackId: input.rollbackId ?? null,
      payload: input.payload ?? {},
      createdAt: now,
    },
    select: { id: true },
  });
  return id;
}

export interface ConfigChange {
  /** The target whose effective configuration changed; null for a global flag (every target's). */
  target: { id: string; slug: string } | null;
  /** The change behind it: snapshot.published, rollback.step_advanced, flag.enabled, … */
  cause: string;
  /** One sentence: what changed. */
  summary: string;
  details?: { [key: string]: JsonValue };
}

/**
 * `config.changed`: what `GET /api/v1/targets/{slug}/config` serves for the target has changed, so an
 * orchestrator listening on a webhook can re-read it at once instead of waiting for its next poll.
 * Enqueued by every change of a snapshot made current, of a rollback's traffic split and of a flag.
 */
export async function enqueueConfigChanged(tx: Tx, change: ConfigChange, now: Date): Promise<void> {
  await enqueueNotification(
    tx,
    {
      event: "config.changed",
      severity: "INFO",
      title: change.target
        ? `${change.target.slug}: effective configuration changed`
        : "Effective configuration of every target changed",
      body: change.summary,
      targetId: change.target?.id ?? null,
      rollbackId: typeof change.details?.rollbackId === "string" ? change.details.rollbackId : null,
      payload: { target: change.target?.slug ?? null, cause: change.cause, ...change.details },
    },
    now,
  );
}
