// Slack: one incoming webhook (saved by an admin, else SLACK_WEBHOOK_URL) that gets every notification but
// config.changed, as Block Kit, with Approve/Reject buttons on rollbacks awaiting approval when a Slack app is
// set up (slack-app.ts). The URL is a credential: the settings page only learns its host.
import "server-only";
import { AppError } from "../../../domain/errors";
import { slackMessage, slackReceives, slackSettingsSchema } from "../../../domain/notification-channels";
import { env } from "../../../env.js";
import type { Db } from "../../../db";
import { post } from "./http";
import { deleteSetting, readSetting, writeSetting } from "./settings-store";
import { slackApprovalsEnabled } from "./slack-app";
import type { ChannelSettings, NotificationChannel } from "./types";

export const SLACK_SETTING = "slack.webhookUrl";

export async function slackWebhookUrl(db: Db): Promise<string | null> {
  return (await readSetting(db, SLACK_SETTING)) ?? env.SLACK_WEBHOOK_URL ?? null;
}

const jsonHeaders = { "Content-Type": "application/json" };

const slackSettings: ChannelSettings<
  typeof slackSettingsSchema,
  { configured: boolean; host: string | null; fromEnvironment: boolean }
> = {
  auditName: "slack_webhook",
  settingKey: SLACK_SETTING,
  schema: slackSettingsSchema,
  async view(db) {
    const saved = await readSetting(db, SLACK_SETTING);
    const url = saved ?? env.SLACK_WEBHOOK_URL ?? null;
    return { configured: url !== null, host: url ? new URL(url).host : null, fromEnvironment: !saved && !!url };
  },
  // The URL itself is a secret and is not audited.
  async save(tx, { url }, { actorId }) {
    await writeSetting(tx, SLACK_SETTING, url, actorId);
    return null;
  },
  clear: (tx) => deleteSetting(tx, SLACK_SETTING),
  async test({ db, appUrl, send }) {
    const url = await slackWebhookUrl(db);
    if (!url) throw new AppError("PRECONDITION_FAILED", "No Slack webhook URL is set");
    const message = slackMessage(
      {
        title: "Test message from Rewind",
        body: "Notifications reach this channel.",
        severity: "INFO",
        rollbackId: null,
      },
      appUrl,
    );
    await send({ url, body: JSON.stringify(message), headers: jsonHeaders });
  },
};

export const slackChannel = {
  id: "SLACK",
  label: "Slack",
  async lanes({ db, appUrl }) {
    // Read once per run: a URL changed mid-run applies from the next one.
    const url = await slackWebhookUrl(db);
    if (!url) return [];
    // Approve/Reject buttons only when their clicks can be verified (a Slack app's signing secret is set).
    const approvalButtons = await slackApprovalsEnabled(db);
    return [
      {
        endpointId: null,
        receives: ({ event }) => slackReceives(event),
        request: (notification) => ({
          url,
          body: JSON.stringify(slackMessage(notification, appUrl, { approvalButtons })),
          headers: jsonHeaders,
        }),
      },
    ];
  },
  send: post,
  settings: slackSettings,
} satisfies NotificationChannel;
