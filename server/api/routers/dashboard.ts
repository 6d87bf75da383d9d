import "server-only";
import { getOverview } from "../../services/dashboard/overview";
import { metricSettings } from "../../settings";
import { createTRPCRouter, protectedProcedure } from "../trpc";

export const dashboardRouter = createTRPCRouter({
  /** Every target worst first, with the system switches: what the overview page polls. */
  overview: protectedProcedure.query(({ ctx }) =>
    getOverview(ctx.db, { now: ctx.now, bucketWidthMs: metricSettings.bucketWidthMs }),
  ),
});
