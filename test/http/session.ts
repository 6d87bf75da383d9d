// Signing in over HTTP as the console's sign-in form does (next-auth's CSRF token, then the credentials
// callback), for the http tests of cookie-authenticated routes.
import { inject } from "vitest";
import type { Db } from "@/server/db";
import type { RoleName } from "@/server/domain/roles";
import { makeUser } from "./helpers";
import { testPassword } from "../integration/helpers";

export interface BrowserSession {
  /** The Cookie header: next-auth's CSRF cookie and the session cookie. */
  cookie: string;
  csrfToken: string;
  userId: string;
}

/** `name=value` pairs of a response's Set-Cookie headers. */
export function cookiesOf(response: Response): Map<string, string> {
  return new Map(
    response.headers.getSetCookie().map((line) => {
      const pair = line.split(";")[0] ?? "";
      const at = pair.indexOf("=");
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

export function cookieHeader(cookies: Map<string, string>): string {
  return [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
}

/** next-auth's CSRF token and the cookie that pairs with it. */
export async function csrf(): Promise<{ csrfToken: string; cookies: Map<string, string> }> {
  const response = await fetch(`${inject("baseUrl")}/api/auth/csrf`);
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return { csrfToken, cookies: cookiesOf(response) };
}

/**
 * POST /api/auth/callback/credentials as the sign-in form sends it; `headers` may add or override the
 * browser's (Origin, Sec-Fetch-Site).
 */
export async function postCredentials(
  form: Record<string, string>,
  options: { cookies: Map<string, string>; headers?: Record<string, string> },
): Promise<Response> {
  const baseUrl = inject("baseUrl");
  return fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: cookieHeader(options.cookies),
      origin: baseUrl,
      "sec-fetch-site": "same-origin",
      ...options.headers,
    },
    body: new URLSearchParams({ json: "true", ...form }),
  });
}

/** A new user of `role`, signed in from the console's own origin. */
export async function signIn(db: Db, role: RoleName): Promise<BrowserSession> {
  const user = await makeUser(db, role);
  const { csrfToken, cookies } = await csrf();
  const response = await postCredentials({ csrfToken, email: user.email, password: testPassword }, { cookies });
  for (const [name, value] of cookiesOf(response)) cookies.set(name, value);
  if (![...cookies.keys()].some((name) => name.includes("next-auth.session-token"))) {
    throw new Error(`sign-in failed with ${response.status}: ${await response.text()}`);
  }
  return { cookie: cookieHeader(cookies), csrfToken, userId: user.id };
}
