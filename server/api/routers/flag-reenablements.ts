// Gradual re-enablement of kill switches after a verified emergency rollback (docs/ROLLBACKS.md).
import "server-only";
import { cancelReenablementSchema, startReenablementSchema } from "../../domain/flag-reenablement";
import { cancelReenablement, reenablementOverview, startReenablement } from "../../services/config/flag-reenablement";
import { metricSettings } from "../../settings";
import { approverProcedure, createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const flagReenablementsRouter = createTRPCRouter({
  overview: protectedProcedure.query(({ ctx }) => reenablementOverview(ctx.db)),
  start: operatorProcedure
    .input(startReenablementSchema)
    .mutation(({ ctx, input }) =>
      startReenablement(
        ctx.db,
        { actor: ctx.actor, ...input },
        { now: ctx.now, bucketWidthMs: metricSettings.bucketWidthMs },
      ),
    ),
  cancel: approverProcedure
    .input(cancelReenablementSchema)
    .mutation(({ ctx, input }) => cancelReenablement(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
});
