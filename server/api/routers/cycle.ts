import { CYCLE_LEASE, recentCycleRuns, runCycleUnderLease } from "../../services/cycle-runner";
import { currentLease } from "../../services/lease";
import { metricSettings } from "../../settings";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const cycleRouter = createTRPCRouter({
  /** Runs one monitoring cycle now, under the same lease as the cron route and the scheduler. */
  run: operatorProcedure.mutation(({ ctx }) =>
    runCycleUnderLease(ctx.db, { trigger: "manual", now: () => ctx.clock.now(), ...metricSettings }),
  ),
  /** The last cycles (any instance) and who holds the lease. */
  status: protectedProcedure.query(async ({ ctx }) => ({
    runs: await recentCycleRuns(ctx.db),
    lease: await currentLease(ctx.db, CYCLE_LEASE),
  })),
});
