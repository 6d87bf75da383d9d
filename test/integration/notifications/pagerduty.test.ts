// PagerDuty through the channel registry, against a real local HTTP server standing in for the Events API:
// what triggers and resolves an incident, retries, dead letters, isolation from the other channels, and
// settings that keep the integration key a secret.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { systemActor } from "@/server/services/audit/audit-log";
import { configureChannel, testChannel } from "@/server/services/notifications/channel-settings";
import {
  backoffMs,
  deliverNotifications,
  listDeadLetters,
  MAX_DELIVERY_ATTEMPTS,
} from "@/server/services/notifications/delivery";
import { enqueueNotification, type NotificationInput } from "@/server/services/platform/outbox";
import { createWebhookEndpoint } from "@/server/services/notifications/webhook-endpoints";
import { callerFor, makeTarget, makeUser, testDb, uniqueSlug } from "../helpers";
import { httpReceiver } from "../http-receiver";

// Read by server/env.js when it loads: the router's services seal the key with it, links point here.
vi.hoisted(() => {
  process.env.API_KEY_ENCRYPTION_KEY = "ab".repeat(32);
  process.env.APP_URL = "https://rewind.example.test";
});

const db = testDb();
const T = new Date("2026-10-01T12:00:00Z");
const ROUTING_KEY = "R0abcdef0123456789abcdef0123wxyz";
const PAGERDUTY_SETTING = "pagerduty.events";

const servers: { close: () => Promise<unknown> }[] = [];
async function listen(failures = 0, answers: Parameters<typeof httpReceiver>[2] = {}) {
  const server = await httpReceiver(failures, "/v2/enqueue", { success: 202, ...answers });
  servers.push(server);
  return server;
}

async function connect(eventsUrl: string, routingKey = ROUTING_KEY) {
  await configureChannel(db, { actor: systemActor, channel: "PAGERDUTY", routingKey, eventsUrl }, { now: T });
}

async function enqueue(input: Omit<NotificationInput, "title" | "body"> & { title?: string }, createdAt = T) {
  const title = input.title ?? `${input.event} ${uniqueSlug()}`;
  await db.$transaction((tx) =>
    enqueueNotification(tx, { body: "Error rate 20% > 5% over 5 minutes", ...input, title }, createdAt),
  );
  return db.notification.findFirstOrThrow({ where: { title } });
}

function pagerDutyDelivery(notificationId: string) {
  return db.notificationDelivery.findFirstOrThrow({ where: { notificationId, channel: "PAGERDUTY" } });
}

const deliver = (now: Date) => deliverNotifications(db, { now });

interface PagerDutyBody {
  routing_key: string;
  event_action: string;
  dedup_key: string;
  payload?: Record<string, unknown>;
  links?: { href: string; text: string }[];
  client?: string;
  client_url?: string;
}
const bodies = (server: Awaited<ReturnType<typeof listen>>) =>
  server.received.map((request) => JSON.parse(request.rawBody) as PagerDutyBody);

beforeEach(async () => {
  // The outbox is shared with other tests' notifications: start with nothing queued and no dead letters.
  await db.notification.updateMany({ where: { dispatchedAt: null }, data: { dispatchedAt: T } });
  await db.notificationDelivery.updateMany({
    where: { status: { in: ["PENDING", "DEAD"] } },
    data: { status: "DELIVERED" },
  });
});
afterEach(async () => {
  await db.setting.deleteMany({ where: { key: { in: [PAGERDUTY_SETTING, "slack.webhookUrl"] } } });
  await db.webhookEndpoint.deleteMany({});
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe("PagerDuty delivery", () => {
  it("triggers an incident per rollback (else per target) for emergency and critical notifications only", async () => {
    const pagerDuty = await listen();
    await connect(pagerDuty.url);
    const target = await makeTarget(db);
    const rollbackId = `rb-${uniqueSlug()}`;
    const emergency = await enqueue({
      event: "rollback.completed",
      severity: "EMERGENCY",
      title: `Emergency rollback of ${target.slug}`,
      targetId: target.id,
      rollbackId,
      payload: { trafficPercent: 100 },
    });
    const escalation = await enqueue({ event: "verdict.breach", severity: "CRITICAL", targetId: target.id });
    for (const [event, severity] of [
      ["rollback.proposed", "WARNING"],
      ["rollback.started", "INFO"],
      ["rollback.completed", "RESOLVED"],
      ["emergency_stop.lifted", "RESOLVED"],
    ] as const) {
      await enqueue({ event, severity, targetId: target.id, rollbackId });
    }

    expect(await deliver(T)).toMatchObject({ dispatched: 6, delivered: 2, retried: 0, dead: 0 });
    const [first, second] = bodies(pagerDuty);
    expect(first).toEqual({
      routing_key: ROUTING_KEY,
      event_action: "trigger",
      dedup_key: rollbackId,
      payload: {
        summary: `Emergency rollback of ${target.slug}`,
        source: "rewind.example.test",
        severity: "critical",
        timestamp: T.toISOString(),
        component: target.slug,
        group: "rollback",
        class: "rollback.completed",
        custom_details: {
          body: "Error rate 20% > 5% over 5 minutes",
          event: "rollback.completed",
          severity: "EMERGENCY",
          target: `${target.name} (${target.slug})`,
          rollbackId,
          notificationId: emergency.id,
          details: { trafficPercent: 100 },
        },
      },
      links: [{ href: `https://rewind.example.test/rollbacks/${rollbackId}`, text: "Open in Rewind" }],
      client: "Rewind",
      client_url: "https://rewind.example.test",
    });
    expect(second).toMatchObject({
      event_action: "trigger",
      dedup_key: target.id,
      payload: { severity: "error", class: "verdict.breach", summary: escalation.title },
      links: [{ href: `https://rewind.example.test/targets/${target.slug}`, text: "Open in Rewind" }],
    });
    expect(pagerDuty.received[0]?.headers["content-type"]).toBe("application/json");
  });

  it("resolves the rollback's incident, with the same dedup key, once the rollback is verified", async () => {
    const pagerDuty = await listen();
    await connect(pagerDuty.url);
    const rollbackId = `rb-${uniqueSlug()}`;
    await enqueue({ event: "rollback.failed", severity: "CRITICAL", rollbackId });
    await deliver(T);
    await enqueue({ event: "rollback.verified", severity: "RESOLVED", rollbackId }, new Date(T.getTime() + 60_000));
    await deliver(new Date(T.getTime() + 60_000));

    expect(bodies(pagerDuty).map(({ event_action, dedup_key }) => ({ event_action, dedup_key }))).toEqual([
      { event_action: "trigger", dedup_key: rollbackId },
      { event_action: "resolve", dedup_key: rollbackId },
    ]);
    // A resolve names only what it resolves.
    expect(bodies(pagerDuty)[1]).toEqual({ routing_key: ROUTING_KEY, event_action: "resolve", dedup_key: rollbackId });
  });

  it("retries with backoff while PagerDuty fails, then delivers", async () => {
    const pagerDuty = await listen(3);
    await connect(pagerDuty.url);
    const notification = await enqueue({ event: "rollback.ineffective", severity: "CRITICAL", rollbackId: "rb-x" });
    let now = T;
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await deliver(now)).toMatchObject({ delivered: 0, retried: 1 });
      expect(await pagerDutyDelivery(notification.id)).toMatchObject({
        status: "PENDING",
        attempts: attempt,
        lastError: "HTTP 503 from PagerDuty",
        nextAttemptAt: new Date(now.getTime() + backoffMs(attempt)),
      });
      // Not due again before its backoff.
      expect(await deliver(new Date(now.getTime() + backoffMs(attempt) - 1))).toMatchObject({ retried: 0 });
      now = new Date(now.getTime() + backoffMs(attempt));
    }
    expect(await deliver(now)).toMatchObject({ delivered: 1 });
    expect(await pagerDutyDelivery(notification.id)).toMatchObject({
      status: "DELIVERED",
      attempts: 4,
      lastError: null,
    });
    expect(pagerDuty.calls()).toBe(4);
    expect(bodies(pagerDuty)).toHaveLength(1);
  });

  it("dead-letters after the last attempt; an admin retries it once PagerDuty is back", async () => {
    const down = await listen(Number.MAX_SAFE_INTEGER, { failure: 429 });
    await connect(down.url);
    const notification = await enqueue({ event: "emergency_stop.activated", severity: "EMERGENCY" });
    let now = T;
    for (let attempt = 1; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
      await deliver(now);
      now = new Date(now.getTime() + backoffMs(attempt));
    }
    const dead = await pagerDutyDelivery(notification.id);
    expect(dead).toMatchObject({
      status: "DEAD",
      attempts: MAX_DELIVERY_ATTEMPTS,
      lastError: "HTTP 429 from PagerDuty (rate limited)",
    });
    expect(await listDeadLetters(db)).toContainEqual(
      expect.objectContaining({ id: dead.id, channel: "PAGERDUTY", destination: "PagerDuty", endpoint: null }),
    );

    const up = await listen();
    const admin = await callerFor(db, (await makeUser(db, "ADMIN")).id, { now: () => now });
    // An empty key keeps the saved one: only the URL changes.
    await admin.notifications.configureChannel({ channel: "PAGERDUTY", routingKey: "", eventsUrl: up.url });
    await admin.notifications.retry({ id: dead.id });
    expect(await deliver(now)).toMatchObject({ delivered: 1 });
    expect(bodies(up)).toEqual([
      expect.objectContaining({ routing_key: ROUTING_KEY, event_action: "trigger", dedup_key: notification.id }),
    ]);
    expect(await pagerDutyDelivery(notification.id)).toMatchObject({ status: "DELIVERED", attempts: 1 });
  });

  it("dead-letters an event PagerDuty calls invalid at once, with its reason, and goes on", async () => {
    const answer = JSON.stringify({
      status: "invalid event",
      message: "Event object is invalid",
      errors: ["Length of 'routing_key' is incorrect (should be 32 characters)"],
    });
    const invalid = await listen(1, { failure: 400, failureBody: answer });
    await connect(invalid.url);
    const first = await enqueue({ event: "rollback.failed", severity: "CRITICAL", rollbackId: "rb-1" });
    const second = await enqueue(
      { event: "rollback.failed", severity: "CRITICAL", rollbackId: "rb-2" },
      new Date(T.getTime() + 1),
    );

    expect(await deliver(T)).toMatchObject({ delivered: 1, retried: 0, dead: 1 });
    expect(await pagerDutyDelivery(first.id)).toMatchObject({
      status: "DEAD",
      attempts: 1,
      lastError:
        "HTTP 400 from PagerDuty: Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters)",
    });
    expect(await pagerDutyDelivery(second.id)).toMatchObject({ status: "DELIVERED" });
  });

  it("keeps channels apart: PagerDuty down neither delays nor repeats Slack and webhook deliveries", async () => {
    const pagerDuty = await listen(Number.MAX_SAFE_INTEGER);
    await connect(pagerDuty.url);
    const slack = await listen();
    await db.setting.create({ data: { key: "slack.webhookUrl", value: slack.url } });
    const hook = await listen();
    await createWebhookEndpoint(
      db,
      { actor: systemActor, name: "Orchestrator", url: hook.url, events: ["rollback.*"] },
      { now: T, encryptionKey: Buffer.from(process.env.API_KEY_ENCRYPTION_KEY ?? "", "hex") },
    );
    const notification = await enqueue({ event: "rollback.failed", severity: "CRITICAL", rollbackId: "rb-iso" });

    expect(await deliver(T)).toMatchObject({ delivered: 2, retried: 1 });
    expect(await deliver(new Date(T.getTime() + backoffMs(1)))).toMatchObject({ delivered: 0, retried: 1 });
    expect(slack.calls()).toBe(1);
    expect(hook.calls()).toBe(1);
    expect(pagerDuty.calls()).toBe(2);
    const deliveries = await db.notificationDelivery.findMany({
      where: { notificationId: notification.id },
      orderBy: { channel: "asc" },
      select: { channel: true, status: true, attempts: true },
    });
    expect(deliveries).toEqual([
      { channel: "PAGERDUTY", status: "PENDING", attempts: 2 },
      { channel: "SLACK", status: "DELIVERED", attempts: 1 },
      { channel: "WEBHOOK", status: "DELIVERED", attempts: 1 },
    ]);
  });

  it("sends nothing once removed; what was queued waits for it", async () => {
    const pagerDuty = await listen(Number.MAX_SAFE_INTEGER);
    await connect(pagerDuty.url);
    const queued = await enqueue({ event: "rollback.failed", severity: "CRITICAL", rollbackId: "rb-q" });
    await deliver(T);
    const admin = await callerFor(db, (await makeUser(db, "ADMIN")).id, { now: () => T });
    await admin.notifications.clearChannel({ channel: "PAGERDUTY" });
    const later = await enqueue({ event: "rollback.failed", severity: "CRITICAL", rollbackId: "rb-l" });
    await deliver(new Date(T.getTime() + 60 * 60_000));
    expect(pagerDuty.calls()).toBe(1);
    expect(await pagerDutyDelivery(queued.id)).toMatchObject({ status: "PENDING", attempts: 1 });
    expect(await db.notificationDelivery.count({ where: { notificationId: later.id } })).toBe(0);
    expect((await admin.notifications.settings()).channels.PAGERDUTY).toMatchObject({ configured: false, pending: 1 });
  });
});

describe("PagerDuty settings", () => {
  it("refuse invalid input with a message per field and save nothing", async () => {
    const admin = await callerFor(db, (await makeUser(db, "ADMIN")).id, { now: () => T });
    const input = {
      channel: "PAGERDUTY" as const,
      routingKey: "too-short",
      eventsUrl: "http://pagerduty.example.com/x",
    };
    await expect(admin.notifications.configureChannel(input)).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(configureChannel(db, { actor: systemActor, ...input }, { now: T })).rejects.toMatchObject({
      code: "VALIDATION",
      details: {
        issues: {
          routingKey: "The integration key is the 32 letters and digits shown on the integration's page",
          eventsUrl: "The events URL must use https (http only to localhost)",
        },
      },
    });
    // A key is needed the first time; later an empty one keeps the saved key.
    await expect(
      admin.notifications.configureChannel({ channel: "PAGERDUTY", routingKey: "", eventsUrl: "" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: {
        details: { issues: { routingKey: "Enter the integration key of the service's Events API v2 integration" } },
      },
    });
    expect(await db.setting.findUnique({ where: { key: PAGERDUTY_SETTING } })).toBeNull();
    expect((await admin.notifications.settings()).channels.PAGERDUTY.configured).toBe(false);
  });

  it("keep the integration key encrypted and never return it: only that one is set and its last 4 characters", async () => {
    const user = await makeUser(db, "ADMIN");
    const admin = await callerFor(db, user.id, { now: () => T });
    await admin.notifications.configureChannel({ channel: "PAGERDUTY", routingKey: ROUTING_KEY, eventsUrl: "" });

    const settings = await admin.notifications.settings();
    expect(settings.channels.PAGERDUTY).toEqual({
      configured: true,
      routingKeyLast4: "wxyz",
      eventsUrl: null,
      defaultEventsUrl: "https://events.pagerduty.com/v2/enqueue",
      pending: 0,
      dead: 0,
    });
    expect(JSON.stringify(settings)).not.toContain(ROUTING_KEY.slice(0, 28));
    const stored = await db.setting.findUniqueOrThrow({ where: { key: PAGERDUTY_SETTING } });
    expect(stored.value).not.toContain(ROUTING_KEY);
    expect(stored.updatedById).toBe(user.id);
    const audit = await db.auditEvent.findMany({ where: { entityId: PAGERDUTY_SETTING, actorId: user.id } });
    expect(audit.map((event) => event.action)).toEqual(["settings.pagerduty_set"]);
    expect(JSON.stringify(audit)).not.toContain(ROUTING_KEY);
  });

  it("send a test event that resolves itself, and say why one failed", async () => {
    await expect(testChannel(db, { channel: "PAGERDUTY" }, { now: T })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "No PagerDuty integration key is set",
    });
    const pagerDuty = await listen();
    await connect(pagerDuty.url);
    const admin = await callerFor(db, (await makeUser(db, "ADMIN")).id, { now: () => T });
    await admin.notifications.testChannel({ channel: "PAGERDUTY" });
    const [trigger, resolve] = bodies(pagerDuty);
    expect(trigger).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: "trigger",
      payload: { severity: "info", summary: "Test event from Rewind" },
    });
    expect(resolve).toEqual({ routing_key: ROUTING_KEY, event_action: "resolve", dedup_key: trigger?.dedup_key });

    const down = await listen(Number.MAX_SAFE_INTEGER);
    await connect(down.url);
    await expect(admin.notifications.testChannel({ channel: "PAGERDUTY" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "PagerDuty did not accept the test message: HTTP 503 from PagerDuty",
    });
  });
});
