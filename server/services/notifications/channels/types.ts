// The interface every notification channel implements; server/services/notifications/channels/registry.ts
// lists them and the notifier, the dead letters and the settings iterate over that list.
import "server-only";
import type { z } from "zod";
import type { Db, Tx } from "../../../db";
import type { JsonValue } from "../../../domain/canonical-json";
import type { ChannelNotification } from "../../../domain/notification-channels";
import type { OutboundRequest, Send } from "./http";

export interface ChannelContext {
  db: Db;
  now: Date;
  /** The dashboard's base URL (APP_URL), without a trailing slash: links in messages point there. */
  appUrl: string;
  /** Read when a secret is opened, inside the attempt: a missing key fails that delivery, not the run. */
  encryptionKey: () => Buffer;
}

/**
 * One destination of a channel: Slack's webhook, PagerDuty's service, one webhook endpoint. Its deliveries
 * are one lane of the outbox, keyed by (channel, endpointId): sent in order, retried on their own.
 */
export interface ChannelLane {
  /** The endpoint of a WEBHOOK lane; null for a channel with one destination. Stored on the delivery row. */
  endpointId: string | null;
  /** Whether a notification gets a delivery on this lane (decided once, when it is dispatched). */
  receives(notification: { event: string; severity: string }): boolean;
  /** The request of one attempt, built anew each time (settings may have changed since the last). */
  request(notification: ChannelNotification, deliveryId: string): OutboundRequest | Promise<OutboundRequest>;
}

/** The public state of a channel's settings: never a secret. */
export interface ChannelSettingsView {
  configured: boolean;
}

/** A channel an admin configures in Settings → Notifications (one set of settings, kept in `Setting`). */
export interface ChannelSettings<Schema extends z.ZodType, View extends ChannelSettingsView> {
  /** Audited as settings.<auditName>_set and settings.<auditName>_cleared… */
  auditName: string;
  /** …on the `Setting` row that keeps them. */
  settingKey: string;
  /** What an admin saves, with `channel` as discriminator; shared with the form (server/domain). */
  schema: Schema;
  view(db: Db): Promise<View>;
  /** Stores validated settings; returns what the audit history may keep of them (no secret). */
  save(
    tx: Tx,
    input: z.output<Schema>,
    options: { actorId: string | null; encryptionKey: () => Buffer },
  ): Promise<{ [key: string]: JsonValue } | null>;
  clear(tx: Tx): Promise<void>;
  /** Sends a test message now; throws when it is not configured or the service refused it. */
  test(context: ChannelContext & { send: Send }): Promise<void>;
}

export interface NotificationChannel {
  /** Stored in NotificationDelivery.channel; never renamed, or old rows lose their channel. */
  id: string;
  /** Shown in the dead letters and the settings page. */
  label: string;
  /** The destinations configured now; none when the channel is not set up (its queued deliveries wait). */
  lanes(context: ChannelContext): Promise<ChannelLane[]>;
  /** How a request goes out; what it throws is the delivery's error. */
  send: Send;
  // The view type is erased here: registry.ts keeps each channel's own types for the settings router.
  settings?: ChannelSettings<z.ZodType, ChannelSettingsView>;
}
