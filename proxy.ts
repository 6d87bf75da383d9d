// Every page: a Content-Security-Policy with a fresh nonce (Next reads it from the request header and puts
// it on its scripts), and, outside the sign-in page, visitors without a session cookie go to sign in,
// remembering where they were going. Role checks and disabled users are handled per page and per procedure
// (server/auth/session.ts); headers that do not change per request are in next.config.js.
import { type NextFetchEvent, type NextRequest, NextResponse } from "next/server";
import { type NextRequestWithAuth, withAuth } from "next-auth/middleware";
import { contentSecurityPolicy, servedOverHttps } from "./server/domain/content-security-policy";

// withAuth lets the sign-in page, next-auth's routes and /_next through on its own (answering undefined).
const requireSession = withAuth({ pages: { signIn: "/login" } });

export default async function proxy(request: NextRequest, event: NextFetchEvent): Promise<Response> {
  const policy = contentSecurityPolicy({
    nonce: Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64"),
    dev: process.env.NODE_ENV === "development",
    https: servedOverHttps(request.headers.get("x-forwarded-proto"), request.nextUrl.protocol),
  });
  const refusal = await requireSession(request as NextRequestWithAuth, event);
  if (refusal) {
    refusal.headers.set("Content-Security-Policy", policy);
    return refusal;
  }
  const headers = new Headers(request.headers);
  headers.set("Content-Security-Policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

export const config = {
  // Every page, the sign-in page included; not next-auth, the health check, machine APIs or static assets.
  matcher: ["/((?!api/|ofrep/|_next/|favicon.ico|robots.txt).*)"],
};
