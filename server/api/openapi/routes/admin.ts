// OpenAPI entries: API keys and users, for an `admin` key.
import "server-only";
import { z } from "zod";
import { apiKeyScopes, createApiKeySchema } from "../../../domain/api-key-input";
import { createUserSchema } from "../../../domain/users";
import { apiKeyListSchema, apiKeySchema, createdApiKeySchema, createdUserSchema } from "../schemas";
import { type RouteEntry } from "../registry";

/** The admin API generates a password when none is sent (services/machine/admin-api.ts), then validates with this. */
const createUserBodySchema = createUserSchema.partial({ password: true });

export const adminRoutes: readonly RouteEntry[] = [
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
];
