import { z } from "zod";
import { createWebhookSchema, updateWebhookSchema } from "../../domain/webhooks";
import { apiKeyEncryptionKey } from "../../env.js";
import { userActor } from "../../services/audit/audit-log";
import {
  listDeadLetters,
  notificationSettings,
  retryDeadLetter,
  sendTestMessage,
  setSlackWebhook,
} from "../../services/notifications/delivery";
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
    .mutation(({ ctx, input }) =>
      retryDeadLetter(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
  setSlackWebhook: adminProcedure
    .input(z.object({ url: z.string().nullable() }))
    .mutation(({ ctx, input }) =>
      setSlackWebhook(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
  sendTest: adminProcedure.mutation(({ ctx }) => sendTestMessage(ctx.db)),
  /** Outbound webhook endpoints, never their secrets. */
  webhooks: adminProcedure.query(({ ctx }) => listWebhookEndpoints(ctx.db)),
  /** The signing secret is in this response only. */
  createWebhook: adminProcedure
    .input(createWebhookSchema)
    .mutation(({ ctx, input }) =>
      createWebhookEndpoint(
        ctx.db,
        { actor: userActor(ctx.user.id), ...input },
        { now: ctx.clock.now(), encryptionKey: apiKeyEncryptionKey() },
      ),
    ),
  updateWebhook: adminProcedure
    .input(updateWebhookSchema)
    .mutation(({ ctx, input }) =>
      updateWebhookEndpoint(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
  deleteWebhook: adminProcedure
    .input(idInput)
    .mutation(({ ctx, input }) =>
      deleteWebhookEndpoint(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
  /** Sends a signed webhook.test event to one endpoint now. */
  testWebhook: adminProcedure
    .input(idInput)
    .mutation(({ ctx, input }) => sendWebhookTest(ctx.db, input, { now: ctx.clock.now() })),
});
