// The registry of documented HTTP routes: one entry per route handler under app/api/v1, app/api/integrations and
// app/ofrep (method, path, summary, auth, request schema, responses, errors). document.ts turns it into the
// OpenAPI document; test/http/openapi.test.ts fails when a route file has no entry here. Request schemas are the
// very objects the handlers validate with, imported from the domain and services; responses are schemas.ts's.
import "server-only";
import { z } from "zod";
import { alertmanagerPayloadSchema } from "../../domain/alertmanager";
import { apiKeyScopes, createApiKeySchema, type ApiKeyScope } from "../../domain/api-key-input";
import { ofrepRequestSchema } from "../../domain/flag-evaluation";
import { flagKeySchema } from "../../domain/flags";
import { exportTraceRequestSchema } from "../../domain/intake/genai-spans";
import { snsMessageSchema } from "../../domain/intake/sns";
import { metricBatchSchema } from "../../domain/metrics";
import { policySchema } from "../../domain/policy";
import { rollbackStatuses, rollbackTriggers } from "../../domain/rollback";
import { snapshotInputSchema } from "../../domain/snapshots";
import { slugSchema } from "../../domain/targets";
import { createUserSchema } from "../../domain/users";
import { putTargetSchema } from "../../services/config/config-as-code";
import { ingestEnvelopeSchema } from "../../services/machine/ingest";
import { listQueryShape, manualRequestSchema, reasonBodySchema } from "../../services/machine/rollbacks-api";
import {
  alertmanagerResultSchema,
  apiKeyListSchema,
  apiKeySchema,
  createdApiKeySchema,
  createdUserSchema,
  effectiveConfigSchema,
  ingestResultSchema,
  intakeResultSchema,
  ofrepBulkSchema,
  ofrepEvaluationFailureSchema,
  ofrepSuccessSchema,
  otlpExportResponseSchema,
  policyResponseSchema,
  publishedSnapshotSchema,
  putTargetResponseSchema,
  rollbackDetailSchema,
  rollbackPageSchema,
  targetStatusSchema,
} from "./schemas";

export const tags = {
  ingestion: { name: "Ingestion", description: "Signed metric batches and Alertmanager notifications (docs/API.md)." },
  configAsCode: { name: "Config as code", description: "Targets, SLO policies and configurations kept in git." },
  delivery: { name: "Configuration delivery", description: "What the orchestrator reads back: config and status." },
  rollbacks: { name: "Rollbacks", description: "List, read, request, cancel and abort rollbacks. No key approves." },
  admin: { name: "Admin", description: "API keys and users, for an `admin` key: as powerful as an admin user." },
  intake: {
    name: "Telemetry intake",
    description: "OTLP/HTTP and LiteLLM, with the key alone: senders that cannot sign (docs/INTEGRATIONS.md).",
  },
  integrations: {
    name: "Integrations",
    description: "Requests from AWS SNS and Slack, verified by their own signatures.",
  },
  ofrep: {
    name: "OpenFeature (OFREP)",
    description: "Feature flags for OpenFeature SDKs (OFREP 0.3), scope flags:read.",
  },
  meta: { name: "Meta", description: "This document." },
} as const;
export type Tag = keyof typeof tags;

/**
 * How a route authenticates:
 * - `signed`: `Authorization: Bearer <key>`, and `X-Rewind-Signature` over the body when the key signs (the default);
 * - `key`: the bearer key alone (reads);
 * - `keyAnyHeader`: the key in `Authorization: Bearer` or `X-API-Key`, never a signature (intakes, OFREP);
 * - `sns`, `slack`: no key; the sender's own signature; `none`: public.
 */
export type Auth = "signed" | "key" | "keyAnyHeader" | "sns" | "slack" | "none";

/** The refusal body's format: the machine API's error body, OTLP's google.rpc.Status, OFREP's shapes, or none. */
export type ErrorFormat = "machine" | "otlp" | "ofrep" | "none";

export interface ResponseEntry {
  description: string;
  /** Absent: no body (204, 304). */
  schema?: z.ZodType;
  /** Media types of the body; application/json unless given. */
  contentTypes?: readonly string[];
  example?: unknown;
  headers?: Readonly<Record<string, string>>;
}

export interface RouteEntry {
  method: "get" | "post" | "put" | "delete" | "options";
  /** OpenAPI path: `{param}` for `[param]` folders. */
  path: string;
  operationId: string;
  tag: Tag;
  summary: string;
  description?: string;
  auth: Auth;
  scope?: ApiKeyScope;
  /** Takes `Idempotency-Key`: a retry with the same key replays the first success. */
  idempotent?: boolean;
  pathParams?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers other than authentication and Idempotency-Key. */
  headers?: z.ZodObject;
  request?: { schema: z.ZodType; contentTypes?: readonly string[]; example?: unknown; required?: boolean };
  responses: Readonly<Record<number, ResponseEntry>>;
  /**
   * Refusals particular to this route. document.ts adds those every route of its kind has (401, 429, 500 for a key;
   * 400 and 413 with a body; 403 with a scope), each with `errorFormat`'s body.
   */
  errors: readonly number[];
  errorFormat?: ErrorFormat;
}

/**
 * The handler's own field schemas with a description for the document. `.meta()` returns a copy that parses the
 * same way (same definition), so the document still says what the handler checks.
 */
function described<Shape extends Record<string, z.ZodType>>(shape: Shape, descriptions: Record<keyof Shape, string>) {
  return Object.fromEntries(
    Object.entries(shape).map(([name, schema]) => [name, schema.meta({ description: descriptions[name] })]),
  ) as Shape;
}

const slugParam = z.object({
  slug: slugSchema.meta({ description: "The target's slug", example: "chat-completions" }),
});
const rollbackIdParam = z.object({
  id: z.string().meta({ description: "The rollback's id", example: "cmf3k1w2a0000" }),
});
const ifNoneMatch = z.object({
  "If-None-Match": z
    .string()
    .optional()
    .meta({ description: "The last ETag: 304 when unchanged.", example: '"3b0f…"' }),
});
const rewindTargetHeader = z.object({
  "X-Rewind-Target": slugSchema
    .optional()
    .meta({ description: "The target of items that name none (else the key's one target)." }),
  "Content-Encoding": z.enum(["gzip", "identity"]).optional(),
});

/** POST /api/v1/ingest's body: the envelope ingestMetrics parses, with the items recordMetrics validates. */
const ingestBodySchema = ingestEnvelopeSchema.extend(metricBatchSchema.shape);

/** The admin API generates a password when none is sent (services/machine/admin-api.ts), then validates with this. */
const createUserBodySchema = createUserSchema.partial({ password: true });

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

export const routes: readonly RouteEntry[] = [
  // ---- Ingestion ----
  {
    method: "post",
    path: "/api/v1/ingest",
    operationId: "ingest",
    tag: "ingestion",
    summary: "Push request events and pre-aggregated windows",
    description:
      "Events and windows of one target; nothing of a refused batch is written. An emergency-level breach is acted on at once (`action`).",
    auth: "signed",
    scope: "ingest",
    idempotent: true,
    request: {
      schema: ingestBodySchema,
      example: {
        target: "chat-completions",
        events: [
          {
            ts: "2026-05-01T12:00:03.120Z",
            latencyMs: 840,
            ttftMs: 310,
            ok: true,
            costUsd: 0.0021,
            snapshotVersion: 7,
          },
        ],
      },
    },
    responses: { 202: { description: "Written", schema: ingestResultSchema } },
    errors: [404, 409, 422],
  },
  {
    method: "post",
    path: "/api/v1/alertmanager",
    operationId: "alertmanager",
    tag: "ingestion",
    summary: "Receive an Alertmanager webhook (payload version 4)",
    description:
      "Alerts labelled `rewind_target` become one verdict per target, acted on at once. Alertmanager cannot sign: give it a key created with `--unsigned`.",
    auth: "signed",
    scope: "ingest",
    idempotent: true,
    request: {
      schema: alertmanagerPayloadSchema,
      example: {
        version: "4",
        status: "firing",
        alerts: [
          {
            status: "firing",
            labels: { alertname: "LLMErrorRate", rewind_target: "chat-completions", severity: "critical" },
            annotations: { value: "0.12", threshold: "0.05" },
          },
        ],
      },
    },
    responses: { 202: { description: "Judged and acted on", schema: alertmanagerResultSchema } },
    errors: [404, 409, 422],
  },

  // ---- Config as code ----
  {
    method: "put",
    path: "/api/v1/targets/{slug}",
    operationId: "putTarget",
    tag: "configAsCode",
    summary: "Create or update a target",
    description: "Fields left out keep their value (on creation, their default).",
    auth: "signed",
    scope: "policies:write",
    pathParams: slugParam,
    request: {
      schema: putTargetSchema,
      example: { name: "Chat completions", description: "User-facing chat", monitoringEnabled: true },
    },
    responses: {
      200: { description: "Updated", schema: putTargetResponseSchema },
      201: { description: "Created", schema: putTargetResponseSchema },
    },
    errors: [409, 422],
  },
  {
    method: "put",
    path: "/api/v1/targets/{slug}/policy",
    operationId: "putPolicy",
    tag: "configAsCode",
    summary: "Save the target's SLO policy",
    description:
      "Every field is optional (defaults in docs/POLICY.md). Equal to the latest version after defaults: 200, nothing recorded.",
    auth: "signed",
    scope: "policies:write",
    pathParams: slugParam,
    request: {
      schema: policySchema,
      example: { maxErrorRate: 0.03, maxP95LatencyMs: 6000, mode: "APPROVAL", steps: [25, 50, 100] },
    },
    responses: {
      200: { description: "Equal to the latest version", schema: policyResponseSchema },
      201: { description: "Saved as a new version", schema: policyResponseSchema },
    },
    errors: [404, 409, 422],
  },
  {
    method: "post",
    path: "/api/v1/targets/{slug}/snapshots",
    operationId: "publishSnapshot",
    tag: "configAsCode",
    summary: "Publish a configuration as the current snapshot",
    description: "A JSON object up to 256 KB as canonical JSON. The current checksum again: 200, nothing published.",
    auth: "signed",
    scope: "snapshots:write",
    idempotent: true,
    pathParams: slugParam,
    request: {
      schema: snapshotInputSchema,
      example: { label: "deploy 4f2a", config: { model: "gpt-4o", timeoutMs: 30000 } },
    },
    responses: {
      200: { description: "Unchanged (created: false)", schema: publishedSnapshotSchema },
      201: {
        description: "Published",
        schema: publishedSnapshotSchema,
        example: {
          id: "cmf3k1x9v0001",
          version: 7,
          checksum: "9c1e…",
          label: "deploy 4f2a",
          publishedAt: "2026-05-01T12:00:00.000Z",
          created: true,
        },
      },
    },
    errors: [404, 409, 422],
  },

  // ---- Configuration delivery ----
  {
    method: "get",
    path: "/api/v1/targets/{slug}/config",
    operationId: "getConfig",
    tag: "delivery",
    summary: "The effective configuration",
    description:
      "What the orchestrator must run: poll it with the last ETag. Every snapshot is checksum-verified before it is served (409 when corrupted).",
    auth: "key",
    scope: "config:read",
    pathParams: slugParam,
    headers: ifNoneMatch,
    responses: {
      200: {
        description: "The configuration",
        schema: effectiveConfigSchema,
        headers: { ETag: "Strong tag over the canonical JSON of the body" },
        example: {
          target: "chat-completions",
          snapshot: { id: "cmf3k1x9v0001", version: 7, checksum: "9c1e…", config: { model: "gpt-4o" } },
          rollback: null,
          flags: [{ key: "streaming", enabled: true, percent: 100 }],
        },
      },
      304: { description: "Unchanged since the If-None-Match tag", headers: { ETag: "The same tag" } },
    },
    errors: [404, 409],
  },
  {
    method: "get",
    path: "/api/v1/targets/{slug}/status",
    operationId: "getStatus",
    tag: "delivery",
    summary: "Latest verdict, active rollback and its step gate, last rollback",
    auth: "key",
    scope: "config:read",
    pathParams: slugParam,
    responses: { 200: { description: "The status", schema: targetStatusSchema } },
    errors: [404],
  },

  // ---- Rollbacks ----
  {
    method: "get",
    path: "/api/v1/rollbacks",
    operationId: "listRollbacks",
    tag: "rollbacks",
    summary: "Rollbacks, newest first, a page at a time",
    description: "An unknown parameter is refused by name (422), so a misspelt filter never silently lists everything.",
    auth: "key",
    scope: "rollbacks:read",
    query: z.object(
      described(listQueryShape, {
        target: "A target's slug: its rollbacks only (404 unknown, 403 outside the key's targets)",
        status: `${rollbackStatuses.join(", ")}: one or more, comma-separated or the parameter repeated`,
        trigger: `${rollbackTriggers.join(", ")}: one or more, like status`,
        since: "Requested at or after: ISO 8601 or epoch milliseconds",
        cursor: "The previous page's nextCursor, unchanged",
        limit: "1–100, default 50",
      }),
    ),
    responses: { 200: { description: "A page", schema: rollbackPageSchema } },
    errors: [404, 422],
  },
  {
    method: "get",
    path: "/api/v1/rollbacks/{id}",
    operationId: "getRollback",
    tag: "rollbacks",
    summary: "One rollback: steps, step checks, arms, approvals, verification, timeline",
    description: "Another target's rollback is 404 for a key limited to targets, as if it did not exist.",
    auth: "key",
    scope: "rollbacks:read",
    pathParams: rollbackIdParam,
    responses: { 200: { description: "The rollback", schema: rollbackDetailSchema } },
    errors: [404],
  },
  {
    method: "post",
    path: "/api/v1/targets/{slug}/rollbacks",
    operationId: "requestRollback",
    tag: "rollbacks",
    summary: "Request a manual rollback (a person approves it)",
    description: "`toVersion` or `toSnapshotId`, not both; neither: the known-good snapshot.",
    auth: "signed",
    scope: "rollbacks:write",
    idempotent: true,
    pathParams: slugParam,
    request: { schema: manualRequestSchema, example: { toVersion: 5, reason: "canary of v7 failed in CI" } },
    responses: { 201: { description: "Pending approval", schema: rollbackDetailSchema } },
    errors: [404, 409, 422],
  },
  {
    method: "post",
    path: "/api/v1/rollbacks/{id}/cancel",
    operationId: "cancelRollback",
    tag: "rollbacks",
    summary: "Cancel a pending or approved rollback",
    auth: "signed",
    scope: "rollbacks:write",
    idempotent: true,
    pathParams: rollbackIdParam,
    request: { schema: reasonBodySchema, example: { reason: "v8 fixes it: rolling forward instead" } },
    responses: { 200: { description: "Cancelled", schema: rollbackDetailSchema } },
    errors: [404, 409, 422],
  },
  {
    method: "post",
    path: "/api/v1/rollbacks/{id}/abort",
    operationId: "abortRollback",
    tag: "rollbacks",
    summary: "Abort an in-progress rollback: all traffic back at once",
    auth: "signed",
    scope: "rollbacks:write",
    idempotent: true,
    pathParams: rollbackIdParam,
    request: { schema: reasonBodySchema, example: { reason: "the known-good model is being retired today" } },
    responses: { 200: { description: "Aborted", schema: rollbackDetailSchema } },
    errors: [404, 409, 422],
  },

  // ---- Admin ----
  {
    method: "get",
    path: "/api/v1/api-keys",
    operationId: "listApiKeys",
    tag: "admin",
    summary: "API keys, newest first (never a key or secret)",
    auth: "key",
    scope: "admin",
    responses: { 200: { description: "The keys", schema: apiKeyListSchema } },
    errors: [],
  },
  {
    method: "post",
    path: "/api/v1/api-keys",
    operationId: "createApiKey",
    tag: "admin",
    summary: "Create an API key: its key and signing secret are in this answer only",
    description: `Scopes: ${apiKeyScopes.join(", ")}. No Idempotency-Key: a kept answer would store the secret.`,
    auth: "signed",
    scope: "admin",
    request: {
      schema: createApiKeySchema,
      example: {
        name: "release-bot",
        scopes: ["rollbacks:read", "rollbacks:write"],
        targetSlugs: ["chat-completions"],
      },
    },
    responses: { 201: { description: "Created", schema: createdApiKeySchema } },
    errors: [422],
  },
  {
    method: "delete",
    path: "/api/v1/api-keys/{id}",
    operationId: "revokeApiKey",
    tag: "admin",
    summary: "Revoke an API key",
    description: "Signed over the empty body when the admin key signs. Revoking a revoked key changes nothing.",
    auth: "signed",
    scope: "admin",
    pathParams: z.object({ id: z.string().meta({ description: "The key's id" }) }),
    responses: { 200: { description: "Revoked", schema: apiKeySchema } },
    errors: [404],
  },
  {
    method: "post",
    path: "/api/v1/users",
    operationId: "createUser",
    tag: "admin",
    summary: "Create a user; without a password one is generated and returned once",
    auth: "signed",
    scope: "admin",
    request: {
      schema: createUserBodySchema,
      example: { email: "ana@example.com", name: "Ana Ruiz", role: "APPROVER" },
    },
    responses: { 201: { description: "Created", schema: createdUserSchema } },
    errors: [409, 422],
  },

  // ---- Telemetry intake ----
  {
    method: "post",
    path: "/api/v1/otlp/v1/traces",
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
    path: "/api/v1/intake/litellm",
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

  // ---- OpenFeature ----
  {
    method: "post",
    path: "/ofrep/v1/evaluate/flags/{key}",
    operationId: "ofrepEvaluateFlag",
    tag: "ofrep",
    summary: "Evaluate one flag for a context",
    auth: "keyAnyHeader",
    scope: "flags:read",
    pathParams: z.object({ key: flagKeySchema.meta({ example: "chat.streaming" }) }),
    request: {
      schema: ofrepRequestSchema,
      example: { context: { targetingKey: "user-123", target: "chat-completions" } },
    },
    responses: {
      200: {
        description: "The evaluation",
        schema: ofrepSuccessSchema,
        example: {
          key: "chat.streaming",
          value: true,
          reason: "SPLIT",
          variant: "on",
          metadata: { killSwitch: false, percent: 25 },
        },
      },
      404: { description: "FLAG_NOT_FOUND: no such flag in scope", schema: ofrepEvaluationFailureSchema },
    },
    errors: [],
    errorFormat: "ofrep",
  },
  {
    method: "options",
    path: "/ofrep/v1/evaluate/flags/{key}",
    operationId: "ofrepEvaluateFlagPreflight",
    tag: "ofrep",
    summary: "CORS preflight for browser SDKs (origins in OFREP_CORS_ORIGINS)",
    auth: "none",
    pathParams: z.object({ key: flagKeySchema }),
    responses: { 204: { description: "Allowed methods and headers, for an allowed origin" } },
    errors: [],
    errorFormat: "none",
  },
  {
    method: "post",
    path: "/ofrep/v1/evaluate/flags",
    operationId: "ofrepEvaluateFlags",
    tag: "ofrep",
    summary: "Evaluate every flag in scope (poll with the ETag)",
    auth: "keyAnyHeader",
    scope: "flags:read",
    headers: ifNoneMatch,
    request: { schema: ofrepRequestSchema, example: { context: { targetingKey: "user-123" } } },
    responses: {
      200: { description: "Every flag, by key", schema: ofrepBulkSchema, headers: { ETag: "Hash of the response" } },
      304: { description: "Unchanged for this context", headers: { ETag: "The same tag" } },
    },
    errors: [],
    errorFormat: "ofrep",
  },
  {
    method: "options",
    path: "/ofrep/v1/evaluate/flags",
    operationId: "ofrepEvaluateFlagsPreflight",
    tag: "ofrep",
    summary: "CORS preflight for browser SDKs (origins in OFREP_CORS_ORIGINS)",
    auth: "none",
    responses: { 204: { description: "Allowed methods and headers, for an allowed origin" } },
    errors: [],
    errorFormat: "none",
  },

  // ---- This document ----
  {
    method: "get",
    path: "/api/v1/openapi.json",
    operationId: "openApiDocument",
    tag: "meta",
    summary: "This OpenAPI 3.1 document",
    description: "Public and cacheable; built once per process from the registry (server/api/openapi/routes.ts).",
    auth: "none",
    responses: {
      200: {
        description: "The document",
        schema: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }),
        headers: { ETag: "Changes with the document", "Cache-Control": "public, max-age=300" },
      },
      304: { description: "Unchanged since the If-None-Match tag" },
    },
    headers: ifNoneMatch,
    errors: [],
    errorFormat: "none",
  },
];

// ---- Planned: routes colleagues are writing now, documented from their spec ahead of the files ----
// Each is one entry; when its route lands, point `request.schema` at the schema its handler validates with.

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

/** Slack's interactivity request: form-encoded, `payload` a JSON document (block_actions for buttons). */
const slackInteractionSchema = z.object({
  payload: z.string().meta({ description: 'JSON: { "type": "block_actions", "user": {…}, "actions": [ … ], … }' }),
});

/** Telemetry metrics and the integrations' callbacks (verified by their sender's own signatures, no key). */
const callbackRoutes: readonly RouteEntry[] = [
  {
    method: "post",
    path: "/api/v1/otlp/v1/metrics",
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

export const allRoutes: readonly RouteEntry[] = [...routes, ...callbackRoutes];
