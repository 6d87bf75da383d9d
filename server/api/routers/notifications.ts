import { z } from "zod";
import { userActor } from "../../services/audit";
import {
  listDeadLetters,
  notificationSettings,
  retryDeadLetter,
  sendTestMessage,
  setSlackWebhook,
} from "../../services/notifier";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const notificationsRouter = createTRPCRouter({
  settings: adminProcedure.query(({ ctx }) => notificationSettings(ctx.db)),
  deadLetters: adminProcedure.query(({ ctx }) => listDeadLetters(ctx.db)),
  retry: adminProcedure
    .input(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) =>
      retryDeadLetter(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
  setSlackWebhook: adminProcedure
    .input(z.object({ url: z.string().nullable() }))
    .mutation(({ ctx, input }) =>
      setSlackWebhook(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
  sendTest: adminProcedure.mutation(({ ctx }) => sendTestMessage(ctx.db)),
});
