// Hostile text through every channel, to real local HTTP servers: a target name and a reason written to ping a
// Slack channel and disguise a link reach Slack escaped and verbatim, and PagerDuty and webhooks as plain JSON
// data, with every link pointing into the configured dashboard.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { systemActor, userActor } from "@/server/services/audit/audit-log";
import { createTarget } from "@/server/services/config/targets";
import { configureChannel } from "@/server/services/notifications/channel-settings";
import { deliverNotifications } from "@/server/services/notifications/delivery";
import { enqueueNotification } from "@/server/services/platform/outbox";
import { createWebhookEndpoint } from "@/server/services/notifications/webhook-endpoints";
import { requestManualRollback } from "@/server/services/rollbacks/commands";
import { makeUser, testDb, uniqueSlug } from "../helpers";
import { httpReceiver } from "../http-receiver";
import { createSnapshot } from "../lifecycle-fixtures";

// Read by server/env.js when it loads: links point here, secrets are sealed with this key.
vi.hoisted(() => {
  process.env.API_KEY_ENCRYPTION_KEY = "ab".repeat(32);
  process.env.APP_URL = "https://rewind.example.test";
});

const APP = "https://rewind.example.test";
const db = testDb();
const T = new Date("2026-10-02T12:00:00Z");
const HOSTILE_NAME = "<!channel> <https://evil.example/login|Approve in Rewind>";
const HOSTILE_REASON = "<!here> latency & errors > limits, see <https://evil.example|the runbook> @everyone";

const servers: { close: () => Promise<unknown> }[] = [];
async function listen(path: string, success = 200) {
  const server = await httpReceiver(0, path, { success });
  servers.push(server);
  return server;
}

beforeEach(async () => {
  // The outbox is shared with other tests' notifications: start with nothing queued.
  await db.notification.updateMany({ where: { dispatchedAt: null }, data: { dispatchedAt: T } });
  await db.notificationDelivery.updateMany({
    where: { status: { in: ["PENDING", "DEAD"] } },
    data: { status: "DELIVERED" },
  });
});
afterEach(async () => {
  await db.setting.deleteMany({ where: { key: { in: ["slack.webhookUrl", "pagerduty.events"] } } });
  await db.webhookEndpoint.deleteMany({});
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function hostileTarget() {
  return createTarget(db, { actor: systemActor, slug: uniqueSlug("hostile"), name: HOSTILE_NAME }, T);
}

interface SlackBody {
  text: string;
  unfurl_links?: boolean;
  unfurl_media?: boolean;
  blocks: {
    type: string;
    text?: { text: string; verbatim?: boolean };
    elements?: { type?: string; text: string | { type: string; text: string } }[];
  }[];
}

/** Every `<…>` Slack would read as a link or mention in a mrkdwn text. */
function slackControls(mrkdwn: string): string[] {
  return [...mrkdwn.matchAll(/<[^<>]*>/g)].map((match) => match[0]);
}

describe("hostile text in outbound notifications", () => {
  it("reaches Slack escaped and verbatim: no mention, and the only link is Rewind's", async () => {
    const slack = await listen("/slack");
    await db.setting.create({ data: { key: "slack.webhookUrl", value: slack.url } });
    const target = await hostileTarget();
    const good = await createSnapshot(db, target.id, 1, { publishedAt: new Date(0), knownGoodAt: new Date(0) });
    const bad = await createSnapshot(db, target.id, 2, { publishedAt: T });
    await db.target.update({ where: { id: target.id }, data: { currentSnapshotId: bad.id } });
    const operator = await makeUser(db, "OPERATOR");
    const rollback = await requestManualRollback(
      db,
      { actor: userActor(operator.id), targetId: target.id, toSnapshotId: good.id, reason: HOSTILE_REASON },
      T,
    );

    await deliverNotifications(db, { now: T });
    expect(slack.received).toHaveLength(1);
    const body = JSON.parse(slack.received[0]?.rawBody ?? "{}") as SlackBody;
    // Approve/Reject buttons (when a Slack app is configured, as another test file may have left it) carry fixed
    // plain_text labels, which Slack never parses for links or mentions; every other text is mrkdwn.
    const [actions, textBlocks] = [
      body.blocks.filter((block) => block.type === "actions"),
      body.blocks.filter((block) => block.type !== "actions"),
    ];
    for (const button of actions.flatMap((block) => block.elements ?? [])) {
      expect(button).toMatchObject({ type: "button", text: { type: "plain_text" } });
    }
    const texts = [body.text, ...textBlocks.flatMap((block) => [block.text, ...(block.elements ?? [])])]
      .filter((text) => text !== undefined)
      .map((text) => (typeof text === "string" ? text : text.text))
      .filter((text): text is string => typeof text === "string");
    const all = texts.join("\n");
    expect(all).toContain("&lt;!channel&gt; &lt;https://evil.example/login|Approve in Rewind&gt;");
    expect(all).toContain(
      "&lt;!here&gt; latency &amp; errors &gt; limits, see &lt;https://evil.example|the runbook&gt;",
    );
    // Nothing Slack reads as a control sequence but the dashboard link.
    expect(texts.flatMap(slackControls)).toEqual([`<${APP}/rollbacks/${rollback.id}|Open in Rewind>`]);
    // Bare URLs, channel names and @mentions in the text stay text; links are not unfurled.
    for (const block of textBlocks) {
      for (const text of [block.text, ...(block.elements ?? [])]) {
        if (text) expect(text).toMatchObject({ verbatim: true });
      }
    }
    expect(body).toMatchObject({ unfurl_links: false, unfurl_media: false });
  });

  it("reaches PagerDuty and webhooks as JSON data, with links into the dashboard only", async () => {
    const pagerDuty = await listen("/v2/enqueue", 202);
    const hook = await listen("/hook");
    await configureChannel(
      db,
      {
        actor: systemActor,
        channel: "PAGERDUTY",
        routingKey: "R0abcdef0123456789abcdef0123wxyz",
        eventsUrl: pagerDuty.url,
      },
      { now: T },
    );
    await createWebhookEndpoint(
      db,
      { actor: systemActor, name: "receiver", url: hook.url, events: ["*"] },
      { now: T, encryptionKey: Buffer.from("ab".repeat(32), "hex") },
    );
    const target = await hostileTarget();
    const title = `Emergency rollback of ${HOSTILE_NAME} (${target.slug})`;
    await db.$transaction((tx) =>
      enqueueNotification(
        tx,
        { event: "rollback.failed", severity: "CRITICAL", title, body: HOSTILE_REASON, targetId: target.id },
        T,
      ),
    );

    await deliverNotifications(db, { now: T });
    expect(pagerDuty.received).toHaveLength(1);
    const event = JSON.parse(pagerDuty.received[0]?.rawBody ?? "{}") as {
      payload: { summary: string; custom_details: { body: string; target: string } };
      links: { href: string; text: string }[];
      client_url: string;
    };
    // JSON carries the text as data: PagerDuty shows it as typed, nothing to escape.
    expect(event.payload.summary).toBe(title);
    expect(event.payload.custom_details).toMatchObject({
      body: HOSTILE_REASON,
      target: `${HOSTILE_NAME} (${target.slug})`,
    });
    expect(event.links).toEqual([{ href: `${APP}/targets/${target.slug}`, text: "Open in Rewind" }]);
    expect(event.client_url).toBe(APP);

    expect(hook.received).toHaveLength(1);
    const delivered = JSON.parse(hook.received[0]?.rawBody ?? "{}") as Record<string, unknown>;
    expect(delivered).toMatchObject({ title, body: HOSTILE_REASON, targetId: target.id });
    // No link of Rewind's making: receivers get ids, not URLs built from the text.
    expect(Object.keys(delivered).sort()).toEqual(
      ["body", "createdAt", "event", "id", "payload", "rollbackId", "severity", "targetId", "title"].sort(),
    );
  });
});
