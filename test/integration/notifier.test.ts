import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemActor } from "@/server/services/audit";
import { enqueueNotification } from "@/server/services/notifications";
import {
  backoffMs,
  deliverNotifications,
  listDeadLetters,
  MAX_DELIVERY_ATTEMPTS,
  retryDeadLetter,
  sendTestMessage,
  setSlackWebhook,
} from "@/server/services/notifier";
import { testDb } from "./helpers";

const db = testDb();
const T = new Date("2026-08-01T12:00:00Z");

/** A real HTTP endpoint standing in for Slack: fails the first `failures` requests with 503. */
async function fakeSlack(failures: number) {
  const received: unknown[] = [];
  let calls = 0;
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      calls += 1;
      if (calls <= failures) {
        response.writeHead(503).end("unavailable");
        return;
      }
      received.push(JSON.parse(body));
      response.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  // Written directly: the settings form only accepts https URLs.
  await db.setting.upsert({
    where: { key: "slack.webhookUrl" },
    create: { key: "slack.webhookUrl", value: url },
    update: { value: url },
  });
  return { received, calls: () => calls, close: () => new Promise((resolve) => server.close(resolve)) };
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
      expect(JSON.stringify(slack.received[0])).toContain("🔴 Rollback proposed for checkout");
      expect(JSON.stringify(slack.received[0])).toContain("/rollbacks/rb1|Open in Rewind");
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
