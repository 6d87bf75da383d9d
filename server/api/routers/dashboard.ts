import "server-only";
import { overviewViewSchema } from "../../domain/overview";
import { getOverview } from "../../services/dashboard/overview";
import { metricSettings } from "../../settings";
import { createTRPCRouter, protectedProcedure } from "../trpc";

export const dashboardRouter = createTRPCRouter({
  /** Every target counted by group, a page of those the search and group match, and the system switches. */
  overview: protectedProcedure
    .input(overviewViewSchema.optional())
    .query(({ ctx, input }) =>
      getOverview(ctx.db, { now: ctx.now, bucketWidthMs: metricSettings.bucketWidthMs }, input),
    ),
});
