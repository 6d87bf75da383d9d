// What an admin chooses when creating an API key: shared by the settings form, the CLI and the service.
import { z } from "zod";
import { safeText } from "./input-bounds";
import { slugSchema } from "./targets";

export const apiKeyScopes = [
  "ingest",
  "config:read",
  "snapshots:write",
  "policies:write",
  "flags:read",
  "rollbacks:read",
  "rollbacks:write",
  "admin",
] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

const scopeSchema = z.enum(apiKeyScopes, { error: `Scopes are ${apiKeyScopes.join(", ")}` });

export const createApiKeySchema = z
  .object({
    name: safeText().trim().min(1, "Name is required").max(100, "Name must be at most 100 characters"),
    scopes: z
      .array(scopeSchema)
      .min(1, "Choose at least one scope")
      .transform((scopes) => [...new Set(scopes)]),
    /** Null or absent: every target. */
    targetSlugs: z
      .array(slugSchema)
      .min(1, "List at least one target, or leave the list out for all targets")
      .max(100, "List at most 100 targets")
      .transform((slugs) => [...new Set(slugs)])
      .nullish(),
    signingRequired: z.boolean().default(true),
  })
  // An admin key creates users and keys for every target, so a target list would only pretend to limit it.
  .refine((input) => !input.scopes.includes("admin") || !input.targetSlugs, {
    message: "An admin key acts on every target: leave the target list out",
    path: ["targetSlugs"],
  });
export type CreateApiKeyInput = z.input<typeof createApiKeySchema>;

/** What each scope allows, for the settings form (docs/API.md, "API keys and scopes"). */
export const apiKeyScopeDescriptions: Record<ApiKeyScope, string> = {
  ingest: "Push metrics and Alertmanager notifications",
  "config:read": "Read the effective configuration and status",
  "snapshots:write": "Publish configurations (a deploy pipeline)",
  "policies:write":
    "Create and update targets and their SLO policies (and, for all targets, the OTLP target mapping rules)",
  "flags:read": "Evaluate feature flags with OpenFeature SDKs (OFREP)",
  "rollbacks:read": "List and read rollbacks: steps, step checks, approvals, verification, timeline",
  "rollbacks:write": "Request manual rollbacks (a person still approves), cancel and abort rollbacks",
  admin: "Create and revoke API keys and create users: as powerful as an admin user",
};
