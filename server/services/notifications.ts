// The notification outbox: rows written in the same transaction as the change they announce. Delivery
// (Slack, outbound webhooks, retries, dead letters) reads them later, so it can never block or undo
// the change.
import type { Tx } from "../db";
import type { JsonValue } from "../domain/canonical-json";

export type NotificationSeverity = "EMERGENCY" | "CRITICAL" | "WARNING" | "RESOLVED" | "INFO";

export interface NotificationInput {
  /** rollback.proposed, rollback.completed, emergency_stop.activated, verdict.violation, … */
  event: string;
  severity: NotificationSeverity;
  title: string;
  /** Plain text with the numbers: what happened and what Rewind did or needs. */
  body: string;
  targetId?: string | null;
  rollbackId?: string | null;
  payload?: JsonValue;
}

export async function enqueueNotification(tx: Tx, input: NotificationInput, now: Date): Promise<void> {
  await tx.notification.create({
    data: {
      event: input.event,
      severity: input.severity,
      title: input.title,
      body: input.body,
      targetId: input.targetId ?? null,
      rollbackId: input.rollbackId ?? null,
      payload: input.payload ?? {},
      createdAt: now,
      nextAttemptAt: now,
    },
    select: { id: true },
  });
}
