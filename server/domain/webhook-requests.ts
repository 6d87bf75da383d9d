// The request an outbound webhook receives: the JSON body and its headers, signed exactly like ingestion.
// Contract: docs/API.md, "Outbound webhooks".
import { signRequest } from "./api-keys";
import type { ChannelNotification } from "./notification-channels";

/** The JSON body POSTed to an endpoint: the notification as stored, `createdAt` in ISO 8601. */
export function webhookBody(notification: ChannelNotification): string {
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
