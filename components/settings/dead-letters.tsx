"use client";
// Deliveries given up after their last retry (or a day in the queue), one row per notification and channel;
// a retry puts that channel's delivery back in the queue with fresh attempts.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { DataTable } from "../data-table";
import { formatDateTime } from "../format";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Badge, Button, EmptyState, ListSkeleton } from "../ui";

export function DeadLetters() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const letters = useQuery(trpc.notifications.deadLetters.queryOptions());
  const settings = useQuery(trpc.notifications.settings.queryOptions());
  const retry = useMutation(
    trpc.notifications.retry.mutationOptions({
      onSuccess: () => toast("Queued again: the next monitoring cycle sends it"),
      onError: (error) => toast(error.message, "error"),
      onSettled: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.notifications.deadLetters.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.notifications.settings.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.notifications.webhooks.queryKey() }),
        ]),
    }),
  );

  return (
    <section aria-labelledby="dead-letters-heading" className="space-y-3">
      <div>
        <h2 id="dead-letters-heading" className="text-lg font-medium">
          Dead letters
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Deliveries that failed 8 times, or waited a day. Fix the channel, then retry: only that channel is sent the
          notification again.
          {settings.data && settings.data.pending > 0
            ? ` ${settings.data.pending} other ${settings.data.pending === 1 ? "delivery is" : "deliveries are"} waiting or retrying.`
            : ""}
        </p>
      </div>
      {letters.isPending ? (
        <ListSkeleton rows={2} label="Loading dead letters" />
      ) : letters.isError ? (
        <Alert>Could not load the dead letters: {letters.error.message}</Alert>
      ) : letters.data.length === 0 ? (
        <EmptyState title="No dead letters">
          Every notification reached its channels, or is still being retried. When a channel keeps failing, its
          deliveries land here with the error, ready to retry.
        </EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <DataTable
            caption="Dead letters"
            alignTop
            rows={letters.data}
            rowKey={(letter) => letter.id}
            columns={[
              {
                id: "notification",
                header: "Notification",
                cell: (letter) => (
                  <>
                    <div className="font-medium">{letter.title}</div>
                    <div className="text-xs text-slate-600">
                      <span className="font-mono">{letter.event}</span> · {formatDateTime(letter.createdAt)}
                    </div>
                  </>
                ),
              },
              {
                id: "channel",
                header: "Channel",
                cell: (letter) => <Badge tone={letter.endpoint ? "info" : "neutral"}>{letter.destination}</Badge>,
              },
              { id: "attempts", header: "Attempts", cell: (letter) => letter.attempts },
              {
                id: "error",
                header: "Last error",
                className: "max-w-xs break-words text-red-800",
                cell: (letter) => (
                  <>
                    {letter.lastError ?? "—"}
                    {letter.lastAttemptAt ? (
                      <div className="text-xs text-slate-600">{formatDateTime(letter.lastAttemptAt)}</div>
                    ) : null}
                  </>
                ),
              },
              {
                id: "actions",
                header: "Actions",
                hideHeader: true,
                className: "text-right",
                cell: (letter) => (
                  <Button
                    tone="secondary"
                    disabled={retry.isPending && retry.variables.id === letter.id}
                    onClick={() => retry.mutate({ id: letter.id })}
                  >
                    Retry
                    <span className="sr-only">
                      {" "}
                      {letter.title} on {letter.destination}
                    </span>
                  </Button>
                ),
              },
            ]}
          />
        </div>
      )}
    </section>
  );
}
