// Approvals from Slack: a click on a rollback message's Approve or Reject button. `receiveSlackInteraction`
// decides at once what to answer Slack (401 for a bad signature, 200 otherwise, within Slack's 3 s) and hands
// back the work, which `actOnSlackClick` does afterwards: map the Slack user to a Rewind user, apply the same
// role and approval rules as the dashboard by calling the same rollback services as that user, and then replace
// the message clicked (or answer the clicker alone) through the click's response_url.
import "server-only";
import { log } from "../platform/log";
import type { Db } from "../../db";
import type { JsonValue } from "../../domain/canonical-json";
import { AppError, type FieldIssues } from "../../domain/errors";
import { SLACK_REJECT_COMMENT, slackDecisionMessage, slackEphemeral } from "../../domain/notification-channels";
import { hasRole } from "../../domain/roles";
import {
  isSlackResponseUrl,
  parseSlackInteraction,
  slackApprovalAction,
  slackClicker,
  verifySlackSignature,
  type SlackApprovalAction,
} from "../../domain/slack-interactions";
import { appendAudit, systemActor, userActor, type Actor } from "../audit/audit-log";
import { acceptSignature } from "../machine/replay-protection";
import { appUrl } from "../notifications/app-url";
import { slackAppSecrets, type SlackAppSecrets } from "../notifications/channels/slack-app";
import { retryOnConflict } from "../platform/retry";
import { approveRollback, rejectRollback } from "../rollbacks/commands";
import { postToResponseUrl, type SlackHttp } from "./slack-api";
import { findSlackUser, type SlackMappedUser } from "./slack-links";

/** What the route answers Slack now; `followUp` is the work to do once the answer is sent. */
export type SlackInteractionReceipt =
  | { status: 200; followUp: (() => Promise<SlackClickOutcome>) | null }
  | { status: 400 | 401 | 503; code: string; message: string; issues?: FieldIssues };

export interface SlackClickOutcome {
  result: "approved" | "rejected" | "refused" | "replayed";
  message: string;
}

interface Options {
  now: Date;
  encryptionKey: () => Buffer;
  http?: SlackHttp;
}

/**
 * Checks a request from Slack and decides what to answer. Nothing is written before the signature is verified;
 * a verified click is then recorded as seen (`SeenSignature`, for the signature's 5-minute life), so the same
 * request sent again is answered "already handled" and never reaches the rollback services a second time.
 */
export async function receiveSlackInteraction(
  db: Db,
  request: { rawBody: string; timestamp: string | null; signature: string | null },
  options: Options,
): Promise<SlackInteractionReceipt> {
  const secrets = await slackAppSecrets(db, options.encryptionKey);
  if (secrets.signingSecrets.length === 0) {
    return {
      status: 503,
      code: "NOT_CONFIGURED",
      message: "Approvals from Slack are not set up: save the Slack app's signing secret in Settings → Notifications",
    };
  }
  const verdict = verifySlackSignature({ ...request, signingSecrets: secrets.signingSecrets, now: options.now });
  if (!verdict.ok) return { status: 401, code: "UNAUTHORIZED", message: verdict.message };

  const parsed = parseSlackInteraction(request.rawBody);
  if (!parsed.ok) return { status: 400, code: "VALIDATION", message: parsed.message, issues: parsed.issues };
  if (parsed.kind !== "block_actions") return { status: 200, followUp: null };
  const action = slackApprovalAction(parsed.payload);
  if (!action) return { status: 200, followUp: null };
  const click = { action, ...slackClicker(parsed.payload), responseUrl: parsed.payload.response_url ?? null };

  const replayed = await acceptSignature(db, {
    signature: `slack:${verdict.timestampSeconds}.${verdict.signature}`,
    timestampSeconds: verdict.timestampSeconds,
  }).then(
    () => false,
    (error: unknown) => {
      if (error instanceof AppError && error.code === "UNAUTHORIZED") return true;
      throw error;
    },
  );
  if (replayed) {
    return { status: 200, followUp: () => answerReplay(click.responseUrl, secrets, options.http) };
  }
  return { status: 200, followUp: () => actOnSlackClick(db, click, { ...options, secrets }) };
}

const REPLAY_MESSAGE =
  "This click was already handled: Rewind acts once per click. Open the rollback in Rewind to see where it stands.";

/** A request seen before: the clicker alone is told; the first one was audited, this one changes nothing. */
async function answerReplay(responseUrl: string | null, secrets: SlackAppSecrets, http?: SlackHttp) {
  await respond(responseUrl, slackEphemeral(REPLAY_MESSAGE), secrets, http);
  return { result: "replayed", message: REPLAY_MESSAGE } satisfies SlackClickOutcome;
}

async function respond(responseUrl: string | null, message: object, secrets: SlackAppSecrets, http?: SlackHttp) {
  if (!responseUrl) return;
  if (!isSlackResponseUrl(responseUrl, secrets.apiUrl)) {
    log.warn("slack.response_url_refused", { reason: "not a Slack address: no answer sent" });
    return;
  }
  await postToResponseUrl(responseUrl, message, http);
}

export interface SlackClick {
  action: SlackApprovalAction;
  slackUserId: string;
  slackTeamId: string | null;
  responseUrl: string | null;
}

const UNLINKED_MESSAGE =
  "Your Slack account is not linked to a Rewind user, so Rewind cannot tell who you are there. " +
  "Add your Slack member ID under Profile → Slack in Rewind, then click again.";

/**
 * Acts on one verified click as the Rewind user behind the Slack user, exactly as that user could in the
 * dashboard: the approver role or higher, not disabled, and the rollback services' own rules (pending, nobody
 * approves twice, the two-person rule). The act is audited by the service with `via: "slack"` and the Slack
 * user; a refusal is audited as `rollback.slack_action_refused` and explained to the clicker alone.
 */
export async function actOnSlackClick(
  db: Db,
  click: SlackClick,
  options: Omit<Options, "encryptionKey"> & { secrets: SlackAppSecrets },
): Promise<SlackClickOutcome> {
  const { action, slackUserId, slackTeamId } = click;
  const { now, secrets, http } = options;
  const via = { via: "slack", slackUserId, slackTeamId } satisfies { [key: string]: JsonValue };
  const refuse = async (message: string, user: SlackMappedUser | null): Promise<SlackClickOutcome> => {
    await recordRefusal(db, { actor: user ? userActor(user.id) : systemActor, click, message, via }, now);
    await respond(click.responseUrl, slackEphemeral(message), secrets, http);
    return { result: "refused", message };
  };

  const user = await findSlackUser(
    db,
    { slackUserId, slackTeamId },
    { now, botToken: secrets.botToken, apiUrl: secrets.apiUrl, ...(http && { http }) },
  );
  if (!user) return refuse(UNLINKED_MESSAGE, null);
  if (user.disabled) return refuse("Your Rewind account is disabled: it cannot approve or reject rollbacks.", user);
  if (!hasRole(user.role, "APPROVER")) {
    return refuse(
      `Approving and rejecting rollbacks needs the approver role or higher; your Rewind role is ${user.role.toLowerCase()}.`,
      user,
    );
  }

  const actor = userActor(user.id);
  let rollback;
  try {
    rollback =
      action.kind === "approve"
        ? await approveRollback(db, { actor, rollbackId: action.rollbackId }, now, { auditDetails: via })
        : await rejectRollback(db, { actor, rollbackId: action.rollbackId, comment: SLACK_REJECT_COMMENT }, now, {
            auditDetails: via,
          });
  } catch (error) {
    // The services' refusals (not pending any more, approved twice, the two-person rule, no such rollback).
    if (error instanceof AppError) return refuse(error.message, user);
    throw error;
  }
  const message = slackDecisionMessage(
    {
      action: action.kind,
      rollback: {
        id: rollback.id,
        target: rollback.target,
        status: rollback.status,
        approvalCount: rollback.approvalCount,
        approvalsRequired: rollback.approvalsRequired,
      },
      user: { name: user.name },
      slackUserId,
    },
    appUrl(),
  );
  await respond(click.responseUrl, message, secrets, http);
  return { result: action.kind === "approve" ? "approved" : "rejected", message: message.text };
}

async function recordRefusal(
  db: Db,
  input: { actor: Actor; click: SlackClick; message: string; via: { [key: string]: JsonValue } },
  now: Date,
): Promise<void> {
  await retryOnConflict(() =>
    db.$transaction((tx) =>
      appendAudit(
        tx,
        {
          actor: input.actor,
          action: "rollback.slack_action_refused",
          entityType: "Rollback",
          entityId: input.click.action.rollbackId,
          after: { ...input.via, action: input.click.action.kind },
          reason: input.message,
        },
        now,
      ),
    ),
  );
}
