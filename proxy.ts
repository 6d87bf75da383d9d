// Sends visitors without a session cookie to the sign-in page, remembering where they were going.
// Role checks and disabled users are handled per page and per procedure (server/auth/session.ts).
import { withAuth } from "next-auth/middleware";

export default withAuth({ pages: { signIn: "/login" } });

export const config = {
  // Everything except sign-in, next-auth, the health check, machine APIs and static assets.
  matcher: ["/((?!login|api/|_next/|favicon.ico|robots.txt).*)"],
};
