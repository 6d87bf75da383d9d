import { changeRoleSchema, createUserSchema, setDisabledSchema } from "../../domain/users";
import { changeRole, createUser, listUsers, setDisabled } from "../../services/users";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

export const usersRouter = createTRPCRouter({
  me: protectedProcedure.query(({ ctx }) => ctx.user),
  list: adminProcedure.query(({ ctx }) => listUsers(ctx.db)),
  create: adminProcedure.input(createUserSchema).mutation(({ ctx, input }) => createUser(ctx.db, input)),
  changeRole: adminProcedure
    .input(changeRoleSchema)
    .mutation(({ ctx, input }) => changeRole(ctx.db, ctx.user.id, input)),
  setDisabled: adminProcedure
    .input(setDisabledSchema)
    .mutation(({ ctx, input }) => setDisabled(ctx.db, ctx.user.id, input)),
});
