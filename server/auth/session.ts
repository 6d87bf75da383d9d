// The signed-in user for a server component or route handler, read fresh from the database so
// that a disabled user's still-valid cookie stops working at once and role changes apply at once.
import "server-only";
import { getServerSession } from "next-auth";
import { forbidden, redirect } from "next/navigation";
import { getDb } from "../db";
import { hasRole, type RoleName } from "../domain/roles";
import { findActiveUser, type SessionUser } from "../services/access/users";
import { authOptions } from "./options";

export async function getCurrentUser(): Promise<SessionUser | null> {
  const session = await getServerSession(authOptions);
  if (!session?.user.id) return null;
  return findActiveUser(getDb(), session.user.id);
}

/** For pages: the user, a redirect to sign-in, or Next's 403 page (app/forbidden.tsx) when the role is too low. */
export async function requirePageUser(role: RoleName = "VIEWER"): Promise<SessionUser> {
  const user = await getCurrentUser();
  // proxy.ts already sent cookie-less visitors to sign-in with their callbackUrl; this catches
  // sessions whose user has since been disabled or deleted.
  if (!user) redirect("/login");
  if (!hasRole(user.role, role)) forbidden();
  return user;
}
