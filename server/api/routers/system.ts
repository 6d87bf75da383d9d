import { reasonInputSchema } from "../../domain/audit";
import { userActor } from "../../services/audit/audit-log";
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
    .mutation(({ ctx, input }) =>
      activateEmergencyStop(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
  liftEmergencyStop: approverProcedure
    .input(reasonInputSchema)
    .mutation(({ ctx, input }) =>
      liftEmergencyStop(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
  /** Maintenance is an operator's call, like turning one target's monitoring off. */
  pauseMonitoring: operatorProcedure
    .input(reasonInputSchema)
    .mutation(({ ctx, input }) =>
      pauseMonitoring(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
  resumeMonitoring: operatorProcedure
    .input(reasonInputSchema)
    .mutation(({ ctx, input }) =>
      resumeMonitoring(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
});
