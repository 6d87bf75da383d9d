import "server-only";
import { z } from "zod";
import { createTargetSchema, setMonitoringSchema, updateTargetSchema } from "../../domain/targets";
import { createTarget, getTargetBySlug, listTargets, setMonitoring, updateTarget } from "../../services/config/targets";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const targetsRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listTargets(ctx.db)),
  bySlug: protectedProcedure
    .input(z.object({ slug: z.string() }))
    .query(({ ctx, input }) => getTargetBySlug(ctx.db, input.slug)),
  create: operatorProcedure
    .input(createTargetSchema)
    .mutation(({ ctx, input }) => createTarget(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  update: operatorProcedure
    .input(updateTargetSchema)
    .mutation(({ ctx, input }) => updateTarget(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  setMonitoring: operatorProcedure
    .input(setMonitoringSchema)
    .mutation(({ ctx, input }) => setMonitoring(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
});
