// Button clicks from Slack (interactivity requests) as pure rules: Slack's v0 request signature checked
// against a given `now`, the form-encoded `payload` parsed, and which Rewind action a click asks for. The
// use case is server/services/chatops/slack-approvals.ts; the buttons are made by notification-channels.ts.
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { fieldIssues, type FieldIssues } from "./errors";
import { SLACK_APPROVE_ACTION, SLACK_REJECT_ACTION } from "./notification-channels";

/** Slack's own advice: refuse requests whose timestamp is more than five minutes from the server's clock. */
export const SLACK_SIGNATURE_TOLERANCE_SECONDS = 300;

/** `v0:{X-Slack-Request-Timestamp}:{raw body}`, what Slack signs. */
export function slackSignatureBase(timestamp: string, rawBody: string): string {
  return `v0:${timestamp}:${rawBody}`;
}

/** `v0=` and the hex HMAC-SHA256 of the base string under the signing secret: what X-Slack-Signature holds. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(slackSignatureBase(timestamp, rawBody)).digest("hex")}`;
}

export type SlackSignatureVerdict =
  { ok: true; timestampSeconds: number; signature: string } | { ok: false; message: string };

/**
 * Whether a request comes from Slack: a timestamp within five minutes of `now` either way (an older one could
 * be a replay, a much newer one is not Slack's), and a signature that matches the raw body under one of the
 * `signingSecrets` (the saved one and, while it applies, the environment's), compared in constant time.
 */
export function verifySlackSignature(input: {
  signingSecrets: readonly string[];
  timestamp: string | null;
  signature: string | null;
  rawBody: string;
  now: Date;
}): SlackSignatureVerdict {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) {
    return { ok: false, message: "Missing X-Slack-Request-Timestamp or X-Slack-Signature" };
  }
  if (!/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/i.test(signature)) {
    return { ok: false, message: "Malformed X-Slack-Request-Timestamp or X-Slack-Signature" };
  }
  const timestampSeconds = Number(timestamp);
  const skew = input.now.getTime() / 1000 - timestampSeconds;
  if (Math.abs(skew) > SLACK_SIGNATURE_TOLERANCE_SECONDS) {
    return {
      ok: false,
      message: `The request's timestamp is ${Math.round(Math.abs(skew))} s ${skew > 0 ? "old" : "in the future"}; at most ${SLACK_SIGNATURE_TOLERANCE_SECONDS} s is accepted`,
    };
  }
  const given = Buffer.from(signature.toLowerCase());
  const matches = input.signingSecrets.some((secret) => {
    const expected = Buffer.from(slackSignature(secret, timestamp, input.rawBody));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!matches) return { ok: false, message: "The signature does not match the request" };
  return { ok: true, timestampSeconds, signature: signature.toLowerCase() };
}

const slackId = z.string().regex(/^[A-Z0-9]{2,40}$/, "Expected a Slack id");

/**
 * The parts of a `block_actions` payload Rewind reads (Slack sends much more, which passes through unread).
 * Other interaction types (shortcuts, modals) parse as `other` and are acknowledged without acting.
 */
const blockActionsSchema = z.object({
  type: z.literal("block_actions"),
  user: z.object({ id: slackId, team_id: slackId.optional(), username: z.string().max(200).optional() }),
  team: z.object({ id: slackId }).nullish(),
  response_url: z.url().max(2000).optional(),
  actions: z
    .array(
      z.object({
        action_id: z.string().max(255),
        value: z.string().max(2000).optional(),
      }),
    )
    .min(1)
    .max(25),
});
const otherInteractionSchema = z.object({ type: z.string().max(100) });

export type SlackBlockActions = z.infer<typeof blockActionsSchema>;

export type ParsedSlackInteraction =
  | { ok: true; kind: "block_actions"; payload: SlackBlockActions }
  | { ok: true; kind: "other"; type: string }
  | { ok: false; message: string; issues: FieldIssues };

/**
 * The request body, `application/x-www-form-urlencoded` with the interaction as JSON in its `payload` field.
 * Issues are keyed by their path under `payload` (e.g. `payload.user.id`).
 */
export function parseSlackInteraction(rawBody: string): ParsedSlackInteraction {
  const field = new URLSearchParams(rawBody).get("payload");
  if (field === null) {
    return invalid({ payload: "Expected a form field named payload holding the interaction as JSON" });
  }
  let json: unknown;
  try {
    json = JSON.parse(field);
  } catch {
    return invalid({ payload: "The payload field is not JSON" });
  }
  const kind = otherInteractionSchema.safeParse(json);
  if (!kind.success) return invalid(prefixed(fieldIssues(kind.error)));
  if (kind.data.type !== "block_actions") return { ok: true, kind: "other", type: kind.data.type };
  const parsed = blockActionsSchema.safeParse(json);
  if (!parsed.success) return invalid(prefixed(fieldIssues(parsed.error)));
  return { ok: true, kind: "block_actions", payload: parsed.data };
}

function prefixed(issues: FieldIssues): FieldIssues {
  return Object.fromEntries(
    Object.entries(issues).map(([path, message]) => [path === "_" ? "payload" : `payload.${path}`, message]),
  );
}

function invalid(issues: FieldIssues): ParsedSlackInteraction {
  const summary = Object.entries(issues)
    .map(([path, message]) => `${path}: ${message}`)
    .join("; ");
  return { ok: false, message: `Invalid Slack interaction: ${summary}`, issues };
}

export type SlackApprovalAction = { kind: "approve" | "reject"; rollbackId: string };

/** The Rewind action of a click: the first action that is one of Rewind's buttons, with a rollback id. */
export function slackApprovalAction(payload: Pick<SlackBlockActions, "actions">): SlackApprovalAction | null {
  for (const action of payload.actions) {
    const kind =
      action.action_id === SLACK_APPROVE_ACTION
        ? "approve"
        : action.action_id === SLACK_REJECT_ACTION
          ? "reject"
          : null;
    if (kind && action.value && action.value.trim() !== "") return { kind, rollbackId: action.value.trim() };
  }
  return null;
}

/** The clicking Slack user and their workspace (`user.team_id`, else the payload's `team`). */
export function slackClicker(payload: Pick<SlackBlockActions, "user" | "team">): {
  slackUserId: string;
  slackTeamId: string | null;
} {
  return { slackUserId: payload.user.id, slackTeamId: payload.user.team_id ?? payload.team?.id ?? null };
}

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Where Rewind may POST a click's answer: Slack's own hosts over https (response URLs are
 * https://hooks.slack.com/actions/…), or the origin of the configured Slack API (SLACK_API_URL, a local stand-in
 * in tests). The payload is signed, so this only matters if the signing secret leaked: it keeps a forged
 * payload from making Rewind post to an address of the attacker's choosing.
 */
export function isSlackResponseUrl(url: string, slackApiUrl: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username || parsed.password) return false;
  if (parsed.protocol === "https:" && (parsed.hostname === "slack.com" || parsed.hostname.endsWith(".slack.com"))) {
    return true;
  }
  const api = new URL(slackApiUrl);
  return (
    parsed.origin === api.origin &&
    (parsed.protocol === "https:" || (parsed.protocol === "http:" && loopbackHosts.has(parsed.hostname)))
  );
}
