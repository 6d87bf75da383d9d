// The rules of the notification channels that need no I/O: which events each takes, how a notification is
// rendered for it (Slack Block Kit, PagerDuty Events API v2) and what an admin may save as its settings.
// No node:crypto here, so settings forms can import the schemas. The channels themselves (sending,
// storing settings) are in server/services/notifications/channels/.
import { z } from "zod";
import { dashboardUrl, escapeSlackText, slackLink, slackText } from "./outbound-text";

export { escapeSlackText } from "./outbound-text";

/** A notification as the channels see it (the outbox row). */
export interface ChannelNotification {
  id: string;
  event: string;
  /** EMERGENCY, CRITICAL, WARNING, RESOLVED or INFO. */
  severity: string;
  title: string;
  body: string;
  targetId: string | null;
  rollbackId: string | null;
  payload: unknown;
  createdAt: Date;
}

/**
 * Where a notification points in the dashboard: its rollback, else its target, else the overview. Always under
 * `appUrl` (the configured APP_URL), whatever the ids hold.
 */
export function dashboardLink(
  appUrl: string,
  notification: { rollbackId: string | null },
  target: { slug: string } | null = null,
): string {
  if (notification.rollbackId) return dashboardUrl(appUrl, "rollbacks", notification.rollbackId);
  if (target) return dashboardUrl(appUrl, "targets", target.slug);
  return dashboardUrl(appUrl);
}

// Slack -----------------------------------------------------------------------------------------------

/**
 * Slack gets every notification except `config.changed`: each one accompanies a change Slack already hears
 * about (a published snapshot, a rollback step, a flag turned on or off), and would double a busy channel;
 * and `audit.checkpoint`, hourly machine-readable records meant for an archive (a webhook, the file), not people.
 */
export function slackReceives(event: string): boolean {
  return event !== "config.changed" && event !== "audit.checkpoint";
}

const slackEmoji: Record<string, string> = {
  EMERGENCY: "🚨",
  CRITICAL: "🔴",
  WARNING: "🟠",
  RESOLVED: "✅",
  INFO: "ℹ️",
};

/**
 * Block Kit: the severity emoji and title, the numbers, and a link back to the dashboard. Titles and bodies hold
 * target names and people's reasons, so they are escaped and verbatim (outbound-text.ts): no mention, no link
 * but Rewind's, and nothing unfurled. With `approvalButtons` (a Slack app's signing secret is configured, so
 * clicks can be verified), a rollback that awaits approval also gets Approve and Reject buttons.
 */
export function slackMessage(
  notification: Pick<ChannelNotification, "title" | "body" | "severity" | "rollbackId"> &
    Partial<Pick<ChannelNotification, "payload">>,
  appUrl: string,
  options: { approvalButtons?: boolean } = {},
) {
  const heading = `${slackEmoji[notification.severity] ?? "ℹ️"} ${escapeSlackText(notification.title)}`;
  const buttons =
    options.approvalButtons && notification.rollbackId && awaitsApproval(notification)
      ? [slackApprovalActions(notification.rollbackId)]
      : [];
  return {
    text: heading,
    unfurl_links: false,
    unfurl_media: false,
    blocks: [
      { type: "section", text: slackText(`*${heading}*\n${escapeSlackText(notification.body)}`) },
      ...buttons,
      {
        type: "context",
        elements: [slackText(slackLink(dashboardLink(appUrl, notification), "Open in Rewind"))],
      },
    ],
  };
}

export const slackSettingsSchema = z.object({
  channel: z.literal("SLACK"),
  url: z
    .url({ message: "Enter the Slack incoming webhook URL (https://hooks.slack.com/services/…)" })
    .refine((url) => url.startsWith("https://"), { message: "The webhook URL must use https" }),
});
export type SlackSettingsInput = z.input<typeof slackSettingsSchema>;

// Slack approvals (the Slack app's buttons; clicks are handled by server/domain/slack-interactions.ts) ---------

/** The buttons' `action_id`s; each button's `value` is the rollback's id. */
export const SLACK_APPROVE_ACTION = "rewind.rollback.approve";
export const SLACK_REJECT_ACTION = "rewind.rollback.reject";
/** The comment a rejection from Slack records: a button carries none, and the dashboard requires one. */
export const SLACK_REJECT_COMMENT = "Rejected from Slack";

/** A notification about a rollback that still waits for a person: a proposal, or the first of two approvals. */
export function awaitsApproval(notification: { rollbackId: string | null; payload?: unknown }): boolean {
  const payload = z.object({ status: z.string() }).safeParse(notification.payload);
  return notification.rollbackId !== null && payload.success && payload.data.status === "PENDING_APPROVAL";
}

function plainText(text: string) {
  return { type: "plain_text" as const, text, emoji: false };
}

/** Approve and Reject, each behind Slack's confirmation dialog so that a stray click does not act. */
export function slackApprovalActions(rollbackId: string) {
  return {
    type: "actions",
    block_id: "rewind.approval",
    elements: [
      {
        type: "button",
        action_id: SLACK_APPROVE_ACTION,
        value: rollbackId,
        style: "primary",
        text: plainText("Approve"),
        confirm: {
          title: plainText("Approve this rollback?"),
          text: plainText("Rewind records the approval as yours, with the same rules as in the dashboard."),
          confirm: plainText("Approve"),
          deny: plainText("Cancel"),
        },
      },
      {
        type: "button",
        action_id: SLACK_REJECT_ACTION,
        value: rollbackId,
        style: "danger",
        text: plainText("Reject"),
        confirm: {
          title: plainText("Reject this rollback?"),
          text: plainText(`Rewind rejects it as yours with the comment "${SLACK_REJECT_COMMENT}". Nothing rolls back.`),
          confirm: plainText("Reject"),
          deny: plainText("Cancel"),
          style: "danger",
        },
      },
    ],
  };
}

/** What a click did, for the message that replaces the one clicked. */
export interface SlackDecision {
  action: "approve" | "reject";
  rollback: {
    id: string;
    target: { slug: string; name: string };
    /** The rollback's status after the act. */
    status: string;
    approvalCount: number;
    approvalsRequired: number;
  };
  /** The Rewind user who acted, and the Slack user who clicked (shown as a mention). */
  user: { name: string };
  slackUserId: string;
}

const decisionWords: Record<string, string> = {
  APPROVED: "Approved: the next monitoring cycle starts it.",
  REJECTED: "Rejected: nothing rolls back, the current configuration stays.",
  PENDING_APPROVAL: "Still waiting for approval.",
};

/**
 * The message that replaces the one clicked: who acted (their Rewind name and a mention of the Slack user), the
 * rollback's new state, and the dashboard link. Buttons stay only while the rollback still waits for another
 * approver (two-person rule), so the second approver can use the same message.
 */
export function slackDecisionMessage(decision: SlackDecision, appUrl: string) {
  const { rollback } = decision;
  const label = `${rollback.target.name} (${rollback.target.slug})`;
  const emoji = decision.action === "approve" ? "✅" : "⛔";
  const verb = decision.action === "approve" ? "approved" : "rejected";
  const progress =
    decision.action === "approve" && rollback.approvalsRequired > 1
      ? ` (${rollback.approvalCount} of ${rollback.approvalsRequired} approvals)`
      : "";
  const heading = `${emoji} Rollback of ${escapeSlackText(label)} ${verb} by ${escapeSlackText(decision.user.name)}`;
  // Slack user ids are letters and digits (slackUserIdSchema), so the mention cannot carry anything else.
  const mention = /^[A-Z0-9]+$/.test(decision.slackUserId) ? ` (<@${decision.slackUserId}>)` : "";
  const state = decisionWords[rollback.status] ?? `Now ${escapeSlackText(rollback.status.toLowerCase())}.`;
  return {
    replace_original: true,
    text: `${heading}${progress}`,
    unfurl_links: false,
    unfurl_media: false,
    blocks: [
      { type: "section", text: slackText(`*${heading}*${mention}${progress}\n${state}`) },
      ...(rollback.status === "PENDING_APPROVAL" ? [slackApprovalActions(rollback.id)] : []),
      {
        type: "context",
        elements: [slackText(slackLink(dashboardUrl(appUrl, "rollbacks", rollback.id), "Open in Rewind"))],
      },
    ],
  };
}

/** Only the clicking person sees it, and the message clicked stays as it was. */
export function slackEphemeral(text: string) {
  return {
    response_type: "ephemeral",
    replace_original: false,
    text: escapeSlackText(text),
  };
}

/** A Slack member ID as the profile shows it (⋮ → Copy member ID): U or W, then capital letters and digits. */
export const slackUserIdSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[UW][A-Z0-9]{5,31}$/, "Enter your Slack member ID: U or W followed by letters and digits, e.g. U024BE7LH");

/** What a user saves on their profile: their member ID, or null to unlink. */
export const slackLinkSchema = z.object({ slackUserId: z.union([slackUserIdSchema, z.null()]) });

const slackSecretInput = (message: string, pattern: RegExp) =>
  z
    .union([z.literal("").transform(() => null), z.string().trim().regex(pattern, message)])
    .nullable()
    .default(null);

/**
 * The Slack app an admin saves for approvals from Slack. An empty field keeps what is saved (secrets are never
 * shown again), so the bot token can be added later without pasting the signing secret again.
 */
export const slackAppSettingsSchema = z.object({
  signingSecret: slackSecretInput(
    "The signing secret is the hex string under Basic Information → App Credentials",
    /^[A-Za-z0-9]{16,128}$/,
  ),
  botToken: slackSecretInput(
    "The bot token starts with xoxb- (OAuth & Permissions → Bot User OAuth Token)",
    /^xoxb-[A-Za-z0-9-]{10,250}$/,
  ),
});
export type SlackAppSettingsInput = z.input<typeof slackAppSettingsSchema>;

/** One secret of the Slack app to remove (the environment's default, if any, applies again). */
export const slackAppSecretSchema = z.object({
  secret: z.enum(["signingSecret", "botToken"], { error: "Choose the signing secret or the bot token" }),
});

// PagerDuty (Events API v2) ---------------------------------------------------------------------------

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

export type PagerDutyAction = "trigger" | "resolve";

/**
 * What PagerDuty hears of a notification: EMERGENCY and CRITICAL ones (emergency rollbacks, ineffective
 * or failed rollbacks, frozen automation and other escalations) open an incident; a rollback verified
 * effective resolves it. Everything else stays off the pager.
 */
export function pagerDutyAction(notification: { event: string; severity: string }): PagerDutyAction | null {
  if (notification.event === "rollback.verified") return "resolve";
  if (notification.severity === "EMERGENCY" || notification.severity === "CRITICAL") return "trigger";
  return null;
}

/**
 * One incident per rollback (its trigger and its resolve share the key), else per target; a notification
 * about neither (an emergency stop) is an incident of its own.
 */
export function pagerDutyDedupKey(notification: Pick<ChannelNotification, "id" | "rollbackId" | "targetId">): string {
  return notification.rollbackId ?? notification.targetId ?? notification.id;
}

/** PagerDuty's severities; both map to a high-urgency incident under its default rules. */
const pagerDutySeverity: Record<string, "critical" | "error" | "warning" | "info"> = {
  EMERGENCY: "critical",
  CRITICAL: "error",
  WARNING: "warning",
};

/** PagerDuty's limits: summary 1024 characters, dedup_key 255. */
function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The body POSTed to the Events API v2 enqueue endpoint. A resolve carries only the key it resolves;
 * a trigger carries the summary, the numbers (`custom_details.body`) and a link to the dashboard.
 */
export function pagerDutyEvent(
  notification: ChannelNotification,
  options: {
    routingKey: string;
    appUrl: string;
    target: { slug: string; name: string } | null;
    /** Defaults to pagerDutyAction(notification); the settings page's test event is a trigger at "info". */
    action?: PagerDutyAction;
    severity?: "critical" | "error" | "warning" | "info";
  },
) {
  const action = options.action ?? pagerDutyAction(notification);
  if (!action) throw new Error(`PagerDuty does not take ${notification.event} notifications`);
  const dedupKey = truncate(pagerDutyDedupKey(notification), 255);
  if (action === "resolve") {
    return { routing_key: options.routingKey, event_action: action, dedup_key: dedupKey };
  }
  const source = new URL(options.appUrl).host;
  return {
    routing_key: options.routingKey,
    event_action: action,
    dedup_key: dedupKey,
    payload: {
      summary: truncate(notification.title, 1024),
      source,
      severity: options.severity ?? pagerDutySeverity[notification.severity] ?? "info",
      timestamp: notification.createdAt.toISOString(),
      ...(options.target ? { component: options.target.slug } : {}),
      group: notification.event.split(".")[0] ?? notification.event,
      class: notification.event,
      custom_details: {
        body: notification.body,
        event: notification.event,
        severity: notification.severity,
        target: options.target ? `${options.target.name} (${options.target.slug})` : null,
        rollbackId: notification.rollbackId,
        notificationId: notification.id,
        details: notification.payload ?? null,
      },
    },
    links: [{ href: dashboardLink(options.appUrl, notification, options.target), text: "Open in Rewind" }],
    client: "Rewind",
    client_url: options.appUrl,
  };
}

/** Integration keys of Events API v2 integrations (and event orchestrations) are 32 letters and digits. */
const routingKeySchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9]{32}$/, "The integration key is the 32 letters and digits shown on the integration's page");

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** https, or http to this machine only: the body carries the integration key. */
const eventsUrlSchema = z
  .url({ message: `Enter the Events API URL, e.g. ${PAGERDUTY_EVENTS_URL}` })
  .max(2000, "The URL must be at most 2000 characters")
  .refine(
    (url) => {
      const parsed = new URL(url);
      return parsed.protocol === "https:" || (parsed.protocol === "http:" && loopbackHosts.has(parsed.hostname));
    },
    { message: "The events URL must use https (http only to localhost)" },
  );

/**
 * What an admin saves. An empty key keeps the one already saved (so the URL can change without pasting
 * the key again); an empty URL means PagerDuty's own.
 */
export const pagerDutySettingsSchema = z.object({
  channel: z.literal("PAGERDUTY"),
  routingKey: z
    .union([z.literal("").transform(() => null), routingKeySchema])
    .nullable()
    .default(null),
  eventsUrl: z
    .union([z.literal("").transform(() => null), eventsUrlSchema])
    .nullable()
    .default(null),
});
export type PagerDutySettingsInput = z.input<typeof pagerDutySettingsSchema>;

/** What the settings page may show of a routing key: that one is set, and its last 4 characters. */
export function secretHint(secret: string): string {
  return secret.slice(-4);
}
