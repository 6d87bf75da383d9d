// OpenAPI entries: telemetry intake with the key alone (OTLP, LiteLLM; the documented paths and the earlier ones kept
// as aliases), the OTLP target mapping rules as code, and the integrations verified by their sender's own
// signatures (SNS, Slack).
import "server-only";
import { z } from "zod";
import { exportTraceRequestSchema } from "../../../domain/intake/genai-spans";
import { MAX_TARGET_RULES, targetRuleSetSchema } from "../../../domain/intake/target-rules";
import { ALARM_LEVELS, snsMessageSchema, snsSettingsSchema } from "../../../domain/intake/sns";
import { intakeResultSchema, otlpExportResponseSchema } from "../schemas";
import { rewindTargetHeader, type RouteEntry } from "../registry";

/**
 * LiteLLM's StandardLoggingPayload, the fields Rewind reads. Its mapping (server/domain/intake/litellm.ts) checks
 * them by hand, with the item's path in each refusal; this schema only describes them.
 */
const liteLlmPayloadSchema = z.looseObject({
  status: z.enum(["success", "failure"]),
  startTime: z.number().meta({ description: "Epoch seconds" }),
  endTime: z.number().meta({ description: "Epoch seconds" }),
  completionStartTime: z.number().optional().meta({ description: "Streamed calls: the first chunk, epoch seconds" }),
  stream: z.boolean().optional(),
  custom_llm_provider: z.string().optional(),
  model: z.string().optional(),
  model_group: z.string().optional(),
  prompt_tokens: z.number().int().optional(),
  completion_tokens: z.number().int().optional(),
  response_cost: z.number().optional(),
  metadata: z.looseObject({}).optional().meta({ description: "requester_metadata.rewind_snapshot_version is read" }),
});
const liteLlmBodySchema = z.union([
  z.array(liteLlmPayloadSchema),
  z.object({ data: z.array(liteLlmPayloadSchema) }),
  liteLlmPayloadSchema,
]);

/** OTLP/HTTP ExportMetricsServiceRequest as OTLP/JSON: the outline; the protobuf form is the same message. */
const exportMetricsRequestSchema = z.looseObject({
  resourceMetrics: z
    .array(
      z.looseObject({
        resource: z.looseObject({ attributes: z.array(z.looseObject({ key: z.string() })).optional() }).optional(),
        scopeMetrics: z
          .array(z.looseObject({ metrics: z.array(z.looseObject({ name: z.string() })).optional() }))
          .optional(),
      }),
    )
    .optional(),
});

const dateTime = z.string().meta({ format: "date-time", example: "2026-05-01T12:00:30.000Z" });

/** A target mapping rule as GET and PUT /api/v1/intake/rules answer it (`TargetRuleDto`). */
export const targetRuleResponseSchema = z
  .object({
    id: z.string().meta({ example: "cmf3k1x9v0001" }),
    serviceName: z.string().meta({ description: "Matches the resource's service.name; `*` any characters." }),
    operationName: z.string().meta({ description: 'gen_ai.operation.name; "" matches any (or none).' }),
    model: z.string().meta({ description: 'gen_ai.request.model, else gen_ai.response.model; "" matches any.' }),
    target: z.string().meta({ description: "The target's slug", example: "chat-completions" }),
    targetName: z.string(),
    createdAt: dateTime,
    updatedAt: dateTime,
  })
  .meta({ id: "TargetRule" });
const targetRulesListSchema = z
  .array(targetRuleResponseSchema)
  .meta({ description: "Most specific first: the order in which rules are tried (docs/INTEGRATIONS.md)." });

/** The SNS settings as GET and PUT /api/v1/intake/sns answer them (`SnsSettings`). */
export const snsSettingsResponseSchema = z
  .object({
    allowedTopicArns: z.array(z.string()).meta({ description: "Topics whose subscriptions Rewind confirms" }),
    alarmTargets: z.array(z.object({ alarmName: z.string(), target: z.string(), level: z.enum(ALARM_LEVELS) })),
  })
  .meta({ id: "SnsSettings" });

/** Slack's interactivity request: form-encoded, `payload` a JSON document (block_actions for buttons). */
const slackInteractionSchema = z.object({
  payload: z.string().meta({ description: 'JSON: { "type": "block_actions", "user": {…}, "actions": [ … ], … }' }),
});

const documentedIntakeRoutes: readonly RouteEntry[] = [
  {
    method: "post",
    path: "/api/otlp/v1/traces",
    operationId: "otlpTraces",
    tag: "intake",
    summary: "OTLP/HTTP traces: GenAI spans become request events",
    description:
      "ExportTraceServiceRequest as protobuf or OTLP/JSON, gzip or not. Spans that cannot be written are refused one by one (partial success); the rest is written. Answers in the request's encoding.",
    auth: "keyAnyHeader",
    scope: "ingest",
    headers: rewindTargetHeader,
    request: {
      schema: exportTraceRequestSchema,
      contentTypes: ["application/x-protobuf", "application/json"],
      example: {
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    startTimeUnixNano: "1777636800000000000",
                    endTimeUnixNano: "1777636800840000000",
                    attributes: [{ key: "gen_ai.request.model", value: { stringValue: "gpt-4o" } }],
                  },
                ],
              },
            ],
          },
        ],
      },
    },
    responses: {
      200: {
        description: "ExportTraceServiceResponse; partialSuccess names refused spans",
        schema: otlpExportResponseSchema,
        contentTypes: ["application/json", "application/x-protobuf"],
        headers: {
          "X-Rewind-Accepted-Spans": "Model-call spans written",
          "X-Rewind-Rejected-Spans": "Spans refused",
          "X-Rewind-Ignored-Spans": "Spans that are not model calls",
        },
      },
    },
    errors: [404, 415, 503],
    errorFormat: "otlp",
  },
  {
    method: "post",
    path: "/api/integrations/litellm",
    operationId: "liteLlmIntake",
    tag: "intake",
    summary: "LiteLLM's generic_api callback: StandardLoggingPayload batches",
    description:
      "A JSON array, `{ data: [...] }`, one payload, or one per line (ndjson). All or nothing: a bad payload refuses the batch with 422 by path (`3.completion_tokens`).",
    auth: "keyAnyHeader",
    scope: "ingest",
    headers: rewindTargetHeader,
    request: {
      schema: liteLlmBodySchema,
      contentTypes: ["application/json", "application/x-ndjson", "application/jsonl"],
      example: [
        {
          status: "success",
          startTime: 1777636800.1,
          endTime: 1777636800.9,
          model_group: "gpt-4o",
          prompt_tokens: 812,
          completion_tokens: 164,
          response_cost: 0.0021,
        },
      ],
    },
    responses: { 202: { description: "Written", schema: intakeResultSchema } },
    errors: [404, 415, 422, 503],
  },
  {
    method: "post",
    path: "/api/otlp/v1/metrics",
    operationId: "otlpMetrics",
    tag: "intake",
    summary: "OTLP/HTTP metrics (ExportMetricsServiceRequest)",
    description:
      "Protobuf or OTLP/JSON, gzip or not, with the key alone and the ingest scope, like the traces route; answers ExportMetricsServiceResponse in the request's encoding.",
    auth: "keyAnyHeader",
    scope: "ingest",
    headers: rewindTargetHeader,
    request: { schema: exportMetricsRequestSchema, contentTypes: ["application/x-protobuf", "application/json"] },
    responses: {
      200: {
        description: "ExportMetricsServiceResponse; partialSuccess counts refused data points",
        schema: z.object({
          partialSuccess: z.object({ rejectedDataPoints: z.string(), errorMessage: z.string() }).optional(),
        }),
        contentTypes: ["application/json", "application/x-protobuf"],
      },
    },
    errors: [404, 415, 503],
    errorFormat: "otlp",
  },
  {
    method: "get",
    path: "/api/v1/intake/rules",
    operationId: "getTargetRules",
    tag: "configAsCode",
    summary: "Read the OTLP target mapping rules",
    description:
      'Most specific first. A key limited to some targets reads the rules of its targets only. docs/INTEGRATIONS.md, "Target mapping rules".',
    auth: "signed",
    scope: "config:read",
    responses: { 200: { description: "The rules", schema: z.object({ rules: targetRulesListSchema }) } },
    errors: [],
  },
  {
    method: "put",
    path: "/api/v1/intake/rules",
    operationId: "putTargetRules",
    tag: "configAsCode",
    summary: "Replace the OTLP target mapping rules",
    description: `Replace-all: the rules become exactly the body's (at most ${MAX_TARGET_RULES}). Unchanged rules keep their ids; one audit event lists the set before and after; the same set again is \`changed: false\` and records nothing. A key limited to some targets is refused (403): rules route calls among all targets. Any bad rule refuses the whole set with 422, issues by path (\`rules.2.target\`).`,
    auth: "signed",
    scope: "policies:write",
    request: {
      schema: targetRuleSetSchema,
      example: {
        rules: [
          { serviceName: "chat-api", target: "chat-completions" },
          { serviceName: "chat-api", model: "gpt-4o-mini*", target: "chat-mini" },
        ],
      },
    },
    responses: {
      200: {
        description: "The rules now in force",
        schema: z.object({
          rules: targetRulesListSchema,
          changed: z.boolean().meta({ description: "False: the same set as before, nothing recorded." }),
        }),
      },
    },
    errors: [409, 422],
  },
  {
    method: "get",
    path: "/api/v1/intake/sns",
    operationId: "getSnsSettings",
    tag: "configAsCode",
    summary: "Read the SNS settings: allowed topics and the alarm → target table",
    description:
      'As Settings → Integrations shows them. A key for all targets only (403 otherwise): alarms speak for any target. docs/INTEGRATIONS.md, "CloudWatch alarms through SNS".',
    auth: "signed",
    scope: "config:read",
    responses: { 200: { description: "The settings", schema: snsSettingsResponseSchema } },
    errors: [],
  },
  {
    method: "put",
    path: "/api/v1/intake/sns",
    operationId: "putSnsSettings",
    tag: "configAsCode",
    summary: "Replace the SNS settings",
    description:
      "Replace-all: the topics and alarms become exactly the body's. Audited as `integration.sns_settings_changed` with before and after; the same settings again record nothing. Any bad field refuses the whole body with 422, issues by path (`allowedTopicArns.0`, `alarmTargets.1.target`). A key limited to some targets is refused (403).",
    auth: "signed",
    scope: "policies:write",
    request: {
      schema: snsSettingsSchema,
      example: {
        allowedTopicArns: ["arn:aws:sns:us-east-1:123456789012:rewind-alarms"],
        alarmTargets: [{ alarmName: "bedrock-latency-p95", target: "chat-completions", level: "critical" }],
      },
    },
    responses: { 200: { description: "The settings now in force", schema: snsSettingsResponseSchema } },
    errors: [422],
  },
  {
    method: "post",
    path: "/api/integrations/sns",
    operationId: "snsMessage",
    tag: "integrations",
    summary: "AWS SNS HTTPS subscription: confirmations and notifications",
    description:
      "SubscriptionConfirmation, Notification or UnsubscribeConfirmation JSON, sent with Content-Type text/plain. Verified by the SNS message signature (its certificate from an AWS host); no API key.",
    auth: "sns",
    headers: z.object({
      "x-amz-sns-message-type": z.enum(["SubscriptionConfirmation", "Notification", "UnsubscribeConfirmation"]),
      "x-amz-sns-topic-arn": z.string().optional(),
    }),
    request: { schema: snsMessageSchema, contentTypes: ["text/plain", "application/json"] },
    responses: {
      200: {
        description:
          "Received: what Rewind did with it (a confirmed subscription, an alarm judged, `duplicate: true` for a MessageId seen before, INSUFFICIENT_DATA ignored)",
        schema: z.looseObject({}),
      },
    },
    errors: [400, 401, 403, 404, 413, 415, 422, 502],
  },
  {
    method: "post",
    path: "/api/integrations/slack/interactions",
    operationId: "slackInteraction",
    tag: "integrations",
    summary: "Slack interactivity: approval buttons",
    description:
      "Form-encoded with a `payload` field. Verified by X-Slack-Signature (v0=HMAC-SHA256 of `v0:<timestamp>:<body>` under the Slack signing secret) and X-Slack-Request-Timestamp within 5 minutes.",
    auth: "slack",
    headers: z.object({
      "X-Slack-Request-Timestamp": z
        .string()
        .meta({ description: "Unix seconds, within 5 minutes of the server's clock" }),
    }),
    request: { schema: slackInteractionSchema, contentTypes: ["application/x-www-form-urlencoded"] },
    responses: { 200: { description: "Received; Rewind acts after answering and replies through response_url" } },
    errors: [400, 401, 413, 500, 503],
  },
];

/** The paths these routes had before issue #14 named them, served by the same handlers for senders set up then. */
const ALIASES: Readonly<Record<string, { path: string; operationId: string }>> = {
  "/api/otlp/v1/traces": { path: "/api/v1/otlp/v1/traces", operationId: "otlpTracesAlias" },
  "/api/otlp/v1/metrics": { path: "/api/v1/otlp/v1/metrics", operationId: "otlpMetricsAlias" },
  "/api/integrations/litellm": { path: "/api/v1/intake/litellm", operationId: "liteLlmIntakeAlias" },
};

export const intakeRoutes: readonly RouteEntry[] = [
  ...documentedIntakeRoutes,
  ...documentedIntakeRoutes.flatMap((entry) => {
    const alias = ALIASES[entry.path];
    if (!alias) return [];
    return [
      {
        ...entry,
        ...alias,
        summary: `${entry.summary} (alias of ${entry.path})`,
        description: `The same handler as \`${entry.path}\`, kept for senders configured with this earlier path; configure new ones with \`${entry.path}\`.`,
      },
    ];
  }),
];
