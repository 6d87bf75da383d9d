// Outbound webhooks: endpoints managed by admins, signed deliveries to a real local HTTP server, retries
// and dead letters per channel (Slack and each endpoint apart), and the config.changed events behind them.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifySignature } from "@/server/domain/api-keys";
import { systemActor, userActor } from "@/server/services/audit/audit-log";
import { createFlag, setFlagEnabled } from "@/server/services/config/flags";
import { enqueueNotification } from "@/server/services/platform/outbox";
import { backoffMs, deliverNotifications, MAX_DELIVERY_ATTEMPTS } from "@/server/services/notifications/delivery";
import { publishSnapshot } from "@/server/services/config/snapshot-publishing";
import { createWebhookEndpoint, sendWebhookTest } from "@/server/services/notifications/webhook-endpoints";
import { abortRollback, startRollbackFromDecision } from "@/server/services/rollbacks/commands";
import { advanceDueRollbacks } from "@/server/services/rollbacks/cycle-steps";
import { BUCKET_MS, callerFor, makeTarget, makeUser, testDb, uniqueSlug } from "../helpers";
import { httpReceiver, type Received } from "../http-receiver";
import { breach, breachVerdict, lifecyclePolicy, lifecycleTarget, rollbackDecision } from "../lifecycle-fixtures";

const db = testDb();
const encryptionKey = randomBytes(32);
const T = new Date("2026-09-01T12:00:00Z");

const servers: { close: () => Promise<unknown> }[] = [];
async function listen(failures = 0) {
  const server = await httpReceiver(failures);
  servers.push(server);
  return server;
}

async function endpoint(url: string, events = ["rollback.*"], name = "Orchestrator") {
  return createWebhookEndpoint(db, { actor: systemActor, name, url, events }, { now: T, encryptionKey });
}

async function enqueue(event: string, title: string, createdAt = T) {
  await db.$transaction((tx) =>
    enqueueNotification(
      tx,
      { event, severity: "CRITICAL", title, body: "Error rate 20% > 5%", rollbackId: "rb1", payload: { n: 1 } },
      createdAt,
    ),
  );
  return db.notification.findFirstOrThrow({ where: { title } });
}

const deliver = (now: Date) => deliverNotifications(db, { now, encryptionKey });

beforeEach(async () => {
  // The outbox is shared with other tests' notifications: start with nothing queued and no dead letters.
  await db.notification.updateMany({ where: { dispatchedAt: null }, data: { dispatchedAt: T } });
  await db.notificationDelivery.updateMany({
    where: { status: { in: ["PENDING", "DEAD"] } },
    data: { status: "DELIVERED" },
  });
});
afterEach(async () => {
  await db.webhookEndpoint.deleteMany({});
  await db.setting.deleteMany({ where: { key: "slack.webhookUrl" } });
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe("outbound webhook delivery", () => {
  it("posts the notification signed like ingestion, which the receiver verifies with the secret", async () => {
    const server = await listen();
    const { endpoint: created, signingSecret } = await endpoint(server.url, ["rollback.*"]);
    const notification = await enqueue("rollback.proposed", `Proposed ${uniqueSlug()}`);
    await enqueue("flag.enabled", `Flag ${uniqueSlug()}`);

    expect(await deliver(T)).toMatchObject({ dispatched: 2, delivered: 1, retried: 0 });
    expect(server.received).toHaveLength(1);
    const [{ headers, rawBody }] = server.received as [Received];
    const delivery = await db.notificationDelivery.findFirstOrThrow({
      where: { notificationId: notification.id, endpointId: created.id },
    });
    expect(delivery).toMatchObject({ channel: "WEBHOOK", status: "DELIVERED", attempts: 1 });
    expect(headers["x-rewind-event"]).toBe("rollback.proposed");
    expect(headers["x-rewind-delivery"]).toBe(delivery.id);
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["x-rewind-signature"]).toMatch(new RegExp(`^t=${T.getTime() / 1000},v1=[0-9a-f]{64}$`));
    const signature = String(headers["x-rewind-signature"]);
    expect(() =>
      verifySignature(signature, {
        method: "POST",
        path: "/hook",
        secret: signingSecret,
        rawBody: Buffer.from(rawBody),
        now: T,
      }),
    ).not.toThrow();
    expect(() =>
      verifySignature(signature, {
        method: "POST",
        path: "/hook",
        secret: signingSecret,
        rawBody: Buffer.from(`${rawBody} `),
        now: T,
      }),
    ).toThrow(/does not match/);
    expect(JSON.parse(rawBody)).toEqual({
      id: notification.id,
      event: "rollback.proposed",
      severity: "CRITICAL",
      title: notification.title,
      body: "Error rate 20% > 5%",
      targetId: null,
      rollbackId: "rb1",
      payload: { n: 1 },
      createdAt: T.toISOString(),
    });
  });

  it("retries a failing endpoint with backoff, under the same delivery id, until it answers", async () => {
    const server = await listen(3);
    await endpoint(server.url, ["*"]);
    const notification = await enqueue("emergency_stop.activated", `Stop ${uniqueSlug()}`);
    let now = T;
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await deliver(now)).toMatchObject({ delivered: 0, retried: 1 });
      expect(await deliver(new Date(now.getTime() + backoffMs(attempt) - 1))).toMatchObject({ retried: 0 });
      now = new Date(now.getTime() + backoffMs(attempt));
    }
    expect(await deliver(now)).toMatchObject({ delivered: 1 });
    const delivery = await db.notificationDelivery.findFirstOrThrow({ where: { notificationId: notification.id } });
    expect(delivery).toMatchObject({ status: "DELIVERED", attempts: 4, lastError: null, lastAttemptAt: now });
    expect(server.calls()).toBe(4);
    expect(server.received[0]?.headers["x-rewind-delivery"]).toBe(delivery.id);
  });

  it("dead-letters an endpoint that never answers; an admin sees the channel and retries it", async () => {
    const down = await listen(Number.MAX_SAFE_INTEGER);
    const { endpoint: created } = await endpoint(down.url, ["rollback.*"], "Pager bridge");
    const notification = await enqueue("rollback.emergency", `Emergency ${uniqueSlug()}`);
    let now = T;
    for (let attempt = 1; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
      await deliver(now);
      now = new Date(now.getTime() + backoffMs(attempt));
    }
    const admin = await callerFor(db, (await makeUser(db, "ADMIN")).id, { now: () => now });
    const letters = await admin.notifications.deadLetters();
    const letter = letters.find((candidate) => candidate.notificationId === notification.id);
    expect(letter).toMatchObject({
      channel: "WEBHOOK",
      endpoint: { id: created.id, name: "Pager bridge" },
      event: "rollback.emergency",
      attempts: MAX_DELIVERY_ATTEMPTS,
      lastError: "HTTP 503 from the webhook",
    });
    expect(down.calls()).toBe(MAX_DELIVERY_ATTEMPTS);
    expect((await admin.notifications.settings()).dead).toBeGreaterThanOrEqual(1);

    // The receiver is fixed: the endpoint now points at a working one, and the admin retries.
    const up = await listen();
    await admin.notifications.updateWebhook({ id: created.id, url: up.url });
    await admin.notifications.retry({ id: letter!.id });
    expect(await deliver(now)).toMatchObject({ delivered: 1 });
    expect(up.received.map((request) => request.headers["x-rewind-delivery"])).toEqual([letter!.id]);
    expect((await admin.notifications.deadLetters()).map((dead) => dead.id)).not.toContain(letter!.id);
  });

  it("keeps channels apart: Slack failing neither delays nor repeats the webhook delivery", async () => {
    const slack = await listen(Number.MAX_SAFE_INTEGER);
    await db.setting.create({ data: { key: "slack.webhookUrl", value: slack.url } });
    const hook = await listen();
    await endpoint(hook.url, ["rollback.*"]);
    const notification = await enqueue("rollback.proposed", `Both ${uniqueSlug()}`);

    expect(await deliver(T)).toMatchObject({ delivered: 1, retried: 1 });
    expect(await deliver(new Date(T.getTime() + backoffMs(1)))).toMatchObject({ delivered: 0, retried: 1 });
    expect(hook.calls()).toBe(1);
    expect(slack.calls()).toBe(2);
    const deliveries = await db.notificationDelivery.findMany({
      where: { notificationId: notification.id },
      orderBy: { channel: "asc" },
      select: { channel: true, status: true, attempts: true },
    });
    expect(deliveries).toEqual([
      { channel: "SLACK", status: "PENDING", attempts: 2 },
      { channel: "WEBHOOK", status: "DELIVERED", attempts: 1 },
    ]);
  });

  it("routes by event: Slack skips config.changed, disabled and later endpoints get nothing old", async () => {
    const slack = await listen();
    await db.setting.create({ data: { key: "slack.webhookUrl", value: slack.url } });
    const config = await listen();
    const off = await listen();
    await endpoint(config.url, ["config.changed"]);
    const admin = await callerFor(db, (await makeUser(db, "ADMIN")).id);
    const disabled = await endpoint(off.url, ["*"]);
    await admin.notifications.updateWebhook({ id: disabled.endpoint.id, enabled: false });

    await enqueue("config.changed", `Config ${uniqueSlug()}`);
    await enqueue("rollback.completed", `Completed ${uniqueSlug()}`);
    await deliver(T);
    expect(config.received.map((request) => request.headers["x-rewind-event"])).toEqual(["config.changed"]);
    expect(slack.received.map((request) => JSON.parse(request.rawBody) as { text: string })).toEqual([
      expect.objectContaining({ text: expect.stringContaining("Completed") as unknown }),
    ]);
    expect(off.calls()).toBe(0);

    // Added after those were dispatched: it hears only of what happens from now on.
    const later = await listen();
    await endpoint(later.url, ["*"]);
    await deliver(new Date(T.getTime() + 1_000));
    expect(later.calls()).toBe(0);
  });
});

describe("webhook endpoints", () => {
  it("are created with a secret shown once, listed without it, updated, audited and deleted", async () => {
    const user = await makeUser(db, "ADMIN");
    const admin = await callerFor(db, user.id, { now: () => T });
    const { endpoint: created, signingSecret } = await createWebhookEndpoint(
      db,
      {
        actor: userActor(user.id),
        name: " Orchestrator ",
        url: "https://orchestrator.internal/hooks/rewind?token=abc",
        events: ["Rollback.*", "config.changed", "rollback.*"],
      },
      { now: T, encryptionKey },
    );
    expect(signingSecret).toMatch(/^rwh_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ name: "Orchestrator", events: ["rollback.*", "config.changed"], enabled: true });
    const stored = await db.webhookEndpoint.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.signingSecretEncrypted).not.toContain(signingSecret);

    const listed = await admin.notifications.webhooks();
    expect(listed).toEqual([
      expect.objectContaining({
        id: created.id,
        url: "https://orchestrator.internal/hooks/rewind?token=abc",
        createdBy: { id: user.id, name: user.name, email: user.email },
        pending: 0,
        dead: 0,
      }),
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/rwh_|signingSecret/);

    const updated = await admin.notifications.updateWebhook({ id: created.id, events: ["*"], enabled: false });
    expect(updated).toMatchObject({ events: ["*"], enabled: false });
    // The same again changes nothing and records nothing.
    await admin.notifications.updateWebhook({ id: created.id, events: ["*"], enabled: false });
    await admin.notifications.deleteWebhook({ id: created.id });
    expect(await admin.notifications.webhooks()).toEqual([]);
    await expect(admin.notifications.deleteWebhook({ id: created.id })).rejects.toMatchObject({ code: "NOT_FOUND" });

    const audit = await db.auditEvent.findMany({
      where: { entityId: created.id },
      orderBy: { sequence: "asc" },
      select: { action: true, before: true, after: true },
    });
    expect(audit.map((event) => event.action)).toEqual(["webhook.created", "webhook.updated", "webhook.deleted"]);
    // The URL's path and query can carry a token: the history keeps its origin only.
    expect(JSON.stringify(audit)).not.toContain("token=abc");
    expect(audit[0]?.after).toMatchObject({ url: "https://orchestrator.internal" });
  });

  it("refuses bad input with field messages", async () => {
    await expect(
      createWebhookEndpoint(
        db,
        { actor: systemActor, name: "", url: "ftp://example.com", events: ["rollback.**"] },
        { now: T, encryptionKey },
      ),
    ).rejects.toMatchObject({
      code: "VALIDATION",
      details: {
        issues: {
          name: "Name is required",
          url: "The URL must use https or http",
          "events.0": expect.stringContaining("Use an event name") as unknown,
        },
      },
    });
    const admin = await callerFor(db, (await makeUser(db, "ADMIN")).id);
    await expect(admin.notifications.createWebhook({ name: "x", url: "https://x.test", events: [] })).rejects.toThrow(
      /Choose at least one event/,
    );
  });

  it("send a signed test event on demand, and say why one failed", async () => {
    const server = await listen();
    const { endpoint: created, signingSecret } = await endpoint(server.url);
    const { deliveryId } = await sendWebhookTest(db, { id: created.id }, { now: T, encryptionKey });
    const [{ headers, rawBody }] = server.received as [Received];
    expect(headers["x-rewind-event"]).toBe("webhook.test");
    expect(headers["x-rewind-delivery"]).toBe(deliveryId);
    expect(() =>
      verifySignature(String(headers["x-rewind-signature"]), {
        method: "POST",
        path: "/hook",
        secret: signingSecret,
        rawBody: Buffer.from(rawBody),
        now: T,
      }),
    ).not.toThrow();

    const down = await listen(Number.MAX_SAFE_INTEGER);
    const { endpoint: broken } = await endpoint(down.url, ["*"], "Broken");
    await expect(sendWebhookTest(db, { id: broken.id }, { now: T, encryptionKey })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "Broken did not accept the test event: HTTP 503 from the webhook",
    });
    await expect(sendWebhookTest(db, { id: created.id }, { now: T, encryptionKey: randomBytes(32) })).rejects.toThrow(
      /cannot be decrypted/,
    );
  });
});

describe("config.changed", () => {
  it("is enqueued when a snapshot is published and when a target's flag changes, not for other targets", async () => {
    const target = await makeTarget(db);
    const actor = systemActor;
    const changes = () =>
      db.notification.findMany({
        where: { event: "config.changed", targetId: target.id },
        orderBy: { createdAt: "asc" },
        select: { title: true, body: true, payload: true, createdAt: true },
      });
    await publishSnapshot(db, { actor, targetId: target.id, config: { model: "a" } }, T);
    // Publishing the current checksum again changes nothing.
    await publishSnapshot(db, { actor, targetId: target.id, config: { model: "a" } }, new Date(T.getTime() + 1));
    const flag = await createFlag(
      db,
      { actor, key: `flag_${randomBytes(4).toString("hex")}`, targetId: target.id },
      new Date(T.getTime() + 2),
    );
    await setFlagEnabled(db, { actor, id: flag.id, enabled: true }, new Date(T.getTime() + 3));
    expect(await changes()).toEqual([
      {
        title: `${target.slug}: effective configuration changed`,
        body: `v1 is now the current configuration of ${target.slug}.`,
        payload: expect.objectContaining({ target: target.slug, cause: "snapshot.published", version: 1 }) as unknown,
        createdAt: T,
      },
      expect.objectContaining({ payload: { target: target.slug, cause: "flag.created", flags: [flag.key] } }),
      expect.objectContaining({
        body: `Flag ${flag.key} turned on.`,
        payload: { target: target.slug, cause: "flag.enabled", flags: [flag.key] },
      }),
    ]);
  });

  it("is enqueued for each traffic switch of a rollback and for the kill switches an emergency turns off", async () => {
    const start = Date.UTC(2027, 2, 1);
    const fixture = await lifecycleTarget(db, { ...lifecyclePolicy, mode: "AUTOMATIC" }, new Date(start));
    const approver = await makeUser(db, "APPROVER");
    const rollback = (kind: "AUTO_ROLLBACK" | "EMERGENCY_ROLLBACK", at: number) =>
      startRollbackFromDecision(
        db,
        {
          target: fixture.target,
          decision: rollbackDecision(kind),
          verdict: kind === "AUTO_ROLLBACK" ? breachVerdict : breach("EMERGENCY"),
          policy: fixture.policy,
          policyVersion: 1,
        },
        new Date(at),
      );
    const automatic = await rollback("AUTO_ROLLBACK", start);
    await advanceDueRollbacks(db, { now: new Date(start + 1_000), bucketWidthMs: BUCKET_MS });
    await abortRollback(
      db,
      { actor: userActor(approver.id), rollbackId: automatic.rollbackId, reason: "Worse" },
      new Date(start + 2_000),
    );
    const killSwitch = await createFlag(
      db,
      {
        actor: systemActor,
        key: `kill_${randomBytes(4).toString("hex")}`,
        targetId: fixture.target.id,
        killSwitch: true,
      },
      new Date(start + 3_000),
    );
    await setFlagEnabled(
      db,
      { actor: userActor(approver.id), id: killSwitch.id, enabled: true },
      new Date(start + 4_000),
    );
    const emergency = await rollback("EMERGENCY_ROLLBACK", start + 5_000);

    const changes = await db.notification.findMany({
      where: { event: "config.changed", targetId: fixture.target.id },
      orderBy: [{ createdAt: "asc" }, { title: "asc" }],
      select: { body: true, rollbackId: true, payload: true },
    });
    const causes = changes.map((change) => (change.payload as { cause: string }).cause);
    expect(causes.slice(0, 4)).toEqual(["rollback.started", "rollback.aborted", "flag.created", "flag.enabled"]);
    expect(causes.slice(4).sort()).toEqual(["flag.kill_switch_off", "rollback.emergency"]);
    expect(changes[0]).toMatchObject({
      body: `${fixture.target.slug} serves v1 to 25% of traffic and v2 to 75%.`,
      rollbackId: automatic.rollbackId,
      payload: { trafficPercent: 25, fromSnapshotId: fixture.bad.id, toSnapshotId: fixture.good.id },
    });
    expect(changes[1]).toMatchObject({ body: `${fixture.target.slug} serves v1 to 0% of traffic and v2 to 100%.` });
    expect(changes.find((change) => change.rollbackId === emergency.rollbackId)).toMatchObject({
      payload: { cause: "rollback.emergency", trafficPercent: 100 },
    });
  });
});
