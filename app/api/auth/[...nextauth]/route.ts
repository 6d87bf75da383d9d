import NextAuth from "next-auth";
import { refuseCrossSite } from "@/server/api/browser-requests";
import { authOptions } from "@/server/auth/options";

type Context = { params: Promise<{ nextauth: string[] }> };

const handler = NextAuth(authOptions) as (request: Request, context: Context) => Promise<Response>;

/** Sign-in and sign-out: only from the console's own pages (next-auth's CSRF token is a second guard). */
async function POST(request: Request, context: Context) {
  return refuseCrossSite(request) ?? handler(request, context);
}

export { handler as GET, POST };
