import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemActor } from "@/server/services/audit/audit-log";
import { enqueueNotification } from "@/server/services/platform/outbox";
import {
  backoffMs,
  deliverNotifications,
  listDeadLetters,
  MAX_DELIVERY_ATTEMPTS,
  retryDeadLetter,
} from "@/server/services/notifications/delivery";
import { sendTestMessage, setSlackWebhook } from "@/server/services/notifications/channel-settings";
import { testDb } from "../helpers";
import { httpReceiver } from "../http-receiver";

const db = testDb();
const T = new Date("2026-08-01T12:00:00Z");

/** A real HTTP endpoint standing in for Slack: fails the first `failures` requests with 503. */
async function fakeSlack(failures: number) {
  const slack = await httpReceiver(failures, "/hook");
  // Written directly: the settings form only accepts https URLs.
  await db.setting.upsert({
    where: { key: "slack.webhookUrl" },
    create: { key: "slack.webhookUrl", value: slack.url },
    update: { value: slack.url },
  });
  return slack;
}

async function enqueue(title: string, createdAt = T) {
  await db.$transaction((tx) =>
    enqueueNotification(
      tx,
      { event: "rollback.proposed", severity: "CRITICAL", title, body: "Error rate 20% > 5%", rollbackId: "rb1" },
      createdAt,
    ),
  );
  return db.notification.findFirstOrThrow({ where: { title } });
}

/** The notification's Slack delivery (created by the first delivery run after it was enqueued). */
function slackDelivery(notificationId: string) {
  return db.notificationDelivery.findFirstOrThrow({ where: { notificationId, channel: "SLACK" } });
}

describe("notification delivery", () => {
  beforeEach(async () => {
    // The outbox is shared with other tests' notifications: start with no queue and no dead letters.
    await db.notification.updateMany({ where: { dispatchedAt: null }, data: { dispatchedAt: T } });
    await db.notificationDelivery.updateMany({
      where: { status: { in: ["PENDING", "DEAD"] } },
      data: { status: "DELIVERED" },
    });
  });
  afterEach(async () => {
    await db.setting.deleteMany({ where: { key: "slack.webhookUrl" } });
  });

  it("retries with backoff until Slack answers, then marks it delivered", async () => {
    const slack = await fakeSlack(3);
    try {
      const notification = await enqueue("Rollback proposed for checkout");
      let now = T;
      for (let attempt = 1; attempt <= 3; attempt++) {
        expect(await deliverNotifications(db, { now })).toMatchObject({ delivered: 0, retried: 1 });
        // Not due again before its backoff.
        expect(await deliverNotifications(db, { now: new Date(now.getTime() + backoffMs(attempt) - 1) })).toMatchObject(
          {
            retried: 0,
          },
        );
        now = new Date(now.getTime() + backoffMs(attempt));
      }
      expect(await deliverNotifications(db, { now })).toMatchObject({ delivered: 1 });
      expect(await slackDelivery(notification.id)).toMatchObject({
        status: "DELIVERED",
        attempts: 4,
        lastError: null,
      });
      expect(slack.calls()).toBe(4);
      expect(slack.received[0]?.rawBody).toContain("🔴 Rollback proposed for checkout");
      expect(slack.received[0]?.rawBody).toContain("/rollbacks/rb1|Open in Rewind");
    } finally {
      await slack.close();
    }
  });

  it("gives up after the last attempt into the dead letters, which an admin can retry", async () => {
    const slack = await fakeSlack(Number.MAX_SAFE_INTEGER);
    try {
      const notification = await enqueue("Never delivered");
      let now = T;
      for (let attempt = 1; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
        await deliverNotifications(db, { now });
        now = new Date(now.getTime() + backoffMs(attempt));
      }
      const dead = await slackDelivery(notification.id);
      expect(dead).toMatchObject({
        status: "DEAD",
        attempts: MAX_DELIVERY_ATTEMPTS,
        lastError: "HTTP 503 from the webhook",
      });
      expect(await listDeadLetters(db)).toContainEqual(
        expect.objectContaining({ id: dead.id, notificationId: notification.id, channel: "SLACK", endpoint: null }),
      );

      await retryDeadLetter(db, { actor: systemActor, id: dead.id }, now);
      expect(await slackDelivery(notification.id)).toMatchObject({ status: "PENDING", attempts: 0 });
      await expect(retryDeadLetter(db, { actor: systemActor, id: dead.id }, now)).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      await expect(sendTestMessage(db)).rejects.toThrow(/Slack did not accept the test message: HTTP 503/);
    } finally {
      await slack.close();
    }
  });

  it("gives up on notifications older than a day instead of flooding a newly set channel", async () => {
    const old = await enqueue("Ancient news", new Date(T.getTime() - 25 * 60 * 60_000));
    const slack = await fakeSlack(0);
    try {
      await deliverNotifications(db, { now: T });
      expect(await slackDelivery(old.id)).toMatchObject({ status: "DEAD", lastError: "Not delivered within 24 hours" });
      expect(slack.calls()).toBe(0);
    } finally {
      await slack.close();
    }
  });

  it("accepts only https webhook URLs in settings", async () => {
    await expect(setSlackWebhook(db, { actor: systemActor, url: "http://example.com/hook" }, T)).rejects.toMatchObject({
      code: "VALIDATION",
      details: { issues: { url: "The webhook URL must use https" } },
    });
    await setSlackWebhook(db, { actor: systemActor, url: "https://hooks.slack.com/services/T/B/x" }, T);
    expect(await db.setting.findUnique({ where: { key: "slack.webhookUrl" } })).toMatchObject({
      value: "https://hooks.slack.com/services/T/B/x",
    });
  });
});
