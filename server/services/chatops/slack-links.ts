// Which Rewind user a Slack user acts as: `User.slackUserId`, set by the user on their profile, or found once by
// the email Slack vouches for (bot token, users.info) and then stored. One Slack user, one person (unique).
import "server-only";
import type { z } from "zod";
import type { Db, Prisma } from "../../db";
import { AppError } from "../../domain/errors";
import { slackLinkSchema } from "../../domain/notification-channels";
import type { RoleName } from "../../domain/roles";
import { appendAudit, userActor, type WithActor } from "../audit/audit-log";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";
import { verifiedSlackEmail, type SlackHttp } from "./slack-api";

/** The signed-in user's own link, for their profile. */
export async function ownSlackLink(db: Db, userId: string): Promise<{ slackUserId: string | null }> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { slackUserId: true } });
  if (!user) throw new AppError("NOT_FOUND", "No such user");
  return { slackUserId: user.slackUserId };
}

const takenMessage = "This Slack member ID is linked to another Rewind user";

/**
 * A user links their own Slack member ID (or with null unlinks it). Only for themselves: the actor is the user
 * changed. Audited as user.slack_linked / user.slack_unlinked; a save that changes nothing records nothing.
 */
export async function setOwnSlackLink(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof slackLinkSchema>>,
  now: Date,
): Promise<{ slackUserId: string | null }> {
  const { slackUserId } = parseInput(slackLinkSchema, input);
  if (actor.type !== "USER") throw new AppError("FORBIDDEN", "Only a signed-in user links their own Slack account");
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const user = await tx.user.findUnique({ where: { id: actor.id }, select: { slackUserId: true } });
      if (!user) throw new AppError("NOT_FOUND", "No such user");
      if (user.slackUserId === slackUserId) return { slackUserId };
      // Checked first: a unique violation would read as a write conflict to retry (platform/retry.ts).
      if (slackUserId !== null) {
        const holder = await tx.user.findUnique({ where: { slackUserId }, select: { id: true } });
        if (holder) throw new AppError("CONFLICT", takenMessage, { issues: { slackUserId: takenMessage } });
      }
      await tx.user.update({ where: { id: actor.id }, data: { slackUserId }, select: { id: true } });
      await appendAudit(
        tx,
        {
          actor,
          action: slackUserId === null ? "user.slack_unlinked" : "user.slack_linked",
          entityType: "User",
          entityId: actor.id,
          before: { slackUserId: user.slackUserId },
          after: { slackUserId, via: "profile" },
        },
        now,
      );
      return { slackUserId };
    }),
  );
}

const slackUserSelect = {
  id: true,
  name: true,
  email: true,
  role: true,
  disabled: true,
  slackUserId: true,
} satisfies Prisma.UserSelect;
export interface SlackMappedUser {
  id: string;
  name: string;
  role: RoleName;
  disabled: boolean;
}

/**
 * The Rewind user behind a Slack user: the one linked, else (with a bot token) the one whose email Slack
 * confirms, which is then linked for next time (audited as the user's, `via: "slack_email"`). A user already
 * linked to another Slack account is not relinked. Null: nobody (the click is refused as unlinked).
 */
export async function findSlackUser(
  db: Db,
  input: { slackUserId: string; slackTeamId: string | null },
  options: { now: Date; botToken: string | null; apiUrl: string; http?: SlackHttp },
): Promise<SlackMappedUser | null> {
  const linked = await db.user.findUnique({ where: { slackUserId: input.slackUserId }, select: slackUserSelect });
  if (linked) return linked;
  if (!options.botToken) return null;
  const email = await verifiedSlackEmail(
    { apiUrl: options.apiUrl, botToken: options.botToken, slackUserId: input.slackUserId },
    options.http,
  );
  if (!email) return null;
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const user = await tx.user.findUnique({ where: { email }, select: slackUserSelect });
      if (!user || user.slackUserId !== null) return null;
      if (user.disabled) return user;
      if (await tx.user.findUnique({ where: { slackUserId: input.slackUserId }, select: { id: true } })) return null;
      const { count } = await tx.user.updateMany({
        where: { id: user.id, slackUserId: null },
        data: { slackUserId: input.slackUserId },
      });
      if (count === 0) return null;
      await appendAudit(
        tx,
        {
          actor: userActor(user.id),
          action: "user.slack_linked",
          entityType: "User",
          entityId: user.id,
          before: { slackUserId: null },
          after: { slackUserId: input.slackUserId, slackTeamId: input.slackTeamId, via: "slack_email" },
        },
        options.now,
      );
      return { ...user, slackUserId: input.slackUserId };
    }),
  );
}
