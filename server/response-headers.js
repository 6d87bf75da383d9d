// Headers every response gets, for next.config.js (pages, route handlers, static files) and for the paths the
// production server answers before Next.js (scripts/serve.ts), so both send the same. Plain JavaScript because
// next.config.js imports it. Pages also get a per-request Content-Security-Policy with a nonce from proxy.ts.

/** @type {{ key: string, value: string }[]} */
export const everyResponse = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "X-Frame-Options", value: "DENY" },
  // Stricter than the browsers' default: links out of the console do not tell other sites its host name.
  { key: "Referrer-Policy", value: "same-origin" },
  {
    key: "Permissions-Policy",
    value:
      "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
  },
];

/**
 * Machine and auth routes under /api (and /ofrep): JSON needs nothing; next-auth's built-in sign-out page needs
 * its inline styles and its form.
 */
export const apiPolicy =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// Rewind speaks plain HTTP: HTTPS ends at a proxy, which says so in X-Forwarded-Proto. Browsers ignore
// Strict-Transport-Security received over HTTP, so it is sent only when the visitor came over HTTPS. No
// includeSubDomains: Rewind is one host in someone else's domain and must not decide for its siblings.
export const forwardedHttps = "(?:https|HTTPS)(?:,.*)?";
export const strictTransportSecurity = { key: "Strict-Transport-Security", value: "max-age=31536000" };

/**
 * What next.config.js's headers() give a response under /api, as one object: the fast path's headers.
 * @param {string | undefined} forwardedProto the request's X-Forwarded-Proto
 * @returns {Record<string, string>}
 */
export function apiResponseHeaders(forwardedProto) {
  const headers = Object.fromEntries(everyResponse.map(({ key, value }) => [key, value]));
  headers["Content-Security-Policy"] = apiPolicy;
  if (forwardedProto !== undefined && new RegExp(`^${forwardedHttps}$`).test(forwardedProto)) {
    headers[strictTransportSecurity.key] = strictTransportSecurity.value;
  }
  return headers;
}
