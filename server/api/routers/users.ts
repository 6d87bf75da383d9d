import "server-only";
import { changeRoleSchema, createUserSchema, setDisabledSchema } from "../../domain/users";
import { listSignInAttempts } from "../../services/access/sign-in";
import { changeRole, createUser, listUsers, setDisabled } from "../../services/access/users";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

export const usersRouter = createTRPCRouter({
  me: protectedProcedure.query(({ ctx }) => ctx.user),
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
