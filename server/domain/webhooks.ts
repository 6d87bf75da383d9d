// Outbound notifications: which channel gets which event (webhook endpoints' event patterns, Slack's
// exclusions), the webhook request body and its signed headers. Contract: docs/API.md, "Outbound webhooks".
import { z } from "zod";
import { signRequest } from "./api-keys";

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
] as const;

/** A new endpoint's events unless chosen otherwise: what the orchestrator and on-call tooling need. */
export const defaultWebhookEvents = ["rollback.*", "emergency_stop.*", "config.changed"];

const webhookUrlSchema = z
  .url({ message: "Enter the endpoint's URL (https://… or http://…)" })
  .max(2000, "The URL must be at most 2000 characters")
  .refine((url) => /^https?:\/\//i.test(url), { message: "The URL must use https or http" });

const nameSchema = z.string().trim().min(1, "Name is required").max(100, "Name must be at most 100 characters");

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

/**
 * Slack gets every notification except `config.changed`: each one accompanies a change Slack already hears
 * about (a published snapshot, a rollback step, a flag turned on or off), and would double a busy channel.
 */
export function slackReceives(event: string): boolean {
  return event !== "config.changed";
}

export interface OutboundNotification {
  id: string;
  event: string;
  severity: string;
  title: string;
  body: string;
  targetId: string | null;
  rollbackId: string | null;
  payload: unknown;
  createdAt: Date;
}

/** The JSON body POSTed to an endpoint: the notification as stored, `createdAt` in ISO 8601. */
export function webhookBody(notification: OutboundNotification): string {
  const { id, event, severity, title, body, targetId, rollbackId, payload, createdAt } = notification;
  return JSON.stringify({
    id,
    event,
    severity,
    title,
    body,
    targetId,
    rollbackId,
    payload,
    createdAt: createdAt.toISOString(),
  });
}

/**
 * The headers of one attempt: signed exactly like ingestion requests (HMAC-SHA256 over "<t>.<raw body>"),
 * and the delivery id, the same on every retry, so a receiver can drop duplicates.
 */
export function webhookHeaders(options: {
  secret: string;
  rawBody: string;
  event: string;
  deliveryId: string;
  now: Date;
}): Record<string, string> {
  return {
    "Content-Type": "application/json",
    "User-Agent": "Rewind-Webhooks/1",
    "X-Rewind-Event": options.event,
    "X-Rewind-Delivery": options.deliveryId,
    "X-Rewind-Signature": signRequest(options.secret, Math.floor(options.now.getTime() / 1000), options.rawBody),
  };
}
