// Outbound webhook endpoints: their input, and which events their patterns select (the other channels'
// rules are in notification-channels.ts). No node:crypto here, so settings forms can import it; the signed request
// is in webhook-requests.ts. Contract: docs/API.md, "Outbound webhooks".
import { z } from "zod";
import { safeText } from "./input-bounds";

/** `*`, an event name (`config.changed`) or a prefix ending in `.*` (`rollback.*`). */
const patternRegex = /^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$/;

export const webhookEventPatternSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(patternRegex, "Use an event name (config.changed), a prefix with .* (rollback.*) or * for every event");

/** What the settings form offers; an endpoint may list any other event name too. */
export const webhookEventSuggestions = [
  "rollback.*",
  "emergency_stop.*",
  "config.changed",
  "snapshot.*",
  "flag.*",
  "verdict.*",
  "monitoring.*",
  "target.*",
  "audit.checkpoint",
] as const;

/** A new endpoint's events unless chosen otherwise: what the orchestrator and on-call tooling need. */
export const defaultWebhookEvents = ["rollback.*", "emergency_stop.*", "config.changed"];

const webhookUrlSchema = z
  .url({ message: "Enter the endpoint's URL (https://… or http://…)" })
  .max(2000, "The URL must be at most 2000 characters")
  .refine((url) => /^https?:\/\//i.test(url), { message: "The URL must use https or http" });

const nameSchema = safeText().trim().min(1, "Name is required").max(100, "Name must be at most 100 characters");

const eventsSchema = z
  .array(webhookEventPatternSchema)
  .min(1, "Choose at least one event")
  .max(50, "List at most 50 event patterns")
  .transform((patterns) => [...new Set(patterns)]);

export const createWebhookSchema = z.object({
  name: nameSchema,
  url: webhookUrlSchema,
  events: eventsSchema,
  enabled: z.boolean().default(true),
});
export type CreateWebhookInput = z.input<typeof createWebhookSchema>;

export const updateWebhookSchema = z.object({
  id: z.string().min(1, "Endpoint is required"),
  name: nameSchema.optional(),
  url: webhookUrlSchema.optional(),
  events: eventsSchema.optional(),
  enabled: z.boolean().optional(),
});
export type UpdateWebhookInput = z.input<typeof updateWebhookSchema>;

/** True when one of the patterns selects the event. Patterns are lower case; so are event names. */
export function eventMatches(patterns: readonly string[], event: string): boolean {
  return patterns.some((pattern) => {
    if (pattern === "*") return true;
    if (pattern.endsWith(".*")) return event.startsWith(pattern.slice(0, -1));
    return pattern === event;
  });
}
