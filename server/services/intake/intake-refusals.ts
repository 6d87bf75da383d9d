// What alert senders sent that Rewind could not use (an SNS topic no admin allowed, an alarm or alert naming no
// known target), kept for admins as audit events and listed on Settings → Integrations. Only senders that
// proved who they are get here (a verified SNS signature, an API key), and each thing refused is recorded at
// most once an hour, so a sender repeating itself cannot flood the audit history.
import "server-only";
import type { Db } from "../../db";
import { systemActor, appendAudit } from "../audit/audit-log";
import { retryOnConflict } from "../platform/retry";

export const REFUSAL_ACTIONS = {
  "integration.sns_topic_refused": "SNS topic not allowed",
  "integration.alarm_target_unknown": "CloudWatch alarm without a known target",
  "integration.alert_target_unknown": "Alertmanager alert naming an unknown target",
} as const;
export type RefusalAction = keyof typeof REFUSAL_ACTIONS;

const RECORD_AT_MOST_EVERY_MS = 60 * 60 * 1000;
/** Audit entity ids are short: names longer than this are cut (the reason keeps the message's words). */
const MAX_ENTITY_ID = 255;
const LISTED = 50;

export interface Refusal {
  action: RefusalAction;
  /** What was refused: `SnsTopic`, `CloudWatchAlarm`, `AlertTarget`. */
  entityType: string;
  /** Its name: the topic ARN, the alarm name, the target slug as sent. */
  entityId: string;
  reason: string;
  after?: Record<string, string | null>;
}

/** Appends the refusal to the audit history unless the same thing was refused within the hour. */
export async function recordRefusal(db: Db, refusal: Refusal, now: Date): Promise<void> {
  const entityId = refusal.entityId.slice(0, MAX_ENTITY_ID);
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const recent = await tx.auditEvent.findFirst({
        where: {
          action: refusal.action,
          entityType: refusal.entityType,
          entityId,
          at: { gt: new Date(now.getTime() - RECORD_AT_MOST_EVERY_MS) },
        },
        select: { id: true },
      });
      if (recent) return;
      await appendAudit(
        tx,
        {
          actor: systemActor,
          action: refusal.action,
          entityType: refusal.entityType,
          entityId,
          after: refusal.after ?? null,
          reason: refusal.reason.slice(0, 1_000),
        },
        now,
      );
    }),
  );
}

/** The latest refusals, newest first, for the Integrations page. */
export async function listRefusals(db: Db) {
  const events = await db.auditEvent.findMany({
    where: { action: { in: Object.keys(REFUSAL_ACTIONS) } },
    orderBy: { sequence: "desc" },
    take: LISTED,
    select: { id: true, at: true, action: true, entityType: true, entityId: true, reason: true },
  });
  return events.map((event) => ({
    ...event,
    what: REFUSAL_ACTIONS[event.action as RefusalAction] ?? event.action,
  }));
}
