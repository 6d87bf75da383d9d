// Cross-site request forgery: which state-changing requests a browser may make with the console's session.
// A request is judged by where the browser says it comes from (Sec-Fetch-Site, Origin); a request that
// carries neither header comes from a program, which is refused only when it holds the session cookie.

/** What the rule reads from a request; header values as received, null when absent. */
export interface RequestFacts {
  method: string;
  origin: string | null;
  secFetchSite: string | null;
  cookie: string | null;
}

export type OriginVerdict = { ok: true } | { ok: false; message: string };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** next-auth's session cookie in any of its spellings: `__Secure-` over HTTPS, `.0`, `.1`… when chunked. */
const SESSION_COOKIE = /(?:^|;)\s*(?:__Secure-|__Host-)?next-auth\.session-token(?:\.\d+)?=/;

export function hasSessionCookie(cookie: string | null): boolean {
  return cookie !== null && SESSION_COOKIE.test(cookie);
}

/**
 * The origins the console is served from: each configured public URL (APP_URL, NEXTAUTH_URL) and the
 * request's own Host under the scheme it arrived with or the one a proxy reports (X-Forwarded-Proto). A page
 * elsewhere cannot make a browser send another site's Host, so trusting it here lets no one in.
 */
export function appOrigins(options: {
  configured: readonly (string | undefined)[];
  host: string | null;
  protocol: string;
  forwardedProto: string | null;
}): string[] {
  const origins = new Set<string>();
  for (const url of options.configured) {
    const origin = url ? originOf(url) : null;
    if (origin) origins.add(origin);
  }
  if (options.host) {
    const schemes = [options.protocol.replace(/:$/, ""), options.forwardedProto?.split(",")[0]?.trim()];
    for (const scheme of schemes) {
      if (scheme !== "http" && scheme !== "https") continue;
      const origin = originOf(`${scheme}://${options.host}`);
      if (origin) origins.add(origin);
    }
  }
  return [...origins];
}

/**
 * Whether a request may change state. Safe methods always may. Otherwise, in order:
 * - `Sec-Fetch-Site` present (every current browser): only `same-origin` passes;
 * - `Origin` present: it must be one of `appOrigins` (`null`, sent by sandboxed frames, is no origin);
 * - neither: a program, not a browser page; refused when it holds the session cookie, since a browser that
 *   sends the cookie but hides where the request came from cannot be told apart from a forged one.
 */
export function checkRequestOrigin(facts: RequestFacts, appOrigins: readonly string[]): OriginVerdict {
  if (SAFE_METHODS.has(facts.method.toUpperCase())) return { ok: true };
  const site = facts.secFetchSite?.trim().toLowerCase();
  if (site) {
    if (site === "same-origin") return { ok: true };
    return refuse(`the browser reports it came from ${site === "none" ? "outside any page" : `a ${site} page`}`);
  }
  if (facts.origin !== null) {
    const origin = facts.origin.trim().toLowerCase();
    if (appOrigins.includes(origin)) return { ok: true };
    return refuse(`its Origin ${JSON.stringify(facts.origin)} is not ${appOrigins[0] ?? "this server"}`);
  }
  if (hasSessionCookie(facts.cookie)) {
    return refuse("it carries the session cookie but no Origin or Sec-Fetch-Site header");
  }
  return { ok: true };
}

/** `application/json`, with or without parameters such as `charset`. */
export function isJsonContentType(value: string | null): boolean {
  return value !== null && /^application\/json\s*(?:;|$)/i.test(value.trim());
}

function refuse(why: string): OriginVerdict {
  return {
    ok: false,
    message: `Cross-site request refused: ${why}. Changes must be made from Rewind's own pages.`,
  };
}

function originOf(url: string): string | null {
  try {
    const { origin } = new URL(url);
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}
