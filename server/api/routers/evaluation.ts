import { z } from "zod";
import { listVerdicts, runEvaluationPass } from "../../services/evaluation";
import { metricSettings } from "../../settings";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const evaluationRouter = createTRPCRouter({
  /** Runs one evaluation pass now; the monitoring cycle's cron route will do this on a schedule. */
  runPass: operatorProcedure.mutation(({ ctx }) =>
    runEvaluationPass(ctx.db, { now: ctx.clock.now(), ...metricSettings }),
  ),
  verdicts: protectedProcedure
    .input(z.object({ targetId: z.string(), limit: z.number().optional() }))
    .query(({ ctx, input }) => listVerdicts(ctx.db, input)),
});
