import { z } from "zod";
import { createFlagSchema, setFlagEnabledSchema, updateFlagSchema } from "../../domain/flags";
import { userActor } from "../../services/audit/audit-log";
import { createFlag, listFlags, setFlagEnabled, updateFlag } from "../../services/config/flags";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const flagsRouter = createTRPCRouter({
  list: protectedProcedure
    .input(z.object({ targetId: z.string().optional() }).default({}))
    .query(({ ctx, input }) => listFlags(ctx.db, input)),
  create: operatorProcedure
    .input(createFlagSchema)
    .mutation(({ ctx, input }) => createFlag(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now())),
  update: operatorProcedure
    .input(updateFlagSchema)
    .mutation(({ ctx, input }) => updateFlag(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now())),
  setEnabled: operatorProcedure
    .input(setFlagEnabledSchema)
    .mutation(({ ctx, input }) => setFlagEnabled(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now())),
});
