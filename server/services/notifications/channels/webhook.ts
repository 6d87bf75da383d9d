// Outbound webhooks: every enabled endpoint is a lane of its own, getting the events its patterns match,
// signed like ingestion. Endpoints are managed in ../webhook-endpoints.ts, not through channel settings.
import "server-only";
import { eventMatches } from "../../../domain/webhooks";
import { webhookBody, webhookHeaders } from "../../../domain/webhook-requests";
import { webhookSecretOf } from "../webhook-endpoints";
import { post } from "./http";
import type { NotificationChannel } from "./types";

export const webhookChannel = {
  id: "WEBHOOK",
  label: "Webhook",
  async lanes({ db, now, encryptionKey }) {
    const endpoints = await db.webhookEndpoint.findMany({
      where: { enabled: true },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: { id: true, name: true, url: true, events: true, signingSecretEncrypted: true },
    });
    return endpoints.map((endpoint) => {
      const patterns = endpoint.events.split(",");
      return {
        endpointId: endpoint.id,
        receives: ({ event }) => eventMatches(patterns, event),
        request: (notification, deliveryId) => {
          const rawBody = webhookBody(notification);
          // Decrypted per attempt: an unreadable secret is this delivery's error, not the run's.
          const secret = webhookSecretOf(endpoint, encryptionKey());
          return {
            url: endpoint.url,
            body: rawBody,
            headers: webhookHeaders({ secret, rawBody, event: notification.event, deliveryId, now }),
          };
        },
      };
    });
  },
  send: post,
} satisfies NotificationChannel;
