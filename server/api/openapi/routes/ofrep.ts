// OpenAPI entries: OpenFeature's OFREP and this document.
import "server-only";
import { z } from "zod";
import { ofrepRequestSchema } from "../../../domain/flag-evaluation";
import { flagKeySchema } from "../../../domain/flags";
import { ofrepBulkSchema, ofrepEvaluationFailureSchema, ofrepSuccessSchema } from "../schemas-ofrep";
import { ifNoneMatch, type RouteEntry } from "../registry";

export const ofrepRoutes: readonly RouteEntry[] = [
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
  {
    method: "get",
    path: "/api/v1/openapi.json",
    operationId: "openApiDocument",
    tag: "meta",
    summary: "This OpenAPI 3.1 document",
    description: "Public and cacheable; built once per process from the registry (server/api/openapi/routes/).",
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
