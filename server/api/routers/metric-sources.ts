// Settings → Integrations → Pulled metrics: each target's Prometheus or CloudWatch source, its last pull, and a
// test pull of a form's settings. Admins only; secrets go in and never come out. docs/INTEGRATIONS.md.
import "server-only";
import { z } from "zod";
import type { MetricSourceInput } from "../../domain/pulled-sources/config";
import { apiKeyEncryptionKey } from "../../env.js";
import {
  deleteMetricSource,
  getMetricSource,
  listMetricSources,
  saveMetricSource,
} from "../../services/pulled-sources/metric-sources";
import { testMetricSource } from "../../services/pulled-sources/pull";
import { metricSettings } from "../../settings";
import { adminProcedure, createTRPCRouter } from "../trpc";

const targetInput = z.object({ targetId: z.string().min(1, "Choose a target") });
// The service validates the source (metricSourceInputSchema), so its issues are keyed as the machine API's are
// ("config.url", "secretAccessKey") whichever way it came in; this only types it for the client.
const sourceInput = targetInput.extend({ source: z.custom<MetricSourceInput>() });
const encryptionKey = () => apiKeyEncryptionKey();

export const metricSourcesRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listMetricSources(ctx.db)),
  byTarget: adminProcedure.input(targetInput).query(({ ctx, input }) => getMetricSource(ctx.db, input.targetId)),
  /** Creates or replaces the target's source; audited as metric_source.saved. */
  save: adminProcedure
    .input(sourceInput)
    .mutation(({ ctx, input }) =>
      saveMetricSource(ctx.db, { actor: ctx.actor, ...input }, { now: ctx.now, encryptionKey }),
    ),
  /** Audited as metric_source.deleted. */
  remove: adminProcedure
    .input(targetInput)
    .mutation(({ ctx, input }) => deleteMetricSource(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  /** Pulls the form's settings once; saves and records nothing. */
  test: adminProcedure
    .input(sourceInput)
    .mutation(({ ctx, input }) =>
      testMetricSource(ctx.db, input, { now: ctx.now, bucketWidthMs: metricSettings.bucketWidthMs, encryptionKey }),
    ),
});
