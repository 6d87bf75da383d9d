// Importing the environment module validates every variable at build and start.
import "./server/env.js";

import { apiPolicy, everyResponse, forwardedHttps, strictTransportSecurity } from "./server/response-headers.js";

// Headers that do not change per request (server/response-headers.js, shared with scripts/serve.ts).
const overHttps = [{ type: "header", key: "x-forwarded-proto", value: forwardedHttps }];

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
        headers: [strictTransportSecurity],
      },
    ];
  },
};

export default nextConfig;
