// Users: the first admin, and admin management with last-admin protection. Sign-in is sign-in.ts.
import "server-only";
import { z } from "zod";
import { Prisma, type Db } from "../../db";
import { AppError } from "../../domain/errors";
import type { RoleName } from "../../domain/roles";
import { changeRoleSchema, createUserSchema, emailSchema, passwordSchema, setDisabledSchema } from "../../domain/users";
import { generatePassword, hashPassword } from "./passwords";
import { endAllSessions } from "./sessions";
import { appendAudit, systemActor, type Actor, type WithActor } from "../audit/audit-log";
import { retryOnConflict } from "../platform/retry";
import { parseInput } from "../platform/validation";

/** What a client may see of a user: never the password hash. */
export const userSelect = {
  id: true,
  email: true,
  name: true,
  role: true,
  disabled: true,
  createdAt: true,
} satisfies Prisma.UserSelect;
export type UserDto = Prisma.UserGetPayload<{ select: typeof userSelect }>;

export function listUsers(db: Db): Promise<UserDto[]> {
  return db.user.findMany({ select: userSelect, orderBy: [{ disabled: "asc" }, { email: "asc" }] });
}

/** `actor` is the admin who creates the account, or the system for the first admin and the CLI. */
export async function createUser(db: Db, { actor, ...input }: WithActor, now: Date): Promise<UserDto> {
  const data = parseInput(createUserSchema, input);
  const passwordHash = await hashPassword(data.password);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      // Checked before inserting: a unique violation would read as a write conflict and be retried.
      if (await tx.user.findUnique({ where: { email: data.email }, select: { id: true } })) {
        throw new AppError("CONFLICT", "A user with this email already exists", {
          issues: { email: "A user with this email already exists" },
        });
      }
      const user = await tx.user.create({
        data: { email: data.email, name: data.name, role: data.role, passwordHash },
        select: userSelect,
      });
      await appendAudit(
        tx,
        {
          actor,
          action: "user.created",
          entityType: "User",
          entityId: user.id,
          after: { email: user.email, name: user.name, role: user.role },
        },
        now,
      );
      return user;
    }),
  );
}

/**
 * Runs a change to one user, with its audit event, in a serializable transaction that refuses it when it
 * would leave no active admin: two admins demoting each other at once cannot both succeed (the loser is
 * retried and then refused). A change to the value the user already has records nothing. A new role or disabling
 * ends the user's sessions (re-enabling has none to end): whoever holds one signs in again, as who they are now.
 */
function changeUser(
  db: Db,
  actor: Actor,
  userId: string,
  change: { role: RoleName } | { disabled: boolean },
  now: Date,
): Promise<UserDto> {
  return retryOnConflict(() =>
    db.$transaction(
      async (tx) => {
        const user = await tx.user.findUnique({ where: { id: userId }, select: userSelect });
        if (!user) throw new AppError("NOT_FOUND", "No such user");
        const role = "role" in change ? change.role : user.role;
        const disabled = "disabled" in change ? change.disabled : user.disabled;
        if (role === user.role && disabled === user.disabled) return user;
        if (disabled && actor.type === "USER" && userId === actor.id) {
          throw new AppError("PRECONDITION_FAILED", "You cannot disable your own account");
        }
        if (user.role === "ADMIN" && !user.disabled && !(role === "ADMIN" && !disabled)) {
          const activeAdmins = await tx.user.count({ where: { role: "ADMIN", disabled: false } });
          if (activeAdmins <= 1) {
            throw new AppError("PRECONDITION_FAILED", "This is the last active admin: make another user admin first");
          }
        }
        const endsSessions = role !== user.role || disabled;
        const updated = await tx.user.update({
          where: { id: userId },
          data: { ...change, ...(endsSessions ? endAllSessions : {}) },
          select: userSelect,
        });
        await appendAudit(
          tx,
          {
            actor,
            action: "role" in change ? "user.role_changed" : disabled ? "user.disabled" : "user.enabled",
            entityType: "User",
            entityId: userId,
            before: "role" in change ? { role: user.role } : { disabled: user.disabled },
            after: "role" in change ? { role } : { disabled },
          },
          now,
        );
        return updated;
      },
      { isolationLevel: Prisma.TransactionIsolationLevel.Serializable },
    ),
  );
}

export function changeRole(db: Db, { actor, ...input }: WithActor, now: Date): Promise<UserDto> {
  const { userId, role } = parseInput(changeRoleSchema, input);
  return changeUser(db, actor, userId, { role }, now);
}

export function setDisabled(db: Db, { actor, ...input }: WithActor, now: Date): Promise<UserDto> {
  const { userId, disabled } = parseInput(setDisabledSchema, input);
  return changeUser(db, actor, userId, { disabled }, now);
}

/**
 * For the recovery CLI (recorded as the command line that ran it, `cli:<user>@<host>`): a new password, a cleared throttle for the email, an
 * enabled account, and every session of the user ended (whoever held the old password may have one).
 */
export async function resetPassword(db: Db, { actor, ...input }: WithActor, now: Date): Promise<UserDto> {
  const { email, password } = parseInput(z.object({ email: emailSchema, password: passwordSchema }), input);
  const passwordHash = await hashPassword(password);
  return retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const user = await tx.user.findUnique({ where: { email }, select: { id: true, disabled: true } });
      if (!user) throw new AppError("NOT_FOUND", `No user with the email ${email}`);
      await tx.loginFailure.deleteMany({ where: { email } });
      const updated = await tx.user.update({
        where: { id: user.id },
        data: { passwordHash, disabled: false, ...endAllSessions },
        select: userSelect,
      });
      await appendAudit(
        tx,
        {
          actor,
          action: "user.password_reset",
          entityType: "User",
          entityId: user.id,
          before: { disabled: user.disabled },
          after: { disabled: false },
          reason: "Password reset with the recovery CLI",
        },
        now,
      );
      return updated;
    }),
  );
}

/**
 * Creates the first admin when there are no users. Returns the generated password when none was
 * given, so the caller can show it exactly once.
 */
export async function ensureFirstAdmin(
  db: Db,
  options: { email: string; password?: string },
  now: Date,
): Promise<{ created: false } | { created: true; email: string; generatedPassword?: string }> {
  if ((await db.user.count()) > 0) return { created: false };
  const password = options.password ?? generatePassword();
  const user = await createUser(
    db,
    { actor: systemActor, email: options.email, name: "Admin", role: "ADMIN", password },
    now,
  );
  return options.password
    ? { created: true, email: user.email }
    : { created: true, email: user.email, generatedPassword: password };
}
