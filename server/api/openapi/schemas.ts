// The OpenAPI document's shared component schemas: the one error body every /api/v1 refusal has, OTLP's refusal,
// and the responses, which services shape as TypeScript DTOs rather than parse. Pulled metric sources' responses
// are in schemas-pulled-sources.ts, OFREP's bodies in schemas-ofrep.ts. dto-checks.ts holds each response schema
// against its DTO at compile time. Request schemas are not here: the registry (routes/) imports the very objects
// the handlers validate with.
import "server-only";
import { z } from "zod";
import { apiKeyScopes } from "../../domain/api-key-input";
import type { AppErrorCode } from "../../domain/errors";
import { policySchema } from "../../domain/policy";
import { rollbackStatuses, rollbackTriggers } from "../../domain/rollback";
import { roles } from "../../domain/roles";
import { stepOutcomes } from "../../domain/step-gate";
import { sloIds } from "../../domain/slo";
import { decisionKinds } from "../../domain/decision";
import { evidenceSchema } from "../../services/rollbacks/rows";
import { stepCheckArms } from "../../services/rollbacks/step-checks";

/** Dates as JSON sends them; the format alone (not zod's long ISO pattern) keeps the document readable. */
export const dateTime = z.string().meta({ format: "date-time", example: "2026-05-01T12:00:30.000Z" });
export const nullableDateTime = dateTime.nullable();
export const id = z.string().meta({ example: "cmf3k1x9v0001" });

// ---- Errors ----

/** Codes of the machine API's error body: AppError's, plus the HTTP layer's own. */
const errorCodes = [
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "VALIDATION",
  "CONFLICT",
  "THROTTLED",
  "PRECONDITION_FAILED",
  "PAYLOAD_TOO_LARGE",
  "BAD_REQUEST",
  "UNSUPPORTED_MEDIA_TYPE",
  "UNAVAILABLE",
  "INTERNAL",
] as const satisfies readonly (AppErrorCode | "BAD_REQUEST" | "UNSUPPORTED_MEDIA_TYPE" | "UNAVAILABLE" | "INTERNAL")[];

/** `errorResponse` in server/api/http.ts writes it; LiteLLM's intake refusals have the same shape. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(errorCodes).meta({ description: "Decides the status: VALIDATION 422, NOT_FOUND 404, …" }),
      message: z.string().meta({ description: "For people: the issues summarized, or what to do." }),
      issues: z.record(z.string(), z.string()).optional().meta({
        description:
          "One message per field path, dot-separated with list indexes (`events.12.ts`, `burnRate.factor`, `scopes.0`); `_` is the whole input. Query parameters and headers are keyed by name (`limit`, `Idempotency-Key`).",
      }),
      requestId: z
        .string()
        .optional()
        .meta({ description: "On a 500 only: the server log holds the error under this id (also `X-Request-Id`)." }),
    }),
  })
  .meta({
    id: "Error",
    description:
      "Every refusal of the machine API: `{ error: { code, message, issues? } }` with the status of its code.",
    example: {
      error: {
        code: "VALIDATION",
        message: "Invalid input: events.12.ts: Timestamp must be epoch ms or an ISO 8601 date-time",
        issues: { "events.12.ts": "Timestamp must be epoch ms or an ISO 8601 date-time" },
      },
    },
  });
export type ErrorBody = z.output<typeof errorBodySchema>;

/** OTLP/HTTP's refusal body (google.rpc.Status), in the request's encoding. */
export const otlpStatusSchema = z
  .object({
    code: z
      .number()
      .int()
      .meta({ description: "gRPC code: 3 INVALID_ARGUMENT, 16 UNAUTHENTICATED, 8 RESOURCE_EXHAUSTED…" }),
    message: z.string(),
  })
  .meta({
    id: "OtlpStatus",
    description: "google.rpc.Status, as the OTLP/HTTP spec asks (protobuf or JSON, as the request was).",
    example: { code: 16, message: "Missing API key: send Authorization: Bearer <key> or X-API-Key" },
  });

// ---- Targets, policies, snapshots, configuration ----

export const targetSchema = z
  .object({
    id,
    slug: z.string(),
    name: z.string(),
    description: z.string(),
    monitoringEnabled: z.boolean(),
    currentSnapshotId: z.string().nullable(),
    knownGoodSnapshotId: z.string().nullable(),
    createdAt: dateTime,
    updatedAt: dateTime,
  })
  .meta({ id: "Target" });

export const putTargetResponseSchema = z.object({
  target: targetSchema,
  created: z.boolean().meta({ description: "True: the target was created (201); false: updated (200)." }),
});

export const policyResponseSchema = z.object({
  version: z.number().int().nullable().meta({ description: "The target's policy version now in force." }),
  policy: policySchema.meta({ description: "The saved policy, every default filled in (docs/POLICY.md)." }),
  changed: z.boolean().meta({ description: "False: equal to the latest version, nothing recorded (200)." }),
});

export const publishedSnapshotSchema = z.object({
  id,
  version: z.number().int(),
  checksum: z.string().meta({ description: "SHA-256 of the config's canonical JSON (keys sorted)." }),
  label: z.string().nullable(),
  publishedAt: nullableDateTime,
  created: z
    .boolean()
    .meta({ description: "False: the checksum equals the current snapshot's; nothing published (200)." }),
});

const jsonObject = z.unknown().meta({ description: "The configuration: a JSON object, as published." });

const servedSnapshotSchema = z.object({
  id,
  version: z.number().int(),
  checksum: z.string(),
  config: jsonObject,
});

export const effectiveConfigSchema = z
  .object({
    target: z.string(),
    snapshot: servedSnapshotSchema
      .nullable()
      .meta({ description: "What runs; during a rollback at 100% the known-good one. Null before the first publish." }),
    rollback: z
      .object({
        id,
        trafficPercent: z.number(),
        split: z.array(servedSnapshotSchema.extend({ weight: z.number() })),
      })
      .nullable()
      .meta({ description: "While a rollback moves traffic: route each request to a split entry with weight/100." }),
    flags: z.array(z.object({ key: z.string(), enabled: z.boolean(), percent: z.number() })),
  })
  .meta({ id: "EffectiveConfig" });

const readingsShape = {
  errorRate: z.number().nullable(),
  p95LatencyMs: z.number().nullable(),
  costPerRequestUsd: z.number().nullable(),
  ttftP95Ms: z.number().nullable(),
};

const armStatusSchema = z.object({
  arm: z.enum(["KNOWN_GOOD", "CURRENT"]),
  version: z.number().int(),
  requests: z.number().int(),
  ...readingsShape,
});

const sloComparisonSchema = z.object({
  slo: z.enum(sloIds),
  knownGood: z.number().nullable(),
  current: z.number().nullable(),
  pValue: z.number().nullable(),
  worse: z.enum(["KNOWN_GOOD", "CURRENT"]).nullable(),
});

const lastStepCheckSchema = z
  .object({
    outcome: z.enum(stepOutcomes),
    checkedAt: dateTime,
    perArm: z.boolean(),
    step: z.number().int(),
    arms: z.array(z.object({ arm: z.enum(stepCheckArms), version: z.number().int().nullable(), requests: z.number() })),
    slos: z.array(sloComparisonSchema),
  })
  .nullable();

export const targetStatusSchema = z
  .object({
    target: z.object({ slug: z.string(), name: z.string(), monitoringEnabled: z.boolean() }),
    snapshots: z.object({ current: z.string().nullable(), knownGood: z.string().nullable() }),
    verdict: z
      .object({
        status: z.string(),
        severity: z.string().nullable(),
        consecutiveCount: z.number().int(),
        evaluatedAt: dateTime,
        explanation: z.string().nullable(),
        observed: z
          .object({
            windowSeconds: z.number(),
            requestCount: z.number(),
            errorRate: z.number().nullable(),
            p95Ms: z.number().nullable(),
            costPerRequestUsd: z.number().nullable(),
            ttftP95Ms: z.number().nullable(),
            pulledFrom: z
              .string()
              .optional()
              .meta({ description: "The metric source the readings were pulled from (docs/INTEGRATIONS.md)" }),
          })
          .nullable(),
      })
      .nullable(),
    rollback: z
      .object({
        id,
        trigger: z.string(),
        status: z.string(),
        trafficPercent: z.number(),
        currentStep: z.number().int(),
        steps: z.array(z.number().int()),
        approvalsRequired: z.number().int(),
        approvalCount: z.number().int(),
        requestedAt: dateTime,
        reason: z.string().nullable(),
        arms: z.array(armStatusSchema),
        lastStepCheck: lastStepCheckSchema,
      })
      .nullable(),
    lastRollback: z
      .object({
        id,
        status: z.string(),
        endedAt: nullableDateTime,
        verification: z.string().nullable(),
        verifiedAt: nullableDateTime,
        lastStepCheck: lastStepCheckSchema,
      })
      .nullable(),
  })
  .meta({ id: "TargetStatus" });

// ---- Ingestion ----

const targetActionShape = {
  verdict: z.object({
    status: z.enum(["INSUFFICIENT_DATA", "HEALTHY", "VIOLATION", "BREACH"]),
    severity: z.enum(["CRITICAL", "EMERGENCY"]).nullable(),
    explanation: z.string(),
  }),
  decision: z.enum(decisionKinds),
  rollback: z.object({ id, status: z.string(), created: z.boolean() }).nullable(),
};

export const ingestResultSchema = z
  .object({
    target: z.string(),
    events: z.number().int(),
    windows: z.number().int(),
    buckets: z.number().int(),
    action: z
      .object(targetActionShape)
      .nullable()
      .meta({ description: "Set when the batch made an emergency and Rewind acted at once." }),
  })
  .meta({
    id: "IngestResult",
    example: { target: "chat-completions", events: 2, windows: 0, buckets: 3, action: null },
  });

/** LiteLLM's 202: what the intake wrote (docs/INTEGRATIONS.md). */
export const intakeResultSchema = z.object({
  target: z.string().nullable(),
  events: z.number().int(),
  buckets: z.number().int(),
  action: z.object(targetActionShape).nullable(),
});

export const alertmanagerResultSchema = z.object({
  ignoredAlerts: z.number().int().meta({ description: "Alerts without a rewind_target label." }),
  unknownTargets: z.array(z.object({ target: z.string(), alerts: z.number().int() })).meta({
    description: "rewind_target values naming no target: their alerts were not judged (recorded for admins).",
  }),
  monitoringPaused: z.boolean(),
  targets: z.array(
    z.union([
      z.object({ target: z.string(), skipped: z.literal("monitoring disabled") }),
      z.object({
        target: z.string(),
        ...targetActionShape,
        withdrawnRollback: z.object({ id, status: z.string(), endReason: z.string().nullable() }).nullable(),
      }),
    ]),
  ),
});

/** OTLP/HTTP's success body (ExportTraceServiceResponse), in the request's encoding. */
export const otlpExportResponseSchema = z.object({
  partialSuccess: z
    .object({
      rejectedSpans: z.string().meta({ description: "int64, as OTLP/JSON writes it" }),
      errorMessage: z.string(),
    })
    .optional(),
});

// ---- Rollbacks ----

const principalSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("USER"), id, name: z.string(), email: z.string() }),
    z.object({ type: z.literal("API_KEY"), id, name: z.string(), prefix: z.string() }),
    z.object({ type: z.literal("SYSTEM") }),
    z.object({ type: z.literal("UNKNOWN"), id }),
  ])
  .meta({ id: "Principal", description: "Who acted: a person, a machine client's key, or Rewind itself." });

const rollbackSummaryShape = {
  id,
  target: z.object({ slug: z.string(), name: z.string() }),
  trigger: z.enum(rollbackTriggers),
  status: z.enum(rollbackStatuses),
  steps: z.array(z.number().int()).meta({ description: "Shares of traffic on toSnapshot, step by step." }),
  currentStep: z.number().int().meta({ description: "Index into steps; -1 before the first." }),
  trafficPercent: z.number(),
  approvalsRequired: z.number().int(),
  approvalCount: z.number().int(),
  fromSnapshot: z.object({ id, version: z.number().int().nullable() }),
  toSnapshot: z.object({ id, version: z.number().int().nullable() }),
  requestedBy: principalSchema,
  requestedAt: dateTime,
  reason: z.string().nullable(),
  startedAt: nullableDateTime,
  timeToActionMs: z.number().nullable(),
  endedAt: nullableDateTime,
  endedBy: principalSchema.nullable(),
  endReason: z.string().nullable(),
  aborted: z.boolean(),
  verification: z.string().nullable(),
  verifiedAt: nullableDateTime,
};

export const rollbackSummarySchema = z.object(rollbackSummaryShape).meta({ id: "RollbackSummary" });

export const rollbackPageSchema = z.object({
  items: z.array(rollbackSummarySchema),
  nextCursor: z.string().nullable().meta({ description: "Pass it as `cursor` for the next page; null on the last." }),
});

export const rollbackDetailSchema = z
  .object({
    ...rollbackSummaryShape,
    lastStepAt: nullableDateTime,
    stepHolds: z.number().int(),
    policyVersion: z.number().int().nullable(),
    evidence: evidenceSchema
      .nullable()
      .meta({ description: "What caused it: the verdict, the decision, the policy version." }),
    trafficSplit: z.array(
      z.object({ snapshotId: z.string(), version: z.number().int().nullable(), weight: z.number() }),
    ),
    approvals: z.array(
      z.object({
        user: z.object({ id, name: z.string(), email: z.string().nullable() }).nullable(),
        decision: z.string(),
        comment: z.string().nullable(),
        at: dateTime,
      }),
    ),
    policy: z.object({
      thresholds: z
        .object({
          policyVersion: z.number().int().nullable(),
          maxErrorRate: z.number(),
          maxP95LatencyMs: z.number(),
          maxCostPerRequestUsd: z.number(),
          maxTtftP95Ms: z.number().optional(),
        })
        .nullable(),
      approvalDeadline: nullableDateTime,
      nextStepDueAt: nullableDateTime,
      verificationEndsAt: nullableDateTime,
      stepGate: z
        .object({
          stepMinRequests: z.number().int(),
          stepSignificance: z.number(),
          stepMaxHoldIntervals: z.number().int(),
        })
        .nullable(),
    }),
    arms: z.array(armStatusSchema),
    stepChecks: z.array(
      z.object({
        step: z.number().int(),
        trafficPercent: z.number(),
        outcome: z.enum(stepOutcomes),
        perArm: z.boolean(),
        checkedAt: dateTime,
        windowFrom: dateTime,
        alpha: z.number(),
        explanation: z.string(),
        arms: z.array(
          z.object({
            arm: z.enum(stepCheckArms),
            version: z.number().int().nullable(),
            requests: z.number().int(),
            ...readingsShape,
          }),
        ),
        slos: z.array(sloComparisonSchema),
      }),
    ),
    timeline: z.array(
      z.object({
        sequence: z.number().int(),
        at: dateTime,
        action: z.string().meta({ example: "rollback.step_advanced" }),
        actor: principalSchema,
        reason: z.string().nullable(),
        before: z.unknown(),
        after: z.unknown(),
      }),
    ),
  })
  .meta({ id: "RollbackDetail" });

// ---- Admin: keys and users ----

export const apiKeySchema = z
  .object({
    id,
    name: z.string(),
    prefix: z.string().meta({ example: "rwd_Q3k9xV2a" }),
    scopes: z.array(z.enum(apiKeyScopes)),
    targetSlugs: z.array(z.string()).nullable().meta({ description: "Null: every target." }),
    signingRequired: z.boolean(),
    createdById: z.string().nullable(),
    createdAt: dateTime,
    lastUsedAt: nullableDateTime,
    revokedAt: nullableDateTime,
  })
  .meta({ id: "ApiKey" });

export const apiKeyListSchema = z.object({ items: z.array(apiKeySchema) });

export const createdApiKeySchema = z.object({
  apiKey: apiKeySchema,
  key: z.string().meta({ description: "The key (rwd_…): in this answer only.", example: "rwd_…" }),
  signingSecret: z.string().meta({ description: "Its signing secret (rws_…): in this answer only.", example: "rws_…" }),
});

export const userSchema = z
  .object({
    id,
    email: z.string(),
    name: z.string(),
    role: z.enum(roles),
    disabled: z.boolean(),
    createdAt: dateTime,
  })
  .meta({ id: "User" });

export const createdUserSchema = z.object({
  user: userSchema,
  password: z
    .string()
    .optional()
    .meta({ description: "Only when the request left the password out: generated, shown once." }),
});
