import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { refuseCrossSite, refuseNonJson } from "@/server/api/browser-requests";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { getSessionClaim } from "@/server/auth/session";
import { getDb } from "@/server/db";
import { withRequestLog } from "@/server/services/platform/log";

/** Internal errors are logged once, with the request id the client is given, by the error formatter (trpc.ts). */
function handler(request: Request) {
  return withRequestLog(request, () =>
    fetchRequestHandler({
      endpoint: "/api/trpc",
      req: request,
      router: appRouter,
      createContext: async () => createContext({ db: getDb(), session: await getSessionClaim() }),
    }),
  );
}

/** Mutations: only from the console's own pages, and only as JSON (no HTML form can send that cross-site). */
async function mutate(request: Request) {
  return refuseCrossSite(request) ?? refuseNonJson(request) ?? handler(request);
}

export { handler as GET, mutate as POST };
