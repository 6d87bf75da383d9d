// Where a visitor may be sent after signing in or out: a path on this site only, however a crafted link
// spells another host (`/.//evil`, `/%2e//evil`, `/\evil`, `%2F%2Fevil`, tabs inside `//`).

/** Stands in for the site's origin where only a path is wanted (the sign-in page's callbackUrl). */
const PLACEHOLDER_ORIGIN = "http://rewind.invalid";

/** Percent-decoding rounds tried before giving up: a path still changing after them is refused. */
const DECODE_ROUNDS = 4;

/**
 * `value` as a path on `origin` (pathname, search and hash), or null when any reading of it — as given or
 * after each round of percent-decoding, and the same for the path it resolves to — leaves `origin`. The
 * second reading is what a lone `new URL(value, origin)` misses: `/.//evil/x` resolves on the origin to the
 * pathname `//evil/x`, which a browser then reads as another host.
 */
export function sameOriginPath(value: string, origin: string): string | null {
  const base = originOf(origin);
  if (base === null || !staysOnWhenDecoded(value, base)) return null;
  const url = new URL(value, base);
  const path = `${url.pathname}${url.search}${url.hash}`;
  return staysOnWhenDecoded(path, base) ? path : null;
}

/**
 * The sign-in page's destination: a same-site path, never the sign-in page itself (that would loop), and
 * "/" for anything else, including a missing or repeated parameter.
 */
export function signInCallbackPath(value: string | string[] | undefined): string {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return "/";
  const path = sameOriginPath(raw, PLACEHOLDER_ORIGIN);
  if (path === null || /^\/login(?=[/?#]|$)/.test(path)) return "/";
  return path;
}

/** next-auth's `redirect` callback: the absolute URL on `baseUrl` for a same-origin `url`, else its home page. */
export function authRedirectUrl(url: string, baseUrl: string): string {
  const base = originOf(baseUrl);
  if (base === null) return baseUrl;
  return `${base}${sameOriginPath(url, base) ?? "/"}`;
}

function originOf(value: string): string | null {
  try {
    const { origin } = new URL(value);
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

/** Whether `value` stays on `origin` as given and after each round of percent-decoding. */
function staysOnWhenDecoded(value: string, origin: string): boolean {
  let reading = value;
  for (let round = 0; ; round++) {
    if (!staysOn(reading, origin)) return false;
    let decoded: string;
    try {
      decoded = decodeURIComponent(reading);
    } catch {
      return false;
    }
    if (decoded === reading) return true;
    if (round === DECODE_ROUNDS) return false;
    reading = decoded;
  }
}

/**
 * Whether `candidate` resolves on `origin` to a path a browser cannot mistake for a host. Backslashes and
 * control characters are refused outright: URL parsers turn `\` into `/` and drop tabs and newlines, so
 * they only ever serve to disguise a `//`.
 */
function staysOn(candidate: string, origin: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\\\u0000-\u001f\u007f]/.test(candidate)) return false;
  let url: URL;
  try {
    url = new URL(candidate, origin);
  } catch {
    return false;
  }
  return url.origin === origin && !url.pathname.startsWith("//");
}
