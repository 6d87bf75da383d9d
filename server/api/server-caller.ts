// How server components read data: through the tRPC procedures, as the signed-in user of the request, like
// create-t3-app's src/trpc/server.ts. A page thus gets the same role checks and DTOs as the client, never a
// service or the database, and the procedure errors become Next's pages here, once.
import "server-only";
import { forbidden, notFound, redirect } from "next/navigation";
import { requirePageSession } from "../auth/session";
import { getDb } from "../db";
import type { RoleName } from "../domain/roles";
import { createCaller } from "./root";
import { createContext } from "./trpc";

/**
 * The signed-in user (`requirePageUser(role)`: sign-in redirect or 403 page) and a caller acting as them.
 * What a procedure refuses renders a page instead: NOT_FOUND, and BAD_REQUEST (a page's input comes from its
 * URL, and a malformed id or slug names nothing either), the 404 page; FORBIDDEN the 403 page; UNAUTHORIZED
 * (the user was disabled meanwhile) the sign-in page. Anything else is thrown to the error boundary.
 */
export async function serverCaller(role: RoleName = "VIEWER") {
  const { user, session } = await requirePageSession(role);
  const api = createCaller(() => createContext({ db: getDb(), session }), {
    onError({ error }) {
      if (error.code === "NOT_FOUND" || error.code === "BAD_REQUEST") notFound();
      if (error.code === "FORBIDDEN") forbidden();
      if (error.code === "UNAUTHORIZED") redirect("/login");
    },
  });
  return { user, api };
}
