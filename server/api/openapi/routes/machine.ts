// OpenAPI entries: signed ingestion, Alertmanager, config as code and configuration delivery.
import "server-only";
import { alertmanagerPayloadSchema } from "../../../domain/alertmanager";
import { metricBatchSchema } from "../../../domain/metrics";
import { policySchema } from "../../../domain/policy";
import { metricSourceInputSchema } from "../../../domain/pulled-sources/config";
import { snapshotInputSchema } from "../../../domain/snapshots";
import { putTargetSchema } from "../../../services/config/config-as-code";
import { ingestEnvelopeSchema } from "../../../services/machine/ingest";
import {
  alertmanagerResultSchema,
  effectiveConfigSchema,
  ingestResultSchema,
  policyResponseSchema,
  publishedSnapshotSchema,
  putTargetResponseSchema,
  targetStatusSchema,
} from "../schemas";
import {
  deleteMetricSourceResponseSchema,
  metricSourceResponseSchema,
  putMetricSourceResponseSchema,
} from "../schemas-pulled-sources";
import { ifNoneMatch, slugParam, type RouteEntry } from "../registry";

/** POST /api/v1/ingest's body: the envelope ingestMetrics parses, with the items recordMetrics validates. */
const ingestBodySchema = ingestEnvelopeSchema.extend(metricBatchSchema.shape);

export const machineRoutes: readonly RouteEntry[] = [
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
    method: "get",
    path: "/api/v1/targets/{slug}/metric-source",
    operationId: "getMetricSource",
    tag: "configAsCode",
    summary: "Read the target's pulled metric source",
    description: "Prometheus or CloudWatch settings and the last pull; never the secret.",
    auth: "signed",
    scope: "policies:write",
    pathParams: slugParam,
    responses: { 200: { description: "The source, or null", schema: metricSourceResponseSchema } },
    errors: [404],
  },
  {
    method: "put",
    path: "/api/v1/targets/{slug}/metric-source",
    operationId: "putMetricSource",
    tag: "configAsCode",
    summary: "Save the target's pulled metric source",
    description:
      'The whole source. The secret (`bearerToken`, `secretAccessKey`) is write-only: left out keeps the saved one, null removes it. Equal to the saved source: 200, nothing recorded. docs/INTEGRATIONS.md, "Pulled metrics".',
    auth: "signed",
    scope: "policies:write",
    pathParams: slugParam,
    request: {
      schema: metricSourceInputSchema,
      example: {
        kind: "PROMETHEUS",
        enabled: true,
        config: {
          url: "http://prometheus.monitoring:9090",
          timeoutSeconds: 5,
          queries: {
            requestCount: "sum(increase(litellm_proxy_total_requests_metric_total[$window]))",
            errorRate:
              "(sum(increase(litellm_proxy_failed_requests_metric_total[$window])) or vector(0)) / sum(increase(litellm_proxy_total_requests_metric_total[$window]))",
          },
        },
        bearerToken: "…",
      },
    },
    responses: {
      200: { description: "Updated, or equal to the saved source", schema: putMetricSourceResponseSchema },
      201: { description: "Created", schema: putMetricSourceResponseSchema },
    },
    errors: [404, 409, 422],
  },
  {
    method: "delete",
    path: "/api/v1/targets/{slug}/metric-source",
    operationId: "deleteMetricSource",
    tag: "configAsCode",
    summary: "Remove the target's pulled metric source",
    description: "The target is judged on its stored buckets again.",
    auth: "signed",
    scope: "policies:write",
    pathParams: slugParam,
    responses: { 200: { description: "Removed, or there was none", schema: deleteMetricSourceResponseSchema } },
    errors: [404],
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
];
