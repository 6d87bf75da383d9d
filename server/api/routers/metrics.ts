import "server-only";
import { z } from "zod";
import { targetRangeShape } from "../../domain/metrics";
import { metricSeries, metricsSummary } from "../../services/metrics/buckets";
import { metricSettings } from "../../settings";
import { createTRPCRouter, protectedProcedure } from "../trpc";

const rangeInput = z.object(targetRangeShape);

export const metricsRouter = createTRPCRouter({
  summary: protectedProcedure.input(rangeInput).query(({ ctx, input }) => metricsSummary(ctx.db, input)),
  series: protectedProcedure
    .input(rangeInput.extend({ maxPoints: z.number().optional() }))
    .query(({ ctx, input }) => metricSeries(ctx.db, input, metricSettings)),
});
