// Generic outbound webhook endpoints, managed by admins: the signing secret is shown once at creation and
// kept encrypted like API keys' (server/services/platform/secret-box.ts). Delivery is the notifier's. Contract:
// docs/API.md, "Outbound webhooks".
import "server-only";
import { randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import type { Db, Prisma } from "../../db";
import type { JsonValue } from "../../domain/canonical-json";
import { AppError } from "../../domain/errors";
import { webhookBody, webhookHeaders } from "../../domain/webhook-requests";
import {
  createWebhookSchema,
  updateWebhookSchema,
  type CreateWebhookInput,
  type UpdateWebhookInput,
} from "../../domain/webhooks";
import { apiKeyEncryptionKey } from "../../env.js";
import { actorIdOf, appendAudit, changedFields, type WithActor } from "../audit/audit-log";
import { retryOnConflict } from "../platform/retry";
import { openSecret, sealSecret } from "../platform/secret-box";
import { parseInput } from "../platform/validation";
import { post, type Send } from "./channels/http";

const SECRET_PREFIX = "rwh_";

const endpointSelect = {
  id: true,
  name: true,
  url: true,
  events: true,
  enabled: true,
  createdById: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.WebhookEndpointSelect;
type EndpointRow = Prisma.WebhookEndpointGetPayload<{ select: typeof endpointSelect }>;

export type WebhookEndpointDto = Omit<EndpointRow, "events"> & { events: string[] };

export type WebhookEndpointListItem = WebhookEndpointDto & {
  createdBy: { id: string; name: string; email: string } | null;
  /** Deliveries waiting (or retrying), and given up, for this endpoint. */
  pending: number;
  dead: number;
};

function toDto(row: EndpointRow): WebhookEndpointDto {
  return { ...row, events: row.events.split(",") };
}

/** What the audit history keeps of a URL: its origin. Paths and queries often carry a token. */
function urlOrigin(url: string): string {
  return new URL(url).origin;
}

/** The endpoint's secret, for signing; the error names the endpoint when it cannot be read. */
export function webhookSecretOf(
  endpoint: { id: string; name: string; signingSecretEncrypted: string },
  encryptionKey: Buffer,
): string {
  return openSecret(
    endpoint.signingSecretEncrypted,
    `webhook:${endpoint.id}`,
    encryptionKey,
    `Webhook ${endpoint.name}`,
  );
}

export interface CreatedWebhookEndpoint {
  endpoint: WebhookEndpointDto;
  /** Shown once: stored encrypted, for signing deliveries. */
  signingSecret: string;
}

export async function createWebhookEndpoint(
  db: Db,
  { actor, ...input }: WithActor<CreateWebhookInput>,
  options: { now: Date; encryptionKey: Buffer },
): Promise<CreatedWebhookEndpoint> {
  const { name, url, events, enabled } = parseInput(createWebhookSchema, input);
  const { now, encryptionKey } = options;
  const id = randomUUID();
  const signingSecret = SECRET_PREFIX + randomBytes(32).toString("base64url");
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const row = await tx.webhookEndpoint.create({
        data: {
          id,
          name,
          url,
          events: events.join(","),
          // The id is the associated data: a secret copied onto another row does not decrypt.
          signingSecretEncrypted: sealSecret(signingSecret, `webhook:${id}`, encryptionKey),
          enabled,
          createdById: actorIdOf(actor),
          createdAt: now,
        },
        select: endpointSelect,
      });
      await appendAudit(
        tx,
        {
          actor,
          action: "webhook.created",
          entityType: "WebhookEndpoint",
          entityId: id,
          after: { name, url: urlOrigin(url), events, enabled },
        },
        now,
      );
      return { endpoint: toDto(row), signingSecret };
    }),
  );
}

/** Oldest first, with their backlog; never the secret. */
export async function listWebhookEndpoints(db: Db): Promise<WebhookEndpointListItem[]> {
  const [rows, counts] = await Promise.all([
    db.webhookEndpoint.findMany({ select: endpointSelect, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
    db.notificationDelivery.groupBy({
      by: ["endpointId", "status"],
      where: { channel: "WEBHOOK", status: { in: ["PENDING", "DEAD"] } },
      _count: { _all: true },
    }),
  ]);
  const creatorIds = [...new Set(rows.flatMap((row) => (row.createdById ? [row.createdById] : [])))];
  const creators = await db.user.findMany({
    where: { id: { in: creatorIds } },
    select: { id: true, name: true, email: true },
  });
  const count = (endpointId: string, status: string) =>
    counts.find((row) => row.endpointId === endpointId && row.status === status)?._count._all ?? 0;
  return rows.map((row) => ({
    ...toDto(row),
    createdBy: creators.find((user) => user.id === row.createdById) ?? null,
    pending: count(row.id, "PENDING"),
    dead: count(row.id, "DEAD"),
  }));
}

/** Name, URL, events and the enabled switch; the secret stays. An update that changes nothing records nothing. */
export async function updateWebhookEndpoint(
  db: Db,
  { actor, ...input }: WithActor<UpdateWebhookInput>,
  now: Date,
): Promise<WebhookEndpointDto> {
  const { id, ...change } = parseInput(updateWebhookSchema, input);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const row = await tx.webhookEndpoint.findUnique({ where: { id }, select: endpointSelect });
      if (!row) throw new AppError("NOT_FOUND", "No such webhook endpoint");
      const changed = changedFields(row, { ...change, events: change.events?.join(",") });
      if (!changed) return toDto(row);
      const updated = await tx.webhookEndpoint.update({
        where: { id },
        data: { ...change, events: change.events?.join(",") },
        select: endpointSelect,
      });
      // The URL is audited by its origin only; the events as the list they are.
      const forAudit = (values: Record<string, unknown>) =>
        Object.fromEntries(
          Object.entries(values).map(([field, value]) => [
            field,
            field === "url" ? urlOrigin(String(value)) : field === "events" ? String(value).split(",") : value,
          ]),
        ) as Record<string, JsonValue>;
      await appendAudit(
        tx,
        {
          actor,
          action: "webhook.updated",
          entityType: "WebhookEndpoint",
          entityId: id,
          before: forAudit(changed.before),
          after: forAudit(changed.after),
        },
        now,
      );
      return toDto(updated);
    }),
  );
}

const idSchema = z.object({ id: z.string().min(1, "Endpoint is required") });

/** Its queued and dead deliveries go with it. */
export async function deleteWebhookEndpoint(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof idSchema>>,
  now: Date,
): Promise<void> {
  const { id } = parseInput(idSchema, input);
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const row = await tx.webhookEndpoint.findUnique({ where: { id }, select: endpointSelect });
      if (!row) throw new AppError("NOT_FOUND", "No such webhook endpoint");
      await tx.webhookEndpoint.delete({ where: { id } });
      await appendAudit(
        tx,
        {
          actor,
          action: "webhook.deleted",
          entityType: "WebhookEndpoint",
          entityId: id,
          before: { name: row.name, url: urlOrigin(row.url), events: row.events.split(","), enabled: row.enabled },
        },
        now,
      );
    }),
  );
}

/** Sends a signed `webhook.test` event to one endpoint now, enabled or not; the error says why it failed. */
export async function sendWebhookTest(
  db: Db,
  input: { id: string },
  options: { now: Date; encryptionKey?: Buffer; send?: Send },
): Promise<{ deliveryId: string }> {
  const { id } = parseInput(idSchema, input);
  const endpoint = await db.webhookEndpoint.findUnique({
    where: { id },
    select: { id: true, name: true, url: true, signingSecretEncrypted: true },
  });
  if (!endpoint) throw new AppError("NOT_FOUND", "No such webhook endpoint");
  const deliveryId = `test_${randomBytes(9).toString("base64url")}`;
  const rawBody = webhookBody({
    id: deliveryId,
    event: "webhook.test",
    severity: "INFO",
    title: "Test event from Rewind",
    body: `Notifications reach ${endpoint.name}.`,
    targetId: null,
    rollbackId: null,
    payload: {},
    createdAt: options.now,
  });
  try {
    const secret = webhookSecretOf(endpoint, options.encryptionKey ?? apiKeyEncryptionKey());
    await (options.send ?? post)({
      url: endpoint.url,
      body: rawBody,
      headers: webhookHeaders({ secret, rawBody, event: "webhook.test", deliveryId, now: options.now }),
    });
  } catch (error) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `${endpoint.name} did not accept the test event: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { deliveryId };
}
