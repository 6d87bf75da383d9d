import "server-only";
import { z } from "zod";
import { targetRangeShape } from "../../domain/metrics";
import type { PolicyInput } from "../../domain/policy";
import { backtestPolicy, compareBacktests } from "../../services/monitoring/backtest";
import { getPolicy, listPolicyVersions, updatePolicy } from "../../services/config/policies";
import { metricSettings } from "../../settings";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

const targetInput = z.object({ targetId: z.string() });
// The services validate policies themselves, so field issues are keyed as the form's fields ("burnRate.factor").
const draftPolicy = z.custom<PolicyInput>();

export const policiesRouter = createTRPCRouter({
  get: protectedProcedure.input(targetInput).query(({ ctx, input }) => getPolicy(ctx.db, input.targetId)),
  history: protectedProcedure.input(targetInput).query(({ ctx, input }) => listPolicyVersions(ctx.db, input.targetId)),
  update: operatorProcedure
    .input(z.object({ targetId: z.string(), policy: draftPolicy }))
    .mutation(({ ctx, input }) => updatePolicy(ctx.db, { actorId: ctx.user.id, ...input }, ctx.now)),
  backtest: protectedProcedure
    .input(z.object({ ...targetRangeShape, policy: draftPolicy.optional(), cycleSeconds: z.number().optional() }))
    .query(({ ctx, input }) => backtestPolicy(ctx.db, input, metricSettings)),
  /** The editor's backtest: the current policy, the draft and the range's chart from one read of the metrics. */
  backtestComparison: protectedProcedure
    .input(
      z.object({
        ...targetRangeShape,
        policy: draftPolicy.optional(),
        cycleSeconds: z.number().optional(),
        maxPoints: z.number().optional(),
      }),
    )
    .query(({ ctx, input }) => compareBacktests(ctx.db, input, metricSettings)),
});
