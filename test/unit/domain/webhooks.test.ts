import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifySignature } from "@/server/domain/api-keys";
import { slackReceives } from "@/server/domain/notification-channels";
import { webhookBody, webhookHeaders } from "@/server/domain/webhook-requests";
import {
  createWebhookSchema,
  eventMatches,
  updateWebhookSchema,
  webhookEventPatternSchema,
} from "@/server/domain/webhooks";

describe("event patterns", () => {
  it.each([
    [["rollback.*"], "rollback.proposed", true],
    [["rollback.*"], "rollback.step_advanced", true],
    [["rollback.*"], "rollback", false],
    [["rollback.*"], "rollbacks.proposed", false],
    [["rollback.*"], "config.changed", false],
    [["config.changed"], "config.changed", true],
    [["config.changed"], "config.changed_later", false],
    [["config.*"], "config.changed", true],
    [["emergency_stop.*", "config.changed"], "emergency_stop.lifted", true],
    [["*"], "verdict.breach", true],
    [[], "rollback.proposed", false],
  ])("%j matches %s: %s", (patterns, event, expected) => {
    expect(eventMatches(patterns, event)).toBe(expected);
  });

  it("accept names, prefixes and *, lower-cased; refuse anything else", () => {
    expect(webhookEventPatternSchema.parse(" Rollback.* ")).toBe("rollback.*");
    for (const valid of ["*", "config.changed", "emergency_stop.*", "a.b.c"]) {
      expect(webhookEventPatternSchema.safeParse(valid).success).toBe(true);
    }
    for (const invalid of ["", "rollback.**", "*.proposed", "rollback*", ".rollback", "rollback.", "roll back.*"]) {
      expect(webhookEventPatternSchema.safeParse(invalid).success).toBe(false);
    }
  });

  it("Slack hears everything but config.changed and audit.checkpoint", () => {
    expect(slackReceives("config.changed")).toBe(false);
    expect(slackReceives("audit.checkpoint")).toBe(false);
    expect(slackReceives("rollback.completed")).toBe(true);
    expect(slackReceives("emergency_stop.activated")).toBe(true);
  });
});

describe("endpoint input", () => {
  it("needs a name, an http(s) URL and at least one event, deduplicated", () => {
    expect(
      createWebhookSchema.parse({
        name: " Pager ",
        url: "https://hooks.example.com/rewind",
        events: ["rollback.*", "ROLLBACK.*"],
      }),
    ).toEqual({ name: "Pager", url: "https://hooks.example.com/rewind", events: ["rollback.*"], enabled: true });
    const result = createWebhookSchema.safeParse({ name: "", url: "file:///etc/passwd", events: [] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["name", "url", "events"]);
    expect(updateWebhookSchema.parse({ id: "w1", enabled: false })).toEqual({ id: "w1", enabled: false });
  });
});

describe("webhook requests", () => {
  const now = new Date("2026-09-01T12:00:00.500Z");
  const notification = {
    id: "n1",
    event: "rollback.completed",
    severity: "RESOLVED",
    title: "Rollback of chat completed",
    body: "v1 is current",
    targetId: "t1",
    rollbackId: "r1",
    payload: { trafficPercent: 100 },
    createdAt: new Date("2026-09-01T11:59:00Z"),
  };

  it("carry the notification as JSON in a fixed field order", () => {
    expect(webhookBody(notification)).toBe(
      '{"id":"n1","event":"rollback.completed","severity":"RESOLVED","title":"Rollback of chat completed",' +
        '"body":"v1 is current","targetId":"t1","rollbackId":"r1","payload":{"trafficPercent":100},' +
        '"createdAt":"2026-09-01T11:59:00.000Z"}',
    );
  });

  it("are signed exactly like ingestion: HMAC-SHA256 over '<t>.<raw body>', whole seconds", () => {
    const rawBody = webhookBody(notification);
    const headers = webhookHeaders({ secret: "rwh_s", rawBody, event: notification.event, deliveryId: "d1", now });
    const t = 1788264000;
    const expected = createHmac("sha256", "rwh_s").update(`${t}.${rawBody}`).digest("hex");
    expect(headers).toEqual({
      "Content-Type": "application/json",
      "User-Agent": "Rewind-Webhooks/1",
      "X-Rewind-Event": "rollback.completed",
      "X-Rewind-Delivery": "d1",
      "X-Rewind-Signature": `t=${t},v1=${expected}`,
    });
    expect(
      verifySignature(headers["X-Rewind-Signature"]!, {
        method: "POST",
        path: "/hook",
        secret: "rwh_s",
        rawBody: Buffer.from(rawBody),
        now,
      }),
    ).toMatchObject({ timestampSeconds: t });
  });
});
