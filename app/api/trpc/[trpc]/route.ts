import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { refuseCrossSite, refuseNonJson } from "@/server/api/browser-requests";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { getSessionClaim } from "@/server/auth/session";
import { getDb } from "@/server/db";

function handler(request: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: async () => createContext({ db: getDb(), session: await getSessionClaim() }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"} failed:`, error.cause ?? error);
    },
  });
}

/** Mutations: only from the console's own pages, and only as JSON (no HTML form can send that cross-site). */
async function mutate(request: Request) {
  return refuseCrossSite(request) ?? refuseNonJson(request) ?? handler(request);
}

export { handler as GET, mutate as POST };
