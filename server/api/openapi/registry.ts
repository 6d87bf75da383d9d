// The OpenAPI registry's vocabulary: tags, how a route authenticates, the shape of one route's entry, and the
// parameters several areas share. The entries themselves live in routes/, one file per area of the API.
import "server-only";
import { z } from "zod";
import type { ApiKeyScope } from "../../domain/api-key-input";
import { slugSchema } from "../../domain/targets";

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
export function described<Shape extends Record<string, z.ZodType>>(
  shape: Shape,
  descriptions: Record<keyof Shape, string>,
) {
  return Object.fromEntries(
    Object.entries(shape).map(([name, schema]) => [name, schema.meta({ description: descriptions[name] })]),
  ) as Shape;
}

export const slugParam = z.object({
  slug: slugSchema.meta({ description: "The target's slug", example: "chat-completions" }),
});
export const rollbackIdParam = z.object({
  id: z.string().meta({ description: "The rollback's id", example: "cmf3k1w2a0000" }),
});
export const ifNoneMatch = z.object({
  "If-None-Match": z
    .string()
    .optional()
    .meta({ description: "The last ETag: 304 when unchanged.", example: '"3b0f…"' }),
});
export const rewindTargetHeader = z.object({
  "X-Rewind-Target": slugSchema
    .optional()
    .meta({ description: "The target of items that name none (else the key's one target)." }),
  "Content-Encoding": z.enum(["gzip", "identity"]).optional(),
});
