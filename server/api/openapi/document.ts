// The OpenAPI 3.1 document of the machine API, the intakes and OFREP, built by zod-openapi from the registry
// (routes/) once per process: GET /api/v1/openapi.json serves it and the console's API reference renders it.
import "server-only";
import { createHash } from "node:crypto";
import { z } from "zod";
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from "zod-openapi";
import type { oas31 } from "zod-openapi";
import { MAX_BODY_BYTES, RATE_LIMIT } from "../http";
import { policySchema } from "../../domain/policy";
import { snapshotConfigSchema } from "../../domain/snapshots";
import { tags, type Auth, type ErrorFormat, type ResponseEntry, type RouteEntry } from "./registry";
import { allRoutes } from "./routes";
import { errorBodySchema, otlpStatusSchema } from "./schemas";
import { ofrepErrorSchema, ofrepEvaluationFailureSchema } from "./schemas-ofrep";

export type OpenApiDocument = ReturnType<typeof createDocument>;

const PROTOBUF = "application/x-protobuf";
const protobufBody = z.string().meta({ description: "Binary protobuf of the same message" });

const securitySchemes = {
  apiKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "rwd_…",
    description:
      "An API key (`rwd_…`): `Authorization: Bearer <key>`. Each operation lists the scope it needs; a key limited to targets is refused (403) for any other target.",
  },
  apiKeyHeader: {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description:
      "The same API key in `X-API-Key`, for senders that cannot send `Authorization` (intakes and OFREP only).",
  },
  rewindSignature: {
    type: "apiKey",
    in: "header",
    name: "X-Rewind-Signature",
    description:
      '`t=<unix seconds>,v2=<hex HMAC-SHA256(signing secret, "<t>.<METHOD>.<path>.<raw body>")>`, the path with its query as Rewind receives it (`v1=<hex HMAC-SHA256(signing secret, "<t>.<raw body>")>` is still accepted). Required, with the key, on every request with a body and every DELETE (over the empty body) when the key was created with signing on (the default). `t` within 5 minutes of the server\'s clock; a signature is accepted once (a replay is 401). Several values may be sent; any match counts. docs/API.md "Signatures".',
  },
  slackSignature: {
    type: "apiKey",
    in: "header",
    name: "X-Slack-Signature",
    description:
      '`v0=<hex HMAC-SHA256(Slack signing secret, "v0:<X-Slack-Request-Timestamp>:<raw body>")>`, with `X-Slack-Request-Timestamp` within 5 minutes.',
  },
} satisfies Record<string, oas31.SecuritySchemeObject>;
type SchemeName = keyof typeof securitySchemes;

function securityOf(route: RouteEntry): oas31.SecurityRequirementObject[] {
  const scopes = route.scope ? [route.scope] : [];
  const requirements: Record<Auth, Partial<Record<SchemeName, string[]>>[]> = {
    // The second alternative is a key created with --unsigned (Alertmanager's): the key alone.
    signed: [{ apiKey: scopes, rewindSignature: [] }, { apiKey: scopes }],
    key: [{ apiKey: scopes }],
    keyAnyHeader: [{ apiKey: scopes }, { apiKeyHeader: scopes }],
    slack: [{ slackSignature: [] }],
    sns: [],
    none: [],
  };
  return requirements[route.auth];
}

const errorDescriptions: Record<number, string> = {
  400: "The body is empty, not JSON, or not this format",
  401: "No key, an unknown or revoked one; a missing, stale, replayed or wrong signature",
  403: "The key lacks the scope, or may not use the target",
  404: "No such target, rollback or key (another target's rollback is 404 too)",
  409: "CONFLICT or PRECONDITION_FAILED: the state does not allow it now (the message says why); an Idempotency-Key still running",
  413: `Body over ${MAX_BODY_BYTES / 1024 / 1024} MB, or more items than a request takes`,
  415: "A content type or encoding the route does not take",
  422: "Invalid input: `issues` names each field by path",
  429: `The key's rate limit (${RATE_LIMIT.perSecond}/s, bursts of ${RATE_LIMIT.burst}, per instance): retry after Retry-After`,
  500: "Internal error: only a request id, also in X-Request-Id and the server log",
  503: "Busy or the database unreachable: nothing written, retry after Retry-After",
};

const errorHeaders: Record<number, Record<string, string>> = {
  401: { "WWW-Authenticate": 'Bearer realm="rewind"' },
  429: { "Retry-After": "Seconds to wait" },
  503: { "Retry-After": "Seconds to wait" },
  500: { "X-Request-Id": "The id the server log has the error under" },
};

/** The refusals every route of its kind has, beside the ones its entry lists. */
function errorStatuses(route: RouteEntry): number[] {
  const keyed = route.auth === "signed" || route.auth === "key" || route.auth === "keyAnyHeader";
  const statuses = new Set(route.errors);
  if (keyed) for (const status of [401, 429, 500]) statuses.add(status);
  if (keyed && route.scope) statuses.add(403);
  if (keyed && route.request) for (const status of [400, 413]) statuses.add(status);
  return [...statuses].sort((a, b) => a - b);
}

function errorSchema(format: ErrorFormat, status: number): z.ZodType | null {
  switch (format) {
    case "machine":
      return errorBodySchema;
    case "otlp":
      return otlpStatusSchema;
    case "ofrep":
      return status === 400 || status === 404 ? ofrepEvaluationFailureSchema : ofrepErrorSchema;
    case "none":
      return null;
  }
}

function headersOf(headers: Readonly<Record<string, string>> | undefined) {
  if (!headers || Object.keys(headers).length === 0) return undefined;
  return z.object(
    Object.fromEntries(
      Object.entries(headers).map(([name, description]) => [name, z.string().optional().meta({ description })]),
    ),
  );
}

function content(schema: z.ZodType, contentTypes: readonly string[], example: unknown) {
  return Object.fromEntries(
    contentTypes.map((type) => [
      type,
      type === PROTOBUF ? { schema: protobufBody } : { schema, ...(example !== undefined && { example }) },
    ]),
  );
}

function response(entry: ResponseEntry, extraHeaders: Record<string, string> = {}): ZodOpenApiResponseObject {
  const headers = headersOf({ ...entry.headers, ...extraHeaders });
  return {
    description: entry.description,
    ...(headers && { headers }),
    ...(entry.schema && { content: content(entry.schema, entry.contentTypes ?? ["application/json"], entry.example) }),
  };
}

function operation(route: RouteEntry): ZodOpenApiOperationObject {
  const format = route.errorFormat ?? "machine";
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, entry] of Object.entries(route.responses)) {
    const replayed: Record<string, string> =
      route.idempotent && Number(status) < 300
        ? { "Idempotent-Replayed": "true when this answer replays the first" }
        : {};
    responses[status] = response(entry, replayed);
  }
  for (const status of errorStatuses(route)) {
    if (responses[status]) continue;
    const schema = errorSchema(format, status);
    const contentTypes = format === "otlp" ? ["application/json", PROTOBUF] : ["application/json"];
    responses[status] = response({
      description: errorDescriptions[status] ?? "Refused",
      ...(schema && { schema, contentTypes }),
      ...(errorHeaders[status] && { headers: errorHeaders[status] }),
    });
  }
  const header = route.idempotent
    ? (route.headers ?? z.object({})).extend({
        "Idempotency-Key": z
          .string()
          .regex(/^[\x21-\x7e]{1,255}$/)
          .optional()
          .meta({ description: "A retry with the same key replays the first success for 24 hours (sign it afresh)." }),
      })
    : route.headers;
  return {
    operationId: route.operationId,
    tags: [tags[route.tag].name],
    summary: route.summary,
    ...(route.description && { description: route.description }),
    security: securityOf(route),
    ...((route.pathParams ?? route.query ?? header) && {
      requestParams: {
        ...(route.pathParams && { path: route.pathParams }),
        ...(route.query && { query: route.query }),
        ...(header && { header }),
      },
    }),
    ...(route.request && {
      requestBody: {
        required: route.request.required ?? true,
        content: content(
          route.request.schema,
          route.request.contentTypes ?? ["application/json"],
          route.request.example,
        ),
      },
    }),
    responses,
    "x-rewind-auth": route.auth,
    ...(route.scope && { "x-rewind-scope": route.scope }),
  };
}

function build(): OpenApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of allRoutes) {
    paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  }
  return createDocument(
    {
      openapi: "3.1.0",
      info: {
        title: "Rewind API",
        version: "1",
        description:
          "The machine API (`/api/v1`), the telemetry intakes, the integrations' callbacks and OpenFeature (`/ofrep/v1`). Authentication: an API key with the scope each operation names, and on changes a request signature (`X-Rewind-Signature`) when the key signs. Refusals of `/api/v1` are `{ error: { code, message, issues? } }` (the `Error` schema), `issues` keyed by field path. Guide: docs/API.md.",
      },
      tags: Object.values(tags).map((tag) => ({ ...tag })),
      paths,
      components: {
        securitySchemes,
        // The handlers' own schemas, registered by identity: every use becomes a $ref to one named component.
        schemas: { Policy: policySchema, SnapshotConfig: snapshotConfigSchema },
      },
    },
    {
      // The snapshot's config is a z.custom (any JSON object, checked by canonical form and size).
      override: ({ jsonSchema, zodSchema }) => {
        if (zodSchema === snapshotConfigSchema) {
          jsonSchema.type = "object";
          // Said outright: generators read an object without it as one that has no fields at all.
          jsonSchema.additionalProperties = true;
          jsonSchema.description = "Any JSON object up to 256 KB as canonical JSON (keys sorted)";
        }
      },
      allowEmptySchema: { custom: true },
    },
  );
}

let cached: { document: OpenApiDocument; json: string; etag: string } | undefined;

/** Built on first use and kept: the registry and schemas do not change while the process runs. */
function built() {
  if (!cached) {
    const document = build();
    const json = JSON.stringify(document);
    cached = { document, json, etag: `"${createHash("sha256").update(json).digest("hex").slice(0, 32)}"` };
  }
  return cached;
}

export function openApiDocument(): OpenApiDocument {
  return built().document;
}

/** The document as served: its JSON text and a strong ETag over it. */
export function openApiJson(): { json: string; etag: string } {
  const { json, etag } = built();
  return { json, etag };
}
