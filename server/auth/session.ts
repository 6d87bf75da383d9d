// The signed-in user for a server component or route handler, read fresh from the database so that a disabled
// user's, or a signed-out session's, still-unexpired cookie stops working at once and role changes apply at once.
import "server-only";
import { getServerSession } from "next-auth";
import { forbidden, redirect } from "next/navigation";
import { getDb } from "../db";
import { hasRole, type RoleName } from "../domain/roles";
import { findSessionUser, type SessionClaim, type SessionUser } from "../services/access/sessions";
import { authOptions } from "./options";

/** What the request's session token says (not yet checked against the database); null without one. */
export async function getSessionClaim(): Promise<SessionClaim | null> {
  const session = await getServerSession(authOptions);
  if (!session?.user.id || session.sessionVersion === null) return null;
  return { userId: session.user.id, sessionVersion: session.sessionVersion };
}

export async function getCurrentUser(): Promise<SessionUser | null> {
  return findSessionUser(getDb(), await getSessionClaim());
}

/**
 * For pages: the user and their session, a redirect to sign-in, or Next's 403 page (app/forbidden.tsx) when the
 * role is too low.
 */
export async function requirePageSession(
  role: RoleName = "VIEWER",
): Promise<{ user: SessionUser; session: SessionClaim }> {
  const session = await getSessionClaim();
  const user = await findSessionUser(getDb(), session);
  // proxy.ts already sent cookie-less visitors to sign-in with their callbackUrl; this catches sessions that
  // were ended, and whose user has since been disabled or deleted.
  if (!user || !session) redirect("/login");
  if (!hasRole(user.role, role)) forbidden();
  return { user, session };
}

export async function requirePageUser(role: RoleName = "VIEWER"): Promise<SessionUser> {
  return (await requirePageSession(role)).user;
}
