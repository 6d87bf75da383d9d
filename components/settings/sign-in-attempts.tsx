"use client";
// Failed and throttled sign-ins of the last day, one row per email and client: who is being guessed at, and from
// where. Throttling delays attempts and never locks an account, so there is nothing to unlock here.
import { useQuery } from "@tanstack/react-query";
import { SIGN_IN_LIMITS, UNKNOWN_CLIENT } from "@/server/domain/sign-in-throttle";
import { DataTable } from "../data-table";
import { formatAgo, formatDateTime } from "../format";
import { useTRPC } from "../trpc";
import { Badge, EmptyState, ListSkeleton, QueryError } from "../ui";

const seconds = (ms: number) => (ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`);
const { accountFromClient, client, account } = SIGN_IN_LIMITS;

export function SignInAttempts() {
  const trpc = useTRPC();
  const attempts = useQuery(trpc.users.signInAttempts.queryOptions(undefined, { refetchInterval: 30_000 }));

  return (
    <section aria-labelledby="sign-in-attempts-heading" className="space-y-3">
      <div>
        <h2 id="sign-in-attempts-heading" className="text-lg font-medium">
          Failed sign-ins
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          The last 24 hours, by email and client address. A client gets {accountFromClient.free} tries at an account and{" "}
          {client.free} across accounts, then waits {seconds(accountFromClient.firstDelayMs)} after each further
          failure, doubling up to {seconds(accountFromClient.maxDelayMs)}; past {account.free} failures from all clients
          together, everyone waits up to {seconds(account.maxDelayMs)}. Refused attempts were turned away without
          checking the password.
        </p>
      </div>
      {attempts.isPending ? (
        <ListSkeleton rows={2} label="Loading failed sign-ins" />
      ) : attempts.isError ? (
        <QueryError error={attempts.error} what="the failed sign-ins" />
      ) : attempts.data.length === 0 ? (
        <EmptyState title="No failed sign-ins">
          Nobody mistyped a password or guessed at one in the last day.
        </EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <DataTable
            caption="Failed sign-ins"
            rows={attempts.data}
            rowKey={(row) => `${row.email} ${row.client}`}
            columns={[
              { id: "email", header: "Email", rowHeader: true, cell: (row) => row.email },
              {
                id: "client",
                header: "Client",
                cell: (row) =>
                  row.client === UNKNOWN_CLIENT || row.client === "" ? (
                    <span className="text-slate-500" title="Set TRUSTED_PROXIES to tell clients apart">
                      unknown
                    </span>
                  ) : (
                    <span className="font-mono">{row.client}</span>
                  ),
              },
              { id: "failed", header: "Wrong password", numeric: true, cell: (row) => row.failed },
              {
                id: "refused",
                header: "Refused",
                numeric: true,
                cell: (row) => (row.refused > 0 ? <Badge tone="warning">{row.refused}</Badge> : 0),
              },
              {
                id: "last",
                header: "Last attempt",
                cell: (row) => <time title={formatDateTime(row.lastAt)}>{formatAgo(row.lastAt)}</time>,
              },
            ]}
          />
        </div>
      )}
    </section>
  );
}
