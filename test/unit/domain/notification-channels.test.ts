import { describe, expect, it } from "vitest";
import {
  dashboardLink,
  escapeSlackText,
  pagerDutyAction,
  pagerDutyDedupKey,
  pagerDutyEvent,
  pagerDutySettingsSchema,
  secretHint,
  slackMessage,
  slackSettingsSchema,
  type ChannelNotification,
} from "@/server/domain/notification-channels";

const T = new Date("2026-10-01T12:00:00Z");
const APP = "https://rewind.example.test";
const KEY = "0123456789abcdef0123456789ABCDEF";

function notification(overrides: Partial<ChannelNotification> = {}): ChannelNotification {
  return {
    id: "n1",
    event: "rollback.created",
    severity: "EMERGENCY",
    title: "Emergency rollback of Checkout (checkout)",
    body: "Error rate 20% > 5%",
    targetId: "t1",
    rollbackId: "rb1",
    payload: { trafficPercent: 100 },
    createdAt: T,
    ...overrides,
  };
}

describe("Slack rendering", () => {
  it("escapes what mrkdwn would read as a mention, a link or an entity", () => {
    expect(escapeSlackText("<!channel> a & b <https://evil|click>")).toBe(
      "&lt;!channel&gt; a &amp; b &lt;https://evil|click&gt;",
    );
  });

  it("puts the severity emoji, the escaped title and body and a link to the rollback in Block Kit", () => {
    const message = slackMessage(notification({ title: "Rollback of <b>", body: "x > y" }), APP);
    expect(message.text).toBe("🚨 Rollback of &lt;b&gt;");
    expect(message.blocks).toEqual([
      { type: "section", text: { type: "mrkdwn", text: "*🚨 Rollback of &lt;b&gt;*\nx &gt; y", verbatim: true } },
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: `<${APP}/rollbacks/rb1|Open in Rewind>`, verbatim: true }],
      },
    ]);
  });

  it("links the rollback, else the target, else the dashboard", () => {
    expect(dashboardLink(APP, { rollbackId: "rb1" }, { slug: "checkout" })).toBe(`${APP}/rollbacks/rb1`);
    expect(dashboardLink(APP, { rollbackId: null }, { slug: "checkout" })).toBe(`${APP}/targets/checkout`);
    expect(dashboardLink(APP, { rollbackId: null })).toBe(APP);
  });

  it("accepts only https webhook URLs", () => {
    expect(
      slackSettingsSchema.safeParse({ channel: "SLACK", url: "https://hooks.slack.com/services/T/B/x" }).success,
    ).toBe(true);
    expect(slackSettingsSchema.safeParse({ channel: "SLACK", url: "http://hooks.slack.com/x" }).success).toBe(false);
  });
});

describe("PagerDuty rules", () => {
  it.each([
    ["rollback.created", "EMERGENCY", "trigger"],
    ["rollback.created", "CRITICAL", "trigger"],
    ["rollback.ineffective", "CRITICAL", "trigger"],
    ["rollback.failed", "CRITICAL", "trigger"],
    ["verdict.breach", "CRITICAL", "trigger"],
    ["emergency_stop.activated", "EMERGENCY", "trigger"],
    ["rollback.verified", "RESOLVED", "resolve"],
    ["rollback.completed", "RESOLVED", null],
    ["rollback.proposed", "WARNING", null],
    ["rollback.started", "INFO", null],
    ["emergency_stop.lifted", "RESOLVED", null],
    ["config.changed", "INFO", null],
  ])("%s at %s: %s", (event, severity, action) => {
    expect(pagerDutyAction({ event, severity })).toBe(action);
  });

  it("keys the incident by the rollback, else the target, else the notification", () => {
    expect(pagerDutyDedupKey({ id: "n1", rollbackId: "rb1", targetId: "t1" })).toBe("rb1");
    expect(pagerDutyDedupKey({ id: "n1", rollbackId: null, targetId: "t1" })).toBe("t1");
    expect(pagerDutyDedupKey({ id: "n1", rollbackId: null, targetId: null })).toBe("n1");
  });

  it("builds a trigger in the Events API v2 shape, summary cut to PagerDuty's 1024 characters", () => {
    const event = pagerDutyEvent(notification({ title: "x".repeat(2000) }), {
      routingKey: KEY,
      appUrl: APP,
      target: { slug: "checkout", name: "Checkout" },
    });
    expect(event).toMatchObject({
      routing_key: KEY,
      event_action: "trigger",
      dedup_key: "rb1",
      payload: {
        source: "rewind.example.test",
        severity: "critical",
        timestamp: T.toISOString(),
        component: "checkout",
        group: "rollback",
        class: "rollback.created",
        custom_details: {
          body: "Error rate 20% > 5%",
          target: "Checkout (checkout)",
          details: { trafficPercent: 100 },
        },
      },
      links: [{ href: `${APP}/rollbacks/rb1`, text: "Open in Rewind" }],
      client: "Rewind",
      client_url: APP,
    });
    expect(event.payload?.summary).toHaveLength(1024);
    expect(event.payload?.summary.endsWith("…")).toBe(true);
    expect(
      pagerDutyEvent(notification({ severity: "CRITICAL" }), { routingKey: KEY, appUrl: APP, target: null }),
    ).toMatchObject({ payload: { severity: "error" } });
  });

  it("builds a resolve with the key alone, and refuses events PagerDuty does not take", () => {
    expect(
      pagerDutyEvent(notification({ event: "rollback.verified", severity: "RESOLVED" }), {
        routingKey: KEY,
        appUrl: APP,
        target: null,
      }),
    ).toEqual({ routing_key: KEY, event_action: "resolve", dedup_key: "rb1" });
    expect(() =>
      pagerDutyEvent(notification({ event: "rollback.started", severity: "INFO" }), {
        routingKey: KEY,
        appUrl: APP,
        target: null,
      }),
    ).toThrow(/does not take rollback.started/);
  });
});

describe("PagerDuty settings", () => {
  it("take a 32-character key and an https (or local http) events URL; empty means keep / default", () => {
    expect(pagerDutySettingsSchema.parse({ channel: "PAGERDUTY", routingKey: ` ${KEY} `, eventsUrl: "" })).toEqual({
      channel: "PAGERDUTY",
      routingKey: KEY,
      eventsUrl: null,
    });
    expect(pagerDutySettingsSchema.parse({ channel: "PAGERDUTY" })).toEqual({
      channel: "PAGERDUTY",
      routingKey: null,
      eventsUrl: null,
    });
    expect(
      pagerDutySettingsSchema.parse({
        channel: "PAGERDUTY",
        routingKey: "",
        eventsUrl: "http://127.0.0.1:8080/v2/enqueue",
      }).eventsUrl,
    ).toBe("http://127.0.0.1:8080/v2/enqueue");
    const refused = pagerDutySettingsSchema.safeParse({
      channel: "PAGERDUTY",
      routingKey: "abc-def",
      eventsUrl: "http://events.pagerduty.com/v2/enqueue",
    });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues.map((issue) => issue.path.join("."))).toEqual(["routingKey", "eventsUrl"]);
  });

  it("show only the key's last 4 characters", () => {
    expect(secretHint(KEY)).toBe("CDEF");
  });
});
