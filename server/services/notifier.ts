// Delivers the notification outbox to Slack, with retries and exponential backoff, then a dead-letter
// status that admins see and can retry. It runs after each monitoring cycle, under the cycle's lease, so
// one instance delivers at a time; a Slack outage delays messages but never blocks or fails a rollback.
import { z } from "zod";
import type { Db } from "../db";
import { AppError } from "../domain/errors";
import { env } from "../env.js";
import { appendAudit, type Actor } from "./audit";
import { retryOnConflict } from "./retry";
import { parseInput } from "./validation";

export const MAX_DELIVERY_ATTEMPTS = 8;
/** Undelivered notifications older than this are given up (no flood of stale alerts once Slack is set). */
const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
const SLACK_SETTING = "slack.webhookUrl";
const BATCH = 50;

/** 5 s, 10 s, 20 s, … capped at 15 minutes. */
export function backoffMs(attempts: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 15 * 60_000);
}

const emoji: Record<string, string> = { EMERGENCY: "🚨", CRITICAL: "🔴", WARNING: "🟠", RESOLVED: "✅", INFO: "ℹ️" };

type OutboxRow = { title: string; body: string; severity: string; rollbackId: string | null };

/** Block Kit: the severity emoji and title, the numbers, and a link back to the dashboard. */
export function slackMessage(notification: OutboxRow, appUrl: string) {
  const link = notification.rollbackId ? `${appUrl}/rollbacks/${notification.rollbackId}` : appUrl;
  const heading = `${emoji[notification.severity] ?? "ℹ️"} ${notification.title}`;
  return {
    text: heading,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${heading}*\n${notification.body}` } },
      { type: "context", elements: [{ type: "mrkdwn", text: `<${link}|Open in Rewind>` }] },
    ],
  };
}

export type Send = (url: string, body: unknown) => Promise<void>;

/** POST JSON with a 5 s timeout; anything but 2xx is a failure. */
export const sendJson: Send = async (url, body) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status} from the webhook`);
};

export async function slackWebhookUrl(db: Db): Promise<string | null> {
  const setting = await db.setting.findUnique({ where: { key: SLACK_SETTING }, select: { value: true } });
  return setting?.value ?? env.SLACK_WEBHOOK_URL ?? null;
}

function appUrl(): string {
  return (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, "");
}

export interface DeliverySummary {
  delivered: number;
  retried: number;
  dead: number;
}

/** Sends what is due, oldest first; without a Slack URL nothing is sent and nothing is counted. */
export async function deliverNotifications(db: Db, options: { now: Date; send?: Send }): Promise<DeliverySummary> {
  const { now } = options;
  const send = options.send ?? sendJson;
  const summary: DeliverySummary = { delivered: 0, retried: 0, dead: 0 };
  const stale = await db.notification.updateMany({
    where: { status: "PENDING", createdAt: { lt: new Date(now.getTime() - GIVE_UP_AFTER_MS) } },
    data: { status: "DEAD", lastError: "Not delivered within 24 hours" },
  });
  summary.dead += stale.count;
  const url = await slackWebhookUrl(db);
  if (!url) return summary;
  const due = await db.notification.findMany({
    where: { status: "PENDING", nextAttemptAt: { lte: now } },
    orderBy: { createdAt: "asc" },
    take: BATCH,
    select: { id: true, title: true, body: true, severity: true, rollbackId: true, attempts: true },
  });
  for (const notification of due) {
    const attempts = notification.attempts + 1;
    try {
      await send(url, slackMessage(notification, appUrl()));
      await db.notification.update({
        where: { id: notification.id },
        data: { status: "DELIVERED", attempts, deliveredAt: now, lastError: null },
      });
      summary.delivered += 1;
    } catch (error) {
      const dead = attempts >= MAX_DELIVERY_ATTEMPTS;
      await db.notification.update({
        where: { id: notification.id },
        data: {
          status: dead ? "DEAD" : "PENDING",
          attempts,
          nextAttemptAt: new Date(now.getTime() + backoffMs(attempts)),
          lastError: (error instanceof Error ? error.message : String(error)).slice(0, 500),
        },
      });
      if (dead) summary.dead += 1;
      else summary.retried += 1;
    }
  }
  return summary;
}

export function listDeadLetters(db: Db) {
  return db.notification.findMany({
    where: { status: "DEAD" },
    orderBy: { createdAt: "desc" },
    take: 100,
    select: { id: true, event: true, severity: true, title: true, attempts: true, lastError: true, createdAt: true },
  });
}

const idSchema = z.object({ id: z.string().min(1, "Notification is required") });

/** Back to the queue with fresh attempts; recreated now, so the 24 h give-up clock restarts too. */
export async function retryDeadLetter(db: Db, input: { actor: Actor; id: string }, now: Date): Promise<void> {
  const { id } = parseInput(idSchema, input);
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const { count } = await tx.notification.updateMany({
        where: { id, status: "DEAD" },
        data: { status: "PENDING", attempts: 0, nextAttemptAt: now, createdAt: now, lastError: null },
      });
      if (count === 0) throw new AppError("NOT_FOUND", "No such dead letter");
      await appendAudit(
        tx,
        { actor: input.actor, action: "notification.retried", entityType: "Notification", entityId: id },
        now,
      );
    }),
  );
}

const slackUrlSchema = z.object({
  url: z
    .url({ message: "Enter the Slack incoming webhook URL (https://hooks.slack.com/services/…)" })
    .refine((url) => url.startsWith("https://"), { message: "The webhook URL must use https" })
    .nullable(),
});

/** Saves (or with null clears) the Slack webhook URL; the URL itself is a secret and is not audited. */
export async function setSlackWebhook(db: Db, input: { actor: Actor; url: string | null }, now: Date): Promise<void> {
  const { url } = parseInput(slackUrlSchema, input);
  const actorId = input.actor.type === "SYSTEM" ? null : input.actor.id;
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      if (url) {
        await tx.setting.upsert({
          where: { key: SLACK_SETTING },
          create: { key: SLACK_SETTING, value: url, updatedById: actorId },
          update: { value: url, updatedById: actorId },
        });
      } else {
        await tx.setting.deleteMany({ where: { key: SLACK_SETTING } });
      }
      await appendAudit(
        tx,
        {
          actor: input.actor,
          action: url ? "settings.slack_webhook_set" : "settings.slack_webhook_cleared",
          entityType: "Setting",
          entityId: SLACK_SETTING,
        },
        now,
      );
    }),
  );
}

/** Where notifications go, for the settings page: never the URL (it is a credential), only its host. */
export async function notificationSettings(db: Db) {
  const url = await slackWebhookUrl(db);
  const [pending, dead] = await Promise.all([
    db.notification.count({ where: { status: "PENDING" } }),
    db.notification.count({ where: { status: "DEAD" } }),
  ]);
  return { slackConfigured: url !== null, slackHost: url ? new URL(url).host : null, pending, dead };
}

/** Sends a test message right away; the error says why it failed. */
export async function sendTestMessage(db: Db, options: { send?: Send } = {}): Promise<void> {
  const url = await slackWebhookUrl(db);
  if (!url) throw new AppError("PRECONDITION_FAILED", "No Slack webhook URL is set");
  try {
    await (options.send ?? sendJson)(
      url,
      slackMessage(
        {
          title: "Test message from Rewind",
          body: "Notifications reach this channel.",
          severity: "INFO",
          rollbackId: null,
        },
        appUrl(),
      ),
    );
  } catch (error) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `Slack did not accept the test message: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
