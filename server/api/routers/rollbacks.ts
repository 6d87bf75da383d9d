import "server-only";
import { z } from "zod";
import {
  abortRollback,
  approveRollback,
  cancelRollback,
  rejectRollback,
  requestManualRollback,
} from "../../services/rollbacks/commands";
import { exportRollbacks, listRollbackActors, listRollbacks, rollbackSummary } from "../../services/rollbacks/history";
import { getRollbackView, listPendingRollbacks } from "../../services/rollbacks/views";
import {
  approveInputSchema,
  manualRollbackInputSchema,
  reasonActionInputSchema,
  rejectInputSchema,
  rollbackExportSchema,
  rollbackFilterSchema,
  rollbackListSchema,
} from "../../domain/rollback-inputs";
import { approverProcedure, createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const rollbacksRouter = createTRPCRouter({
  list: protectedProcedure.input(rollbackListSchema).query(({ ctx, input }) => listRollbacks(ctx.db, input)),
  summary: protectedProcedure.input(rollbackFilterSchema).query(({ ctx, input }) => rollbackSummary(ctx.db, input)),
  export: protectedProcedure.input(rollbackExportSchema).query(({ ctx, input }) => exportRollbacks(ctx.db, input)),
  actors: protectedProcedure.query(({ ctx }) => listRollbackActors(ctx.db)),
  pending: protectedProcedure.query(({ ctx }) => listPendingRollbacks(ctx.db)),
  byId: protectedProcedure
    .input(z.object({ rollbackId: z.string() }))
    .query(({ ctx, input }) => getRollbackView(ctx.db, input.rollbackId)),
  requestManual: operatorProcedure
    .input(manualRollbackInputSchema)
    .mutation(({ ctx, input }) => requestManualRollback(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  approve: approverProcedure
    .input(approveInputSchema)
    .mutation(({ ctx, input }) => approveRollback(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  reject: approverProcedure
    .input(rejectInputSchema)
    .mutation(({ ctx, input }) => rejectRollback(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  cancel: approverProcedure
    .input(reasonActionInputSchema)
    .mutation(({ ctx, input }) => cancelRollback(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  abort: approverProcedure
    .input(reasonActionInputSchema)
    .mutation(({ ctx, input }) => abortRollback(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
});
