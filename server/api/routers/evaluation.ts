import "server-only";
import { z } from "zod";
import { listVerdicts, runEvaluationPass } from "../../services/monitoring/evaluation";
import { listVerdictPeriods } from "../../services/monitoring/verdict-periods";
import { metricSettings } from "../../settings";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const evaluationRouter = createTRPCRouter({
  /** Runs one evaluation pass now; the monitoring cycle's cron route will do this on a schedule. */
  runPass: operatorProcedure.mutation(({ ctx }) => runEvaluationPass(ctx.db, { now: ctx.now, ...metricSettings })),
  verdicts: protectedProcedure
    .input(z.object({ targetId: z.string(), limit: z.number().optional() }))
    .query(({ ctx, input }) => listVerdicts(ctx.db, input)),
  /** Violation and breach periods over a range of up to 7 days, for charts to shade. */
  periods: protectedProcedure
    .input(z.object({ targetId: z.string(), from: z.date(), to: z.date() }))
    .query(({ ctx, input }) => listVerdictPeriods(ctx.db, input, ctx.now)),
});
