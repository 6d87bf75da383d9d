import "server-only";
import { z } from "zod";
import { createFlagSchema, setFlagEnabledSchema, setFlagPercentSchema, updateFlagSchema } from "../../domain/flags";
import { createFlag, listFlags, setFlagEnabled, setFlagPercent, updateFlag } from "../../services/config/flags";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const flagsRouter = createTRPCRouter({
  list: protectedProcedure
    .input(z.object({ targetId: z.string().optional() }).default({}))
    .query(({ ctx, input }) => listFlags(ctx.db, input)),
  create: operatorProcedure
    .input(createFlagSchema)
    .mutation(({ ctx, input }) => createFlag(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  update: operatorProcedure
    .input(updateFlagSchema)
    .mutation(({ ctx, input }) => updateFlag(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  setEnabled: operatorProcedure
    .input(setFlagEnabledSchema)
    .mutation(({ ctx, input }) => setFlagEnabled(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  setPercent: operatorProcedure
    .input(setFlagPercentSchema)
    .mutation(({ ctx, input }) => setFlagPercent(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
});
