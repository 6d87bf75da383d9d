import { z } from "zod";
import {
  abortRollback,
  approveRollback,
  cancelRollback,
  getRollback,
  listRollbacks,
  rejectRollback,
  requestManualRollback,
} from "../../services/rollbacks";
import {
  approveInputSchema,
  manualRollbackInputSchema,
  reasonActionInputSchema,
  rejectInputSchema,
  rollbackListSchema,
} from "../../domain/rollback";
import { userActor } from "../../services/audit";
import { approverProcedure, createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const rollbacksRouter = createTRPCRouter({
  list: protectedProcedure.input(rollbackListSchema).query(({ ctx, input }) => listRollbacks(ctx.db, input)),
  byId: protectedProcedure
    .input(z.object({ rollbackId: z.string() }))
    .query(({ ctx, input }) => getRollback(ctx.db, input.rollbackId)),
  requestManual: operatorProcedure
    .input(manualRollbackInputSchema)
    .mutation(({ ctx, input }) =>
      requestManualRollback(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
  approve: approverProcedure
    .input(approveInputSchema)
    .mutation(({ ctx, input }) =>
      approveRollback(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now()),
    ),
  reject: approverProcedure
    .input(rejectInputSchema)
    .mutation(({ ctx, input }) => rejectRollback(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now())),
  cancel: approverProcedure
    .input(reasonActionInputSchema)
    .mutation(({ ctx, input }) => cancelRollback(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now())),
  abort: approverProcedure
    .input(reasonActionInputSchema)
    .mutation(({ ctx, input }) => abortRollback(ctx.db, { actor: userActor(ctx.user.id), ...input }, ctx.clock.now())),
});
