import "server-only";
import { changeRoleSchema, createUserSchema, setDisabledSchema } from "../../domain/users";
import { changeRole, createUser, listUsers, setDisabled } from "../../services/access/users";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

export const usersRouter = createTRPCRouter({
  me: protectedProcedure.query(({ ctx }) => ctx.user),
  list: adminProcedure.query(({ ctx }) => listUsers(ctx.db)),
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
