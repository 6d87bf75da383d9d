import "server-only";
import { recentCycleRuns, runCycleUnderLease } from "../../services/monitoring/cycle-lease";
import { CYCLE_LEASE } from "../../services/platform/lease";
import { currentLease } from "../../services/platform/lease";
import { metricSettings, schedulerSettings } from "../../settings";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const cycleRouter = createTRPCRouter({
  /**
   * Runs one monitoring cycle now, under the same lease as the cron route and the scheduler. The one place
   * that takes the clock rather than `ctx.now`: the run records when it finished and holds the lease until then.
   */
  run: operatorProcedure.mutation(({ ctx }) =>
    runCycleUnderLease(ctx.db, { trigger: "manual", now: () => ctx.clock.now(), ...metricSettings }),
  ),
  /** The last cycles (any instance), who holds the lease, and how this instance triggers cycles. */
  status: protectedProcedure.query(async ({ ctx }) => ({
    runs: await recentCycleRuns(ctx.db),
    lease: await currentLease(ctx.db, CYCLE_LEASE),
    scheduler: schedulerSettings,
    now: ctx.now,
  })),
});
