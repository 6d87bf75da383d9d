// Revocable sessions. A session token carries its user's `sessionVersion` at sign-in; every request reads the
// user again and refuses a token whose version is not the current one. Sign-out, a password reset, a role change
// and disabling raise the version, which ends every session the user had, on every device.
import "server-only";
import type { Db, Prisma } from "../../db";

/** What a session token says about its user: the only parts of it any request trusts. */
export interface SessionClaim {
  userId: string;
  sessionVersion: number;
}

const sessionUserSelect = { id: true, email: true, name: true, role: true } satisfies Prisma.UserSelect;
/** The signed-in user as requests see it. */
export type SessionUser = Prisma.UserGetPayload<{ select: typeof sessionUserSelect }>;

/** Spread into a user's update, in the transaction of the change that calls for it: ends all their sessions. */
export const endAllSessions = { sessionVersion: { increment: 1 } } as const satisfies Prisma.UserUpdateInput;

/**
 * The user of a session as the database has it now; null without a claim, for a missing or disabled user, and
 * for a token issued before the user's sessions were last ended.
 */
export async function findSessionUser(db: Db, claim: SessionClaim | null): Promise<SessionUser | null> {
  if (!claim) return null;
  const user = await db.user.findUnique({
    where: { id: claim.userId },
    select: { ...sessionUserSelect, disabled: true, sessionVersion: true },
  });
  if (!user || user.disabled || user.sessionVersion !== claim.sessionVersion) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

/**
 * Sign-out: ends all the user's sessions, but only when the token is still valid, so that replaying the sign-out
 * of an old token cannot sign the user out again and again. True when it ended them.
 */
export async function signOut(db: Db, claim: SessionClaim): Promise<boolean> {
  const { count } = await db.user.updateMany({
    where: { id: claim.userId, sessionVersion: claim.sessionVersion },
    data: endAllSessions,
  });
  return count === 1;
}
