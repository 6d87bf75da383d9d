// Delivers the notification outbox: one delivery per notification and channel lane (Slack, PagerDuty, each
// matching webhook endpoint: channels/registry.ts), each retried on its own with exponential backoff, then a
// dead letter that admins see and can retry. It runs after each monitoring cycle, under the cycle's lease,
// so one instance delivers at a time; an outage of a channel delays its messages but never blocks or fails
// a rollback.
import "server-only";
import { z } from "zod";
import type { Db, Prisma } from "../../db";
import { AppError } from "../../domain/errors";
import { apiKeyEncryptionKey } from "../../env.js";
import { appendAudit, type Actor } from "../audit/audit-log";
import { log } from "../platform/log";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";
import { appUrl } from "./app-url";
import { PermanentDeliveryError, type Send } from "./channels/http";
import { channelById, channelList } from "./channels/registry";
import type { ChannelContext, ChannelLane, NotificationChannel } from "./channels/types";

export const MAX_DELIVERY_ATTEMPTS = 8;
/** Deliveries queued longer than this are given up (no flood of stale alerts once a channel recovers). */
const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
/** Notifications dispatched per round, and deliveries sent per lane per run. */
const BATCH = 50;
const MAX_DISPATCH_ROUNDS = 10;

/** 5 s, 10 s, 20 s, … capped at 15 minutes. */
export function backoffMs(attempts: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 15 * 60_000);
}

export interface DeliverySummary {
  /** Notifications given their delivery rows in this run. */
  dispatched: number;
  delivered: number;
  retried: number;
  dead: number;
}

interface Lane extends ChannelLane {
  channel: NotificationChannel;
}

/**
 * Gives each notification not dispatched yet one delivery row per lane configured now that takes it. A
 * channel added later does not receive what was dispatched before it. Each row is claimed by a
 * compare-and-set on `dispatchedAt`, so a notification is never dispatched twice.
 */
async function dispatch(db: Db, now: Date, lanes: Lane[]): Promise<number> {
  let dispatched = 0;
  for (let round = 0; round < MAX_DISPATCH_ROUNDS; round++) {
    const waiting = await db.notification.findMany({
      where: { dispatchedAt: null },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take: BATCH,
      select: { id: true, event: true, severity: true, createdAt: true },
    });
    if (waiting.length === 0) break;
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
          const receiving = lanes.filter((lane) => lane.receives(notification));
          if (receiving.length === 0) continue;
          await tx.notificationDelivery.createMany({
            data: receiving.map((lane) => ({
              channel: lane.channel.id,
              endpointId: lane.endpointId,
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

/** The due deliveries of one lane, in the order their notifications happened. */
function dueDeliveries(db: Db, lane: Lane, now: Date): Promise<DueDelivery[]> {
  return db.notificationDelivery.findMany({
    where: {
      channel: lane.channel.id,
      endpointId: lane.endpointId,
      status: "PENDING",
      nextAttemptAt: { lte: now },
    },
    orderBy: [{ notification: { createdAt: "asc" } }, { id: "asc" }],
    take: BATCH,
    select: deliverySelect,
  });
}

/**
 * Sends one lane's due deliveries in order. The first failure ends the lane's turn: it is retried after
 * its backoff and the rest wait, so a destination that is down costs one timeout per run, not one per
 * queued message, and never delays the other lanes. A failure the service calls permanent (an invalid
 * request) is a dead letter at once, and the lane goes on.
 */
async function deliverLane(
  db: Db,
  lane: Lane,
  options: { now: Date; send: Send; summary: DeliverySummary },
): Promise<void> {
  const { now, send, summary } = options;
  for (const delivery of await dueDeliveries(db, lane, now)) {
    const attempts = delivery.attempts + 1;
    try {
      await send(await lane.request(delivery.notification, delivery.id));
      await db.notificationDelivery.updateMany({
        where: { id: delivery.id },
        data: { status: "DELIVERED", attempts, deliveredAt: now, lastAttemptAt: now, lastError: null },
      });
      summary.delivered += 1;
    } catch (error) {
      const permanent = error instanceof PermanentDeliveryError;
      const dead = permanent || attempts >= MAX_DELIVERY_ATTEMPTS;
      const lastError = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      const nextAttemptAt = new Date(now.getTime() + backoffMs(attempts));
      await db.notificationDelivery.updateMany({
        where: { id: delivery.id },
        data: { status: dead ? "DEAD" : "PENDING", attempts, nextAttemptAt, lastAttemptAt: now, lastError },
      });
      const { notification } = delivery;
      // The lane's channel and endpoint id, never its URL or key; the error's text is what admins see as lastError.
      log.at(dead ? "error" : "warn", dead ? "notification.dead_lettered" : "notification.failed", {
        channel: lane.channel.id,
        ...(lane.endpointId && { endpointId: lane.endpointId }),
        deliveryId: delivery.id,
        notificationId: notification.id,
        event: notification.event,
        ...(notification.targetId && { targetId: notification.targetId }),
        ...(notification.rollbackId && { rollbackId: notification.rollbackId }),
        attempts,
        message: lastError,
        ...(dead ? { permanent } : { nextAttemptAt }),
      });
      if (dead) summary.dead += 1;
      else summary.retried += 1;
      if (!permanent) return;
    }
  }
}

/**
 * Dispatches new notifications to their lanes, gives up deliveries queued for a day, then sends what is
 * due: every lane of every channel side by side, each retrying on its own. A channel not configured now
 * has no lane: its queued deliveries wait (until it is set up again, or they are given up).
 */
export async function deliverNotifications(
  db: Db,
  options: { now: Date; send?: Send; encryptionKey?: Buffer },
): Promise<DeliverySummary> {
  const { now } = options;
  const context: ChannelContext = {
    db,
    now,
    appUrl: appUrl(),
    encryptionKey: () => options.encryptionKey ?? apiKeyEncryptionKey(),
  };
  const summary: DeliverySummary = { dispatched: 0, delivered: 0, retried: 0, dead: 0 };
  const lanes = (
    await Promise.all(
      channelList.map(async (channel) => (await channel.lanes(context)).map((lane) => ({ ...lane, channel }))),
    )
  ).flat();
  summary.dispatched = await dispatch(db, now, lanes);
  const stale = await db.notificationDelivery.updateMany({
    where: { status: "PENDING", queuedAt: { lt: new Date(now.getTime() - GIVE_UP_AFTER_MS) } },
    data: { status: "DEAD", lastError: "Not delivered within 24 hours" },
  });
  summary.dead += stale.count;
  if (stale.count > 0) log.error("notification.given_up", { deliveries: stale.count, reason: "queued for 24 hours" });
  await Promise.all(
    lanes.map((lane) => deliverLane(db, lane, { now, send: options.send ?? lane.channel.send, summary })),
  );
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
    /** The channel's name, and the endpoint's for a webhook: "Slack", "PagerDuty", "Webhook Orchestrator". */
    destination: [channelById(delivery.channel)?.label ?? delivery.channel, delivery.endpoint?.name]
      .filter(Boolean)
      .join(" "),
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
