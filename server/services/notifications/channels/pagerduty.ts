// PagerDuty (Events API v2): EMERGENCY and CRITICAL notifications trigger an incident keyed by the rollback
// (else the target), a rollback verified effective resolves it. The integration key is a secret: sealed at
// rest like API keys' signing secrets, never sent back to the browser (only its last 4 characters).
import "server-only";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Db } from "../../../db";
import { AppError } from "../../../domain/errors";
import {
  PAGERDUTY_EVENTS_URL,
  pagerDutyAction,
  pagerDutyEvent,
  pagerDutySettingsSchema,
  secretHint,
  type ChannelNotification,
} from "../../../domain/notification-channels";
import { openSecret, sealSecret } from "../../platform/secret-box";
import { PermanentDeliveryError, postRequest, type Send } from "./http";
import { deleteSetting, readSetting, writeSetting } from "./settings-store";
import type { ChannelContext, ChannelSettings, NotificationChannel } from "./types";

export const PAGERDUTY_SETTING = "pagerduty.events";
/** The sealed key is bound to its setting: copied into another row, it does not decrypt. */
const ROUTING_KEY_AAD = `setting:${PAGERDUTY_SETTING}`;

/** The Setting row's value (JSON). */
const storedSchema = z.object({
  routingKeyEncrypted: z.string(),
  routingKeyLast4: z.string(),
  eventsUrl: z.url().nullable(),
});
type Stored = z.infer<typeof storedSchema>;

async function readStored(db: Parameters<typeof readSetting>[0]): Promise<Stored | null> {
  const value = await readSetting(db, PAGERDUTY_SETTING);
  if (value === null) return null;
  const parsed = storedSchema.safeParse(safeJson(value));
  return parsed.success ? parsed.data : null;
}

function routingKeyOf(stored: Stored, encryptionKey: Buffer): string {
  return openSecret(stored.routingKeyEncrypted, ROUTING_KEY_AAD, encryptionKey, "PagerDuty integration key");
}

const jsonHeaders = { "Content-Type": "application/json" };

/**
 * 202 is success. A 400 means the event is invalid (often a wrong integration key): retrying the same event
 * cannot help, so it becomes a dead letter at once. 429 (rate limited) and 5xx are retried with backoff.
 */
export const sendPagerDutyEvent: Send = async (request) => {
  const response = await postRequest(request);
  if (response.ok) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const answer = await response.text().catch(() => "");
  if (response.status === 400) {
    const parsed = z
      .object({ message: z.string().optional(), errors: z.array(z.string()).optional() })
      .safeParse(safeJson(answer));
    const why = parsed.success ? [parsed.data.message, ...(parsed.data.errors ?? [])].filter(Boolean).join(": ") : "";
    throw new PermanentDeliveryError(`HTTP 400 from PagerDuty${why ? `: ${why.slice(0, 300)}` : ""}`);
  }
  throw new Error(`HTTP ${response.status} from PagerDuty${response.status === 429 ? " (rate limited)" : ""}`);
};

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The request of one event: the key is opened per attempt, so a key saved since is used at once. */
function eventRequest(
  stored: Stored,
  notification: ChannelNotification,
  target: { slug: string; name: string } | null,
  context: Pick<ChannelContext, "appUrl" | "encryptionKey">,
  overrides: Pick<Parameters<typeof pagerDutyEvent>[1], "action" | "severity"> = {},
) {
  const routingKey = routingKeyOf(stored, context.encryptionKey());
  return {
    url: stored.eventsUrl ?? PAGERDUTY_EVENTS_URL,
    body: JSON.stringify(pagerDutyEvent(notification, { routingKey, appUrl: context.appUrl, target, ...overrides })),
    headers: jsonHeaders,
  };
}

function targetOf(db: Db, targetId: string | null) {
  return targetId ? db.target.findUnique({ where: { id: targetId }, select: { slug: true, name: true } }) : null;
}

const pagerDutySettings: ChannelSettings<
  typeof pagerDutySettingsSchema,
  { configured: boolean; routingKeyLast4: string | null; eventsUrl: string | null; defaultEventsUrl: string }
> = {
  auditName: "pagerduty",
  settingKey: PAGERDUTY_SETTING,
  schema: pagerDutySettingsSchema,
  async view(db) {
    const stored = await readStored(db);
    return {
      configured: stored !== null,
      routingKeyLast4: stored?.routingKeyLast4 ?? null,
      eventsUrl: stored?.eventsUrl ?? null,
      defaultEventsUrl: PAGERDUTY_EVENTS_URL,
    };
  },
  async save(tx, { routingKey, eventsUrl }, { actorId, encryptionKey }) {
    const current = await readStored(tx);
    if (!routingKey && !current) {
      throw new AppError("VALIDATION", "Invalid input: routingKey: Enter the integration key", {
        issues: { routingKey: "Enter the integration key of the service's Events API v2 integration" },
      });
    }
    const stored: Stored = routingKey
      ? {
          routingKeyEncrypted: sealSecret(routingKey, ROUTING_KEY_AAD, encryptionKey()),
          routingKeyLast4: secretHint(routingKey),
          eventsUrl,
        }
      : { ...current!, eventsUrl };
    await writeSetting(tx, PAGERDUTY_SETTING, JSON.stringify(stored), actorId);
    // The key's last 4 characters are what the settings page shows anyway; the URL by its origin.
    return {
      routingKeyLast4: stored.routingKeyLast4,
      routingKeyChanged: routingKey !== null,
      eventsUrl: eventsUrl ? new URL(eventsUrl).origin : null,
    };
  },
  clear: (tx) => deleteSetting(tx, PAGERDUTY_SETTING),
  /** A trigger at "info" severity, resolved right after, so the test leaves no open incident. */
  async test(context) {
    const stored = await readStored(context.db);
    if (!stored) throw new AppError("PRECONDITION_FAILED", "No PagerDuty integration key is set");
    const notification: ChannelNotification = {
      id: `rewind-test-${randomBytes(9).toString("base64url")}`,
      event: "rewind.test",
      severity: "INFO",
      title: "Test event from Rewind",
      body: "Notifications reach this PagerDuty service. Rewind resolves this test alert right away.",
      targetId: null,
      rollbackId: null,
      payload: {},
      createdAt: context.now,
    };
    await context.send(eventRequest(stored, notification, null, context, { action: "trigger", severity: "info" }));
    await context.send(eventRequest(stored, notification, null, context, { action: "resolve" }));
  },
};

export const pagerDutyChannel = {
  id: "PAGERDUTY",
  label: "PagerDuty",
  async lanes(context) {
    const stored = await readStored(context.db);
    if (!stored) return [];
    return [
      {
        endpointId: null,
        receives: (notification) => pagerDutyAction(notification) !== null,
        request: async (notification) =>
          eventRequest(stored, notification, await targetOf(context.db, notification.targetId), context),
      },
    ];
  },
  send: sendPagerDutyEvent,
  settings: pagerDutySettings,
} satisfies NotificationChannel;
