import "server-only";
import { reasonInputSchema } from "../../domain/audit";
import {
  activateEmergencyStop,
  getSystemState,
  liftEmergencyStop,
  pauseMonitoring,
  resumeMonitoring,
} from "../../services/config/system-switches";
import { approverProcedure, createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const systemRouter = createTRPCRouter({
  state: protectedProcedure.query(({ ctx }) => getSystemState(ctx.db)),
  emergencyStop: approverProcedure
    .input(reasonInputSchema)
    .mutation(({ ctx, input }) => activateEmergencyStop(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  liftEmergencyStop: approverProcedure
    .input(reasonInputSchema)
    .mutation(({ ctx, input }) => liftEmergencyStop(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  /** Maintenance is an operator's call, like turning one target's monitoring off. */
  pauseMonitoring: operatorProcedure
    .input(reasonInputSchema)
    .mutation(({ ctx, input }) => pauseMonitoring(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  resumeMonitoring: operatorProcedure
    .input(reasonInputSchema)
    .mutation(({ ctx, input }) => resumeMonitoring(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
});
