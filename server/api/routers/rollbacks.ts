import "server-only";
import { z } from "zod";
import {
  abortRollback,
  approveRollback,
  cancelRollback,
  rejectRollback,
  requestManualRollback,
} from "../../services/rollbacks/commands";
import { getIncidentReport } from "../../services/rollbacks/incident-report";
import { listRollbackActors, listRollbacks, rollbackSummary } from "../../services/rollbacks/history";
import { getIncident, listRollbackTimelines } from "../../services/rollbacks/timeline";
import { countPendingRollbacks, getRollbackView, listPendingRollbacks } from "../../services/rollbacks/views";
import {
  approveInputSchema,
  manualRollbackInputSchema,
  reasonActionInputSchema,
  rejectInputSchema,
  rollbackFilterSchema,
  rollbackListSchema,
} from "../../domain/rollback-inputs";
import { incidentReportInputSchema } from "../../domain/incident-report";
import { incidentInputSchema, timelineRangeSchema } from "../../domain/rollback-timeline";
import { metricSettings } from "../../settings";
import { approverProcedure, createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const rollbacksRouter = createTRPCRouter({
  list: protectedProcedure.input(rollbackListSchema).query(({ ctx, input }) => listRollbacks(ctx.db, input)),
  summary: protectedProcedure.input(rollbackFilterSchema).query(({ ctx, input }) => rollbackSummary(ctx.db, input)),
  actors: protectedProcedure.query(({ ctx }) => listRollbackActors(ctx.db)),
  pending: protectedProcedure.query(({ ctx }) => listPendingRollbacks(ctx.db)),
  /** Just the number waiting, for the nav badge on every page (the queue itself is heavier). */
  pendingCount: protectedProcedure.query(({ ctx }) => countPendingRollbacks(ctx.db)),
  byId: protectedProcedure
    .input(z.object({ rollbackId: z.string() }))
    .query(({ ctx, input }) => getRollbackView(ctx.db, input.rollbackId)),
  /** A target's rollbacks overlapping a chart's range, each with its timeline (steps, completion, verification). */
  timelines: protectedProcedure
    .input(timelineRangeSchema)
    .query(({ ctx, input }) => listRollbackTimelines(ctx.db, input)),
  /** The range a chart zooms on: a target's active or recent rollback (null for none), or a given rollback. */
  incident: protectedProcedure
    .input(incidentInputSchema)
    .query(({ ctx, input }) => getIncident(ctx.db, input, ctx.now)),
  /** An ended rollback's incident report: the page's content, its Markdown export and the charts' data. */
  report: protectedProcedure
    .input(incidentReportInputSchema)
    .query(({ ctx, input }) =>
      getIncidentReport(ctx.db, input, { now: ctx.now, bucketWidthMs: metricSettings.bucketWidthMs }),
    ),
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
