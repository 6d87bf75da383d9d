// Settings → Notifications for the channels an admin configures (Slack, PagerDuty): save, clear and test
// each one through its registry entry, and the state of them all for the settings page. Secrets never
// leave the server; webhook endpoints have their own service (webhook-endpoints.ts).
import "server-only";
import type { Db } from "../../db";
import { AppError } from "../../domain/errors";
import { apiKeyEncryptionKey } from "../../env.js";
import { actorIdOf, appendAudit, type Actor } from "../audit/audit-log";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";
import { appUrl } from "./app-url";
import {
  channelById,
  channelList,
  channelSettingsSchema,
  configurableChannelSchema,
  type ChannelSettingsInput,
  type ChannelSettingsViews,
  type ConfigurableChannelId,
} from "./channels/registry";
import type { Send } from "./channels/http";
import type { ChannelSettings, ChannelSettingsView, NotificationChannel } from "./channels/types";
import type { z } from "zod";

interface Options {
  now: Date;
  encryptionKey?: Buffer;
}

function configurable(id: string): {
  channel: NotificationChannel;
  settings: ChannelSettings<z.ZodType, ChannelSettingsView>;
} {
  const channel = channelById(id);
  if (!channel?.settings) throw new AppError("NOT_FOUND", `No channel ${id} with settings`);
  return { channel, settings: channel.settings };
}

/** Saves one channel's settings (validated by its schema); audited without the secret. */
export async function configureChannel(
  db: Db,
  { actor, ...input }: ChannelSettingsInput & { actor: Actor },
  options: Options,
): Promise<void> {
  const parsed = parseInput(channelSettingsSchema, input);
  const { settings } = configurable(parsed.channel);
  const encryptionKey = () => options.encryptionKey ?? apiKeyEncryptionKey();
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const after = await settings.save(tx, parsed, { actorId: actorIdOf(actor), encryptionKey });
      await appendAudit(
        tx,
        {
          actor,
          action: `settings.${settings.auditName}_set`,
          entityType: "Setting",
          entityId: settings.settingKey,
          ...(after ? { after } : {}),
        },
        options.now,
      );
    }),
  );
}

/** Removes one channel's settings: it stops getting notifications; what was queued for it waits. */
export async function clearChannel(
  db: Db,
  { actor, ...input }: { actor: Actor; channel: string },
  options: Options,
): Promise<void> {
  const { channel } = parseInput(configurableChannelSchema, input);
  const { settings } = configurable(channel);
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      await settings.clear(tx);
      await appendAudit(
        tx,
        {
          actor,
          action: `settings.${settings.auditName}_cleared`,
          entityType: "Setting",
          entityId: settings.settingKey,
        },
        options.now,
      );
    }),
  );
}

/** Sends a test message to one channel now; the error says why it failed. */
export async function testChannel(
  db: Db,
  input: { channel: string },
  options: Options & { send?: Send },
): Promise<void> {
  const { channel: id } = parseInput(configurableChannelSchema, input);
  const { channel, settings } = configurable(id);
  try {
    await settings.test({
      db,
      now: options.now,
      appUrl: appUrl(),
      encryptionKey: () => options.encryptionKey ?? apiKeyEncryptionKey(),
      send: options.send ?? channel.send,
    });
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError(
      "PRECONDITION_FAILED",
      `${channel.label} did not accept the test message: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Where notifications go, for the settings page: each channel's state (never a secret) and the backlog. */
export async function notificationSettings(db: Db) {
  const [views, counts, webhooks] = await Promise.all([
    Promise.all(
      channelList.flatMap((channel) =>
        channel.settings ? [channel.settings.view(db).then((view) => [channel.id, view] as const)] : [],
      ),
    ),
    db.notificationDelivery.groupBy({
      by: ["channel", "status"],
      where: { status: { in: ["PENDING", "DEAD"] } },
      _count: { _all: true },
    }),
    db.webhookEndpoint.count(),
  ]);
  const count = (status: string, channel?: string) =>
    counts
      .filter((row) => row.status === status && (channel === undefined || row.channel === channel))
      .reduce((sum, row) => sum + row._count._all, 0);
  return {
    channels: Object.fromEntries(
      views.map(([id, view]) => [id, { ...view, pending: count("PENDING", id), dead: count("DEAD", id) }]),
    ) as { [Id in ConfigurableChannelId]: ChannelSettingsViews[Id] & { pending: number; dead: number } },
    pending: count("PENDING"),
    dead: count("DEAD"),
    webhooks,
  };
}

// The Slack procedures the dashboard had before the registry (notifications.setSlackWebhook, .sendTest).

/** Saves (or with null clears) the Slack webhook URL. */
export async function setSlackWebhook(db: Db, input: { actor: Actor; url: string | null }, now: Date): Promise<void> {
  if (input.url === null) return clearChannel(db, { actor: input.actor, channel: "SLACK" }, { now });
  return configureChannel(db, { actor: input.actor, channel: "SLACK", url: input.url }, { now });
}

export function sendTestMessage(db: Db, options: { send?: Send; now?: Date } = {}): Promise<void> {
  return testChannel(db, { channel: "SLACK" }, { now: options.now ?? new Date(), ...options });
}
