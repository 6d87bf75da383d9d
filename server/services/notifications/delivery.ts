// Delivers the notification outbox: one delivery per notification and channel (Slack, each matching
// webhook endpoint), each retried on its own with exponential backoff, then a dead letter that admins see
// and can retry. It runs after each monitoring cycle, under the cycle's lease, so one instance delivers at
// a time; an outage of a channel delays its messages but never blocks or fails a rollback.
import { z } from "zod";
import type { Db, Prisma } from "../../db";
import { AppError } from "../../domain/errors";
import { webhookBody, webhookHeaders } from "../../domain/webhook-requests";
import { eventMatches, slackReceives } from "../../domain/webhooks";
import { apiKeyEncryptionKey, env } from "../../env.js";
import { appendAudit, type Actor } from "../audit/audit-log";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";
import { post, webhookSecretOf, type OutboundRequest, type Send } from "./webhook-endpoints";

export const MAX_DELIVERY_ATTEMPTS = 8;
/** Deliveries queued longer than this are given up (no flood of stale alerts once a channel recovers). */
const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
const SLACK_SETTING = "slack.webhookUrl";
/** Notifications dispatched per round, and deliveries sent per channel per run. */
const BATCH = 50;
const MAX_DISPATCH_ROUNDS = 10;

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

export async function slackWebhookUrl(db: Db): Promise<string | null> {
  const setting = await db.setting.findUnique({ where: { key: SLACK_SETTING }, select: { value: true } });
  return setting?.value ?? env.SLACK_WEBHOOK_URL ?? null;
}

function appUrl(): string {
  return (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, "");
}

export interface DeliverySummary {
  /** Notifications given their delivery rows in this run. */
  dispatched: number;
  delivered: number;
  retried: number;
  dead: number;
}

type Channel = "SLACK" | "WEBHOOK";

/**
 * Gives each notification not dispatched yet one delivery row per channel configured now: Slack (when a URL
 * is set and the event is one Slack gets), and every enabled endpoint whose patterns match. A channel added
 * later does not receive what was dispatched before it. Each row is claimed by a compare-and-set on
 * `dispatchedAt`, so a notification is never dispatched twice.
 */
async function dispatch(db: Db, now: Date, slackConfigured: boolean): Promise<number> {
  let dispatched = 0;
  for (let round = 0; round < MAX_DISPATCH_ROUNDS; round++) {
    const waiting = await db.notification.findMany({
      where: { dispatchedAt: null },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take: BATCH,
      select: { id: true, event: true, createdAt: true },
    });
    if (waiting.length === 0) break;
    const endpoints = (
      await db.webhookEndpoint.findMany({ where: { enabled: true }, select: { id: true, events: true } })
    ).map((endpoint) => ({ id: endpoint.id, patterns: endpoint.events.split(",") }));
    dispatched += await retryOnConflict(() =>
      db.$transaction(async (tx) => {
        let claimed = 0;
        for (const notification of waiting) {
          const { count } = await tx.notification.updateMany({
            where: { id: notification.id, dispatchedAt: null },
            data: { dispatchedAt: now },
          });
          if (count === 0) continue;
          claimed += 1;
          const channels: { channel: Channel; endpointId: string | null }[] = [
            ...(slackConfigured && slackReceives(notification.event)
              ? [{ channel: "SLACK" as const, endpointId: null }]
              : []),
            ...endpoints
              .filter((endpoint) => eventMatches(endpoint.patterns, notification.event))
              .map((endpoint) => ({ channel: "WEBHOOK" as const, endpointId: endpoint.id })),
          ];
          if (channels.length === 0) continue;
          await tx.notificationDelivery.createMany({
            data: channels.map((channel) => ({
              ...channel,
              notificationId: notification.id,
              nextAttemptAt: now,
              queuedAt: notification.createdAt,
              createdAt: now,
            })),
          });
        }
        return claimed;
      }),
    );
    if (waiting.length < BATCH) break;
  }
  return dispatched;
}

const deliverySelect = {
  id: true,
  attempts: true,
  notification: {
    select: {
      id: true,
      event: true,
      severity: true,
      title: true,
      body: true,
      targetId: true,
      rollbackId: true,
      payload: true,
      createdAt: true,
    },
  },
} satisfies Prisma.NotificationDeliverySelect;
type DueDelivery = Prisma.NotificationDeliveryGetPayload<{ select: typeof deliverySelect }>;

/** The due deliveries of one channel (Slack, or one endpoint), in the order their notifications happened. */
function dueDeliveries(db: Db, where: Prisma.NotificationDeliveryWhereInput, now: Date): Promise<DueDelivery[]> {
  return db.notificationDelivery.findMany({
    where: { ...where, status: "PENDING", nextAttemptAt: { lte: now } },
    orderBy: [{ notification: { createdAt: "asc" } }, { id: "asc" }],
    take: BATCH,
    select: deliverySelect,
  });
}

/**
 * Sends one channel's due deliveries in order. The first failure ends the channel's turn: it is retried
 * after its backoff and the rest wait, so an endpoint that is down costs one timeout per run, not one per
 * queued message, and never delays the other channels.
 */
async function deliverChannel(
  db: Db,
  deliveries: DueDelivery[],
  request: (delivery: DueDelivery) => OutboundRequest,
  options: { now: Date; send: Send; summary: DeliverySummary },
): Promise<void> {
  const { now, send, summary } = options;
  for (const delivery of deliveries) {
    const attempts = delivery.attempts + 1;
    try {
      await send(request(delivery));
      await db.notificationDelivery.updateMany({
        where: { id: delivery.id },
        data: { status: "DELIVERED", attempts, deliveredAt: now, lastAttemptAt: now, lastError: null },
      });
      summary.delivered += 1;
    } catch (error) {
      const dead = attempts >= MAX_DELIVERY_ATTEMPTS;
      await db.notificationDelivery.updateMany({
        where: { id: delivery.id },
        data: {
          status: dead ? "DEAD" : "PENDING",
          attempts,
          nextAttemptAt: new Date(now.getTime() + backoffMs(attempts)),
          lastAttemptAt: now,
          lastError: (error instanceof Error ? error.message : String(error)).slice(0, 500),
        },
      });
      if (dead) summary.dead += 1;
      else summary.retried += 1;
      return;
    }
  }
}

/**
 * Dispatches new notifications to their channels, gives up deliveries queued for a day, then sends what is
 * due: Slack and each enabled endpoint side by side, each channel retrying on its own.
 */
export async function deliverNotifications(
  db: Db,
  options: { now: Date; send?: Send; encryptionKey?: Buffer },
): Promise<DeliverySummary> {
  const { now } = options;
  const send = options.send ?? post;
  const encryptionKey = () => options.encryptionKey ?? apiKeyEncryptionKey();
  const summary: DeliverySummary = { dispatched: 0, delivered: 0, retried: 0, dead: 0 };
  const slackUrl = await slackWebhookUrl(db);
  summary.dispatched = await dispatch(db, now, slackUrl !== null);
  const stale = await db.notificationDelivery.updateMany({
    where: { status: "PENDING", queuedAt: { lt: new Date(now.getTime() - GIVE_UP_AFTER_MS) } },
    data: { status: "DEAD", lastError: "Not delivered within 24 hours" },
  });
  summary.dead += stale.count;

  const endpoints = await db.webhookEndpoint.findMany({
    where: { enabled: true },
    select: { id: true, name: true, url: true, signingSecretEncrypted: true },
  });
  const channels: Promise<void>[] = endpoints.map(async (endpoint) =>
    deliverChannel(
      db,
      await dueDeliveries(db, { channel: "WEBHOOK", endpointId: endpoint.id }, now),
      ({ id, notification }) => {
        const rawBody = webhookBody(notification);
        // Decrypted per attempt inside the try: an unreadable secret is this delivery's error, not the run's.
        const secret = webhookSecretOf(endpoint, encryptionKey());
        return {
          url: endpoint.url,
          body: rawBody,
          headers: webhookHeaders({ secret, rawBody, event: notification.event, deliveryId: id, now }),
        };
      },
      { now, send, summary },
    ),
  );
  // Without a Slack URL, Slack deliveries wait (until the URL is set again, or they are given up).
  if (slackUrl) {
    channels.push(
      (async () =>
        deliverChannel(
          db,
          await dueDeliveries(db, { channel: "SLACK" }, now),
          ({ notification }) => ({
            url: slackUrl,
            body: JSON.stringify(slackMessage(notification, appUrl())),
            headers: { "Content-Type": "application/json" },
          }),
          { now, send, summary },
        ))(),
    );
  }
  await Promise.all(channels);
  return summary;
}

/** Deliveries given up, newest notification first, with their channel and why the last attempt failed. */
export async function listDeadLetters(db: Db) {
  const rows = await db.notificationDelivery.findMany({
    where: { status: "DEAD" },
    orderBy: [{ notification: { createdAt: "desc" } }, { id: "asc" }],
    take: 100,
    select: {
      id: true,
      channel: true,
      attempts: true,
      lastError: true,
      lastAttemptAt: true,
      endpoint: { select: { id: true, name: true } },
      notification: { select: { id: true, event: true, severity: true, title: true, createdAt: true } },
    },
  });
  return rows.map(({ notification, ...delivery }) => ({
    ...delivery,
    channel: delivery.channel as Channel,
    notificationId: notification.id,
    event: notification.event,
    severity: notification.severity,
    title: notification.title,
    createdAt: notification.createdAt,
  }));
}

const idSchema = z.object({ id: z.string().min(1, "Delivery is required") });

/**
 * One dead delivery back to the queue with fresh attempts, on its channel only; queued now, so the
 * 24 h give-up clock restarts too.
 */
export async function retryDeadLetter(db: Db, input: { actor: Actor; id: string }, now: Date): Promise<void> {
  const { id } = parseInput(idSchema, input);
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const delivery = await tx.notificationDelivery.findUnique({
        where: { id },
        select: { status: true, channel: true, notificationId: true, endpointId: true },
      });
      if (delivery?.status !== "DEAD") throw new AppError("NOT_FOUND", "No such dead letter");
      await tx.notificationDelivery.update({
        where: { id },
        data: { status: "PENDING", attempts: 0, nextAttemptAt: now, queuedAt: now, lastError: null },
      });
      await appendAudit(
        tx,
        {
          actor: input.actor,
          action: "notification.retried",
          entityType: "NotificationDelivery",
          entityId: id,
          after: {
            channel: delivery.channel,
            notificationId: delivery.notificationId,
            endpointId: delivery.endpointId,
          },
        },
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
  const [pending, dead, webhooks] = await Promise.all([
    db.notificationDelivery.count({ where: { status: "PENDING" } }),
    db.notificationDelivery.count({ where: { status: "DEAD" } }),
    db.webhookEndpoint.count(),
  ]);
  return { slackConfigured: url !== null, slackHost: url ? new URL(url).host : null, pending, dead, webhooks };
}

/** Sends a test message right away; the error says why it failed. */
export async function sendTestMessage(db: Db, options: { send?: Send } = {}): Promise<void> {
  const url = await slackWebhookUrl(db);
  if (!url) throw new AppError("PRECONDITION_FAILED", "No Slack webhook URL is set");
  try {
    await (options.send ?? post)({
      url,
      body: JSON.stringify(
        slackMessage(
          {
            title: "Test message from Rewind",
            body: "Notifications reach this channel.",
            severity: "INFO",
            rollbackId: null,
          },
          appUrl(),
        ),
      ),
      headers: { "Content-Type": "application/json" },
    });
  } catch (error) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `Slack did not accept the test message: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
