import "server-only";
import { slackLinkSchema } from "../../domain/notification-channels";
import { changeRoleSchema, createUserSchema, setDisabledSchema } from "../../domain/users";
import { listSignInAttempts } from "../../services/access/sign-in";
import { changeRole, createUser, listUsers, setDisabled } from "../../services/access/users";
import { ownSlackLink, setOwnSlackLink } from "../../services/chatops/slack-links";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

export const usersRouter = createTRPCRouter({
  me: protectedProcedure.query(({ ctx }) => ctx.user),
  /** The signed-in user's own Slack member ID (approvals from Slack act as them). */
  mySlackLink: protectedProcedure.query(({ ctx }) => ownSlackLink(ctx.db, ctx.user.id)),
  /** Links (or with null unlinks) the signed-in user's own Slack member ID; nobody else's. */
  setMySlackLink: protectedProcedure
    .input(slackLinkSchema)
    .mutation(({ ctx, input }) => setOwnSlackLink(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  list: adminProcedure.query(({ ctx }) => listUsers(ctx.db)),
  /** Failed and throttled sign-ins of the last day, by email and client. */
  signInAttempts: adminProcedure.query(({ ctx }) => listSignInAttempts(ctx.db, ctx.now)),
  create: adminProcedure
    .input(createUserSchema)
    .mutation(({ ctx, input }) => createUser(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  changeRole: adminProcedure
    .input(changeRoleSchema)
    .mutation(({ ctx, input }) => changeRole(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
  setDisabled: adminProcedure
    .input(setDisabledSchema)
    .mutation(({ ctx, input }) => setDisabled(ctx.db, { actor: ctx.actor, ...input }, ctx.now)),
});
