// Importing the environment module validates every variable at build and start.
import "./server/env.js";

// Headers every response gets: pages, route handlers and static files. Pages also get a per-request
// Content-Security-Policy with a nonce from proxy.ts; machine and auth routes under /api (and /ofrep) get the strict one
// below (JSON needs nothing; next-auth's built-in sign-out page needs its inline styles and its form).
const everyResponse = [
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
const apiPolicy =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
// `next start` speaks plain HTTP: HTTPS ends at a proxy, which says so in X-Forwarded-Proto. Browsers ignore
// Strict-Transport-Security received over HTTP, so it is sent only when the visitor came over HTTPS. No
// includeSubDomains: Rewind is one host in someone else's domain and must not decide for its siblings.
const overHttps = [{ type: "header", key: "x-forwarded-proto", value: "(?:https|HTTPS)(?:,.*)?" }];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // NEXT_DIST_DIR lets two builds of one checkout coexist (e.g. a dev server beside the test build).
  distDir: process.env.NEXT_DIST_DIR || ".next",
  reactStrictMode: true,
  poweredByHeader: false,
  typedRoutes: false,
  experimental: {
    // forbidden() renders app/forbidden.tsx with a 403 for pages a role may not open.
    authInterrupts: true,
  },
  serverExternalPackages: ["better-sqlite3", "pg", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg"],
  async headers() {
    return [
      { source: "/:path*", headers: everyResponse },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: apiPolicy }] },
      // OpenFeature's remote evaluation (JSON only, outside /api because the protocol fixes its paths).
      { source: "/ofrep/:path*", headers: [{ key: "Content-Security-Policy", value: apiPolicy }] },
      {
        source: "/:path*",
        has: overHttps,
        headers: [{ key: "Strict-Transport-Security", value: "max-age=31536000" }],
      },
    ];
  },
};

export default nextConfig;
