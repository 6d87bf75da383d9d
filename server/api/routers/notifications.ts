import "server-only";
import { z } from "zod";
import { slackAppSecretSchema, slackAppSettingsSchema } from "../../domain/notification-channels";
import { createWebhookSchema, updateWebhookSchema } from "../../domain/webhooks";
import { apiKeyEncryptionKey } from "../../env.js";
import {
  clearChannel,
  configureChannel,
  notificationSettings,
  sendTestMessage,
  setSlackWebhook,
  testChannel,
} from "../../services/notifications/channel-settings";
import { channelSettingsSchema, configurableChannelSchema } from "../../services/notifications/channels/registry";
import { clearSlackAppSecret, configureSlackApp, slackAppView } from "../../services/notifications/channels/slack-app";
import { listDeadLetters, retryDeadLetter } from "../../services/notifications/delivery";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookEndpoints,
  sendWebhookTest,
  updateWebhookEndpoint,
} from "../../services/notifications/webhook-endpoints";
import { adminProcedure, createTRPCRouter } from "../trpc";

const idInput = z.object({ id: z.string() });

export const notificationsRouter = createTRPCRouter({
  settings: adminProcedure.query(({ ctx }) => notificationSettings(ctx.db)),
  /** Given-up deliveries, one per notification and channel. */
  deadLetters: adminProcedure.query(({ ctx }) => listDeadLetters(ctx.db)),
  /** Retries one dead delivery (its channel only). */
  retry: adminProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => retryDeadLetter(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  setSlackWebhook: adminProcedure
    .input(z.object({ url: z.string().nullable() }))
    .mutation(({ ctx, input }) => setSlackWebhook(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  sendTest: adminProcedure.mutation(({ ctx }) => sendTestMessage(ctx.db, { now: ctx.now })),
  /** Saves one channel's settings (Slack, PagerDuty); a secret in them never comes back from `settings`. */
  configureChannel: adminProcedure
    .input(channelSettingsSchema)
    .mutation(({ ctx, input }) => configureChannel(ctx.db, { actor: ctx.actor, ...input }, { now: ctx.now })),
  clearChannel: adminProcedure
    .input(configurableChannelSchema)
    .mutation(({ ctx, input }) => clearChannel(ctx.db, { actor: ctx.actor, ...input }, { now: ctx.now })),
  /** Sends a test message (PagerDuty: a test alert, resolved at once) to one channel now. */
  testChannel: adminProcedure
    .input(configurableChannelSchema)
    .mutation(({ ctx, input }) => testChannel(ctx.db, input, { now: ctx.now })),
  /** The Slack app of approvals from Slack: whether its signing secret and bot token are set, never them. */
  slackApp: adminProcedure.query(({ ctx }) => slackAppView(ctx.db)),
  configureSlackApp: adminProcedure
    .input(slackAppSettingsSchema)
    .mutation(({ ctx, input }) =>
      configureSlackApp(
        ctx.db,
        { actor: ctx.actor, ...input },
        { now: ctx.now, encryptionKey: () => apiKeyEncryptionKey() },
      ),
    ),
  clearSlackAppSecret: adminProcedure
    .input(slackAppSecretSchema)
    .mutation(({ ctx, input }) => clearSlackAppSecret(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  /** Outbound webhook endpoints, never their secrets. */
  webhooks: adminProcedure.query(({ ctx }) => listWebhookEndpoints(ctx.db)),
  /** The signing secret is in this response only. */
  createWebhook: adminProcedure
    .input(createWebhookSchema)
    .mutation(({ ctx, input }) =>
      createWebhookEndpoint(
        ctx.db,
        { actor: ctx.actor, ...input },
        { now: ctx.now, encryptionKey: apiKeyEncryptionKey() },
      ),
    ),
  updateWebhook: adminProcedure
    .input(updateWebhookSchema)
    .mutation(({ ctx, input }) => updateWebhookEndpoint(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  deleteWebhook: adminProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => deleteWebhookEndpoint(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  /** Sends a signed webhook.test event to one endpoint now. */
  testWebhook: adminProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => sendWebhookTest(ctx.db, input, { now: ctx.now })),
});
