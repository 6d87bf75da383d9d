// Renders components and hooks the way the console does (TanStack Query, tRPC, toasts), with a tRPC client
// whose link calls the real appRouter in-process as a given user, on the run's real database: no network,
// no mocked procedures.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, renderHook, type RenderHookOptions } from "@testing-library/react";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { ReactElement, ReactNode } from "react";
import superjson from "superjson";
import { afterEach } from "vitest";
import { ToastProvider } from "@/components/toast";
import { TRPCProvider } from "@/components/trpc";
import { appRouter, type AppRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import type { Db } from "@/server/db";
import { sessionOf } from "../integration/helpers";

afterEach(cleanup);

export interface Session {
  db: Db;
  /** Null for a visitor who is not signed in. */
  userId: string | null;
}

/**
 * A fresh QueryClient (no retries, so errors show at once), a wrapper providing it with tRPC and toasts, and
 * `calls`: the procedures called so far, in order ("rollbacks.requestManual"), to show what was never sent.
 */
export function testProviders({ db, userId }: Session) {
  const calls: string[] = [];
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const trpcClient = createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: "http://test/api/trpc",
        transformer: superjson,
        // As app/api/trpc/[trpc]/route.ts, with the user given instead of read from the session cookie. jsdom's
        // AbortSignal is not Node's, so the request is rebuilt without it.
        fetch: (input, init) => {
          const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
          calls.push(...decodeURIComponent(new URL(url).pathname.slice("/api/trpc/".length)).split(","));
          return fetchRequestHandler({
            endpoint: "/api/trpc",
            req: new Request(url, { method: init?.method, headers: init?.headers, body: init?.body }),
            router: appRouter,
            createContext: async () => createContext({ db, session: await sessionOf(db, userId) }),
          });
        },
      }),
    ],
  });
  function Wrapper({ children }: { children: ReactNode }) {
    return (
      <QueryClientProvider client={queryClient}>
        <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
          <ToastProvider>{children}</ToastProvider>
        </TRPCProvider>
      </QueryClientProvider>
    );
  }
  return { queryClient, calls, Wrapper };
}

export function renderAs(session: Session, ui: ReactElement) {
  const { queryClient, calls, Wrapper } = testProviders(session);
  return { queryClient, calls, ...render(ui, { wrapper: Wrapper }) };
}

export function renderHookAs<Result, Props>(
  session: Session,
  hook: (props: Props) => Result,
  options: Omit<RenderHookOptions<Props>, "wrapper"> = {},
) {
  const { queryClient, calls, Wrapper } = testProviders(session);
  return { queryClient, calls, ...renderHook(hook, { ...options, wrapper: Wrapper }) };
}
