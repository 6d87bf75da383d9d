// The OpenAPI responses of a target's pulled metric source (GET/PUT/DELETE /api/v1/targets/{slug}/metric-source):
// Prometheus or CloudWatch, as saved and as last pulled. The request body is the domain's metricSourceInputSchema.
import "server-only";
import { z } from "zod";
import { metricSourceKinds } from "../../domain/pulled-sources/config";
import { sloReadingsShape } from "../../domain/slo";
import { dateTime, id, nullableDateTime } from "./schemas";

export const metricSourceSchema = z
  .object({
    targetId: id,
    kind: z.enum(metricSourceKinds),
    enabled: z
      .boolean()
      .meta({ description: "False: the target is judged on its stored buckets, as without a source." }),
    config: z
      .record(z.string(), z.unknown())
      .meta({ description: 'The kind\'s config as saved (docs/INTEGRATIONS.md, "Pulled metrics"); never a secret.' }),
    secretSet: z
      .boolean()
      .meta({ description: "Whether a bearer token / secret access key is saved. The secret is never returned." }),
    lastPulledAt: nullableDateTime.meta({ description: "The monitoring cycle's last pull, successful or not." }),
    lastReadings: z
      .object({ requestCount: z.number(), readings: z.object(sloReadingsShape) })
      .nullable()
      .meta({ description: "What the last successful pull read." }),
    lastError: z.string().nullable().meta({ description: "Why the last pull failed; null when it succeeded." }),
    savedAt: dateTime,
  })
  .meta({ id: "MetricSource" });

export const metricSourceResponseSchema = z.object({
  source: metricSourceSchema.nullable().meta({ description: "Null: the target has no pulled source." }),
});

export const putMetricSourceResponseSchema = z.object({
  source: metricSourceSchema,
  changed: z.boolean().meta({ description: "False: equal to the saved source (secret included), nothing recorded." }),
});

export const deleteMetricSourceResponseSchema = z.object({
  deleted: z.boolean().meta({ description: "False: the target had no source." }),
});
