// Every notification channel, one entry each. The notifier (dispatch, delivery, dead letters) and the
// settings iterate over this; adding a channel is a file in this folder and a line here (docs/ARCHITECTURE.md,
// "Notifications").
import "server-only";
import { z } from "zod";
import type { ChannelSettings, ChannelSettingsView, NotificationChannel } from "./types";
import { pagerDutyChannel } from "./pagerduty";
import { slackChannel } from "./slack";
import { webhookChannel } from "./webhook";

export const notificationChannels = {
  SLACK: slackChannel,
  WEBHOOK: webhookChannel,
  PAGERDUTY: pagerDutyChannel,
} satisfies { [Id in string]: NotificationChannel & { id: Id } };

type Registry = typeof notificationChannels;
export type ChannelId = keyof Registry;

export const channelList: readonly NotificationChannel[] = Object.values(notificationChannels);

export function channelById(id: string): NotificationChannel | null {
  return Object.hasOwn(notificationChannels, id) ? notificationChannels[id as ChannelId] : null;
}

/** The channels an admin configures in Settings → Notifications. */
export type ConfigurableChannelId = {
  [Id in ChannelId]: Registry[Id] extends { settings: object } ? Id : never;
}[ChannelId];

type ViewOf<Channel> = Channel extends { settings: ChannelSettings<z.ZodType, infer View extends ChannelSettingsView> }
  ? View
  : never;

export type ChannelSettingsViews = { [Id in ConfigurableChannelId]: ViewOf<Registry[Id]> };

/** What `notifications.configureChannel` takes: one channel's settings, told apart by `channel`. */
export const channelSettingsSchema = z.discriminatedUnion("channel", [
  notificationChannels.SLACK.settings.schema,
  notificationChannels.PAGERDUTY.settings.schema,
]);
export type ChannelSettingsInput = z.input<typeof channelSettingsSchema>;

export const configurableChannelSchema = z.object({
  channel: z.custom<ConfigurableChannelId>(
    (value) => typeof value === "string" && channelById(value)?.settings !== undefined,
    "Choose a channel that has settings",
  ),
});
