// A target's pulled metric source: which system Rewind reads its SLO readings from (Prometheus, CloudWatch
// metrics), where, and the one query per reading. The keys of `queries` follow the SLO catalogue (slo.ts): the
// request count, then each SLO's `reading`. Shared by the console form, the tRPC input, the machine API and the
// stored row. Secrets (a bearer token, a secret access key) are never part of `config`: they are written beside
// it, write-only. docs/INTEGRATIONS.md, "Pulled metrics".
import { z } from "zod";
import { safeText } from "../input-bounds";
import { slos, type SloReading } from "../slo";

export const metricSourceKinds = ["PROMETHEUS", "CLOUDWATCH"] as const;
export type MetricSourceKind = (typeof metricSourceKinds)[number];

export const metricSourceLabels: Record<MetricSourceKind, string> = {
  PROMETHEUS: "Prometheus",
  CLOUDWATCH: "CloudWatch",
};

/** What a source is asked for: the request count (the policy's minRequests needs it), then one per SLO. */
export type PulledKey = "requestCount" | SloReading;
export const pulledKeys: readonly PulledKey[] = ["requestCount", ...slos.map((slo) => slo.reading)];

export function pulledKeyLabel(key: PulledKey): string {
  return key === "requestCount" ? "Request count" : (slos.find((slo) => slo.reading === key)?.title ?? key);
}

/** The unit each reading must come in: what the policy's thresholds are written in. */
export function pulledKeyUnit(key: PulledKey): string {
  if (key === "requestCount") return "requests in the window";
  const unit = slos.find((slo) => slo.reading === key)?.unit;
  return unit === "ratio" ? "a fraction 0–1" : unit === "ms" ? "milliseconds" : "US dollars per request";
}

const TIMEOUT = { min: 1, max: 30, default: 5 } as const;
const timeoutSecondsSchema = z
  .number({ error: "Timeout must be a number of seconds" })
  .int("Timeout must be whole seconds")
  .min(TIMEOUT.min, `Timeout must be at least ${TIMEOUT.min} s`)
  .max(TIMEOUT.max, `Timeout must be at most ${TIMEOUT.max} s: the monitoring cycle waits for it`)
  .default(TIMEOUT.default);

/** Refinements run after a failed format check too: a string that is no URL must not throw there. */
function parsedUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function httpUrl(what: string) {
  return z
    .url({ error: `Enter ${what} (https://… or http://…)` })
    .max(2000, "The URL must be at most 2000 characters")
    .refine((url) => /^https?:\/\//i.test(url), { error: "The URL must use https or http" })
    .refine((url) => !parsedUrl(url)?.username && !parsedUrl(url)?.password, {
      error: "Put credentials in the secret's field, not in the URL (URLs are shown and audited)",
    })
    .refine((url) => !parsedUrl(url)?.search && !parsedUrl(url)?.hash, {
      error: "A base URL takes no query or fragment (URLs are shown and audited)",
    });
}

/**
 * The one-query-per-reading shape, built from the catalogue so that a new SLO gets a query field without
 * touching this file. The request count is required: without it the policy's minRequests, the guard against
 * judging a handful of requests, could not hold (docs/INTEGRATIONS.md says why).
 */
function queriesShape<Query extends z.ZodType>(query: Query) {
  return z.object({
    requestCount: query,
    ...(Object.fromEntries(slos.map((slo) => [slo.reading, query.optional()])) as Record<
      SloReading,
      z.ZodOptional<Query>
    >),
  });
}

/** Only the request count's query is required, so "missing" is said of it. */
const REQUIRED_QUERY = "Enter the request count's query: the policy's minimum of requests needs it";

/** PromQL; `$window` stands for the judged window's length ("300s"), e.g. `increase(x_total[$window])`. */
const promQlSchema = safeText({
  error: (issue) => (issue.input === undefined ? REQUIRED_QUERY : "The query must be text"),
})
  .trim()
  .min(1, "Enter a PromQL query, or leave the field out")
  .max(4000, "A query must be at most 4,000 characters");

export const prometheusConfigSchema = z.object({
  /** Prometheus' (or a compatible API's: Thanos, Mimir, VictoriaMetrics) base URL, without /api/v1. */
  url: httpUrl("the Prometheus base URL"),
  timeoutSeconds: timeoutSecondsSchema,
  queries: queriesShape(promQlSchema),
});
export type PrometheusConfig = z.infer<typeof prometheusConfigSchema>;

/** Queries Rewind adds to GetMetricData for expressions are named with this prefix, which metric ids may not use. */
export const EXPRESSION_ID_PREFIX = "rewind_";

/** CloudWatch's rule for a query id: a lowercase letter first, then letters, digits and underscores. */
const metricIdSchema = z
  .string({ error: "Enter an id" })
  .regex(/^[a-z][a-zA-Z0-9_]{0,254}$/, "An id starts with a lowercase letter, then letters, digits or _");

/** Standard statistics and extended ones: p95, p99.9, tm90, tc(10%:90%), … (CloudWatch's statistics). */
const STATISTIC =
  /^(SampleCount|Average|Sum|Minimum|Maximum|IQM|(p|tm|wm|tc|ts|pr)\d{1,2}(\.\d{1,10})?|p100|(tm|wm|tc|ts|pr)\([^()\s]{1,40}\))$/;

const cloudWatchText = (what: string, max: number, missing = `Enter the ${what.toLowerCase()}`) =>
  safeText({ error: (issue) => (issue.input === undefined ? missing : `${what} must be text`) })
    .trim()
    .min(1, `Enter the ${what.toLowerCase()}`)
    .max(max, `${what} must be at most ${max} characters`);

export const cloudWatchMetricSchema = z.object({
  /** What the readings' expressions call this metric. */
  id: metricIdSchema,
  namespace: cloudWatchText("Namespace", 255),
  metricName: cloudWatchText("Metric name", 255),
  dimensions: z
    .array(z.object({ name: cloudWatchText("Dimension name", 255), value: cloudWatchText("Dimension value", 1024) }))
    .max(30, "CloudWatch takes at most 30 dimensions per metric")
    .default([]),
  stat: z
    .string({ error: "Enter a statistic" })
    .trim()
    .regex(STATISTIC, "A statistic: Sum, Average, Minimum, Maximum, SampleCount, or an extended one such as p95"),
});
export type CloudWatchMetric = z.infer<typeof cloudWatchMetricSchema>;

/** A metric's id alone reads that metric; anything else is CloudWatch metric math over the ids. */
const expressionSchema = cloudWatchText("Expression", 1024, REQUIRED_QUERY);

export const cloudWatchConfigSchema = z
  .object({
    region: z
      .string({ error: "Enter the AWS region" })
      .trim()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, "An AWS region, such as us-east-1"),
    /** An endpoint override (a VPC endpoint, a local stand-in); AWS's own for the region when left out. */
    endpoint: httpUrl("the endpoint URL").optional(),
    /** With the secret access key written beside the config; left out, the SDK's default credential chain. */
    accessKeyId: z
      .string({ error: "The access key id must be text" })
      .trim()
      .regex(/^[A-Z0-9]{16,128}$/, "An access key id is 16–128 capital letters and digits (AKIA…)")
      .optional(),
    timeoutSeconds: timeoutSecondsSchema,
    metrics: z.array(cloudWatchMetricSchema).min(1, "Add the metrics the readings read").max(50, "At most 50 metrics"),
    queries: queriesShape(expressionSchema),
  })
  // Runs even when some fields are invalid (so a form shows every problem at once): reads only what parsed.
  .superRefine((config, ctx) => {
    const ids = new Set<string>();
    (Array.isArray(config.metrics) ? config.metrics : []).forEach((metric, index) => {
      if (typeof metric?.id !== "string") return;
      if (ids.has(metric.id))
        ctx.addIssue({ code: "custom", path: ["metrics", index, "id"], message: "Each metric needs its own id" });
      if (metric.id.startsWith(EXPRESSION_ID_PREFIX))
        ctx.addIssue({
          code: "custom",
          path: ["metrics", index, "id"],
          message: `Ids starting with ${EXPRESSION_ID_PREFIX} are Rewind's own`,
        });
      ids.add(metric.id);
    });
    for (const key of pulledKeys) {
      const expression: unknown = config.queries?.[key];
      if (typeof expression !== "string" || ids.size === 0) continue;
      // Metric math names other queries by id: a name that is no metric's would fail every pull.
      const unknown = expressionIds(expression).find((id) => !ids.has(id) && !MATH_WORDS.has(id));
      if (unknown)
        ctx.addIssue({
          code: "custom",
          path: ["queries", key],
          message: `“${unknown}” is no metric's id (ids: ${[...ids].join(", ")})`,
        });
    }
  });
export type CloudWatchConfig = z.infer<typeof cloudWatchConfigSchema>;

/**
 * Lowercase words of metric math that are not ids. CloudWatch's functions are upper case (FILL, SUM, METRICS)
 * and so never match an id, which starts with a lowercase letter.
 */
const MATH_WORDS = new Set(["e", "pi"]);

/** The words of an expression that could be query ids (a lowercase letter first), outside quoted text. */
export function expressionIds(expression: string): string[] {
  const unquoted = expression.replace(/"[^"]*"|'[^']*'/g, " ");
  return [...unquoted.matchAll(/(?<![\w.])[a-z][a-zA-Z0-9_]*/g)].map((match) => match[0]);
}

const bearerTokenSchema = safeText({ error: "The token must be text" })
  .trim()
  .min(1, "Enter the token, or leave the field out to keep the saved one")
  .max(4000, "The token must be at most 4,000 characters");

const secretAccessKeySchema = z
  .string({ error: "The secret access key must be text" })
  .trim()
  .regex(/^[A-Za-z0-9/+=]{16,128}$/, "A secret access key is 16–128 letters, digits, / + or =");

const enabledSchema = z.boolean({ error: "enabled must be true or false" }).default(true);

/**
 * What an admin or a CI job sends. A secret left out keeps the saved one, `null` removes it, text replaces it;
 * it is never sent back.
 */
export const metricSourceInputSchema = z.discriminatedUnion(
  "kind",
  [
    z.object({
      kind: z.literal("PROMETHEUS"),
      enabled: enabledSchema,
      config: prometheusConfigSchema,
      bearerToken: bearerTokenSchema.nullable().optional(),
    }),
    z.object({
      kind: z.literal("CLOUDWATCH"),
      enabled: enabledSchema,
      config: cloudWatchConfigSchema,
      secretAccessKey: secretAccessKeySchema.nullable().optional(),
    }),
  ],
  { error: "kind must be PROMETHEUS or CLOUDWATCH" },
);
export type MetricSourceInput = z.input<typeof metricSourceInputSchema>;
export type ParsedMetricSourceInput = z.infer<typeof metricSourceInputSchema>;

/** The secret an input carries: text to save, null to remove, undefined to keep. */
export function inputSecret(input: ParsedMetricSourceInput): string | null | undefined {
  return input.kind === "PROMETHEUS" ? input.bearerToken : input.secretAccessKey;
}

/** The field of the input that holds the kind's secret, for issues and forms. */
export const secretField: Record<MetricSourceKind, "bearerToken" | "secretAccessKey"> = {
  PROMETHEUS: "bearerToken",
  CLOUDWATCH: "secretAccessKey",
};

export type MetricSourceConfig =
  { kind: "PROMETHEUS"; config: PrometheusConfig } | { kind: "CLOUDWATCH"; config: CloudWatchConfig };

/** A stored config, read back with its kind's schema (a row this version cannot read fails that pull only). */
export function parseStoredConfig(kind: MetricSourceKind, config: unknown): MetricSourceConfig {
  return kind === "PROMETHEUS"
    ? { kind, config: prometheusConfigSchema.parse(config) }
    : { kind, config: cloudWatchConfigSchema.parse(config) };
}
