import { lastCycleSummary, runMonitoringCycle } from "../../services/monitoring-cycle";
import { metricSettings } from "../../settings";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const cycleRouter = createTRPCRouter({
  /** Runs one monitoring cycle now; the cron route and the scheduler run it on a schedule. */
  run: operatorProcedure.mutation(({ ctx }) => runMonitoringCycle(ctx.db, { now: ctx.clock.now(), ...metricSettings })),
  /** The last cycle this server instance ran, or null. */
  status: protectedProcedure.query(() => lastCycleSummary()),
});
