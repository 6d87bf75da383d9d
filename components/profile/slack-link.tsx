"use client";
// The signed-in user's own Slack member ID: button clicks in Slack (approvals from Slack) act as this user once
// it is linked. Only the user themselves sets or clears it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { slackUserIdSchema } from "@/server/domain/notification-channels";
import { issuesOf } from "../form-errors";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Badge, Button, FieldError, inputClass, Skeleton } from "../ui";

export function SlackLink() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const ids = { input: useId(), help: useId() };
  const link = useQuery(trpc.users.mySlackLink.queryOptions());
  const save = useMutation(trpc.users.setMySlackLink.mutationOptions());
  const [error, setError] = useState<string | undefined>();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.users.mySlackLink.queryKey() });

  async function submit(slackUserId: string | null, done: string) {
    try {
      await save.mutateAsync({ slackUserId });
      setError(undefined);
      toast(done);
      await invalidate();
    } catch (thrown) {
      setError(issuesOf(thrown).slackUserId ?? (thrown as Error).message);
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = new FormData(event.currentTarget).get("slackUserId");
    const checked = slackUserIdSchema.safeParse(typeof value === "string" ? value : "");
    if (!checked.success) {
      setError(checked.error.issues[0]?.message);
      return;
    }
    void submit(checked.data, "Slack account linked");
  }

  const linked = link.data?.slackUserId ?? null;
  return (
    <section aria-labelledby="slack-link-heading" className="max-w-xl rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="slack-link-heading" className="text-lg font-medium">
        Slack
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        When Rewind posts a rollback that needs approval to Slack, its Approve and Reject buttons act as the Rewind user
        linked to whoever clicks, with that user&apos;s role. Link your Slack account here: in Slack, open your profile,
        choose ⋮ and <q>Copy member ID</q>.
      </p>
      <div className="mt-3 text-sm">
        {link.isPending ? (
          <Skeleton className="h-6 w-48" label="Loading your Slack link" />
        ) : link.isError ? (
          <Alert>Could not load your Slack link: {link.error.message}</Alert>
        ) : linked ? (
          <div className="flex flex-wrap items-center gap-2">
            <Badge tone="good">Linked</Badge>
            <span>
              Slack member <span className="font-mono">{linked}</span>
            </span>
            <Button
              tone="secondary"
              disabled={save.isPending}
              onClick={() => void submit(null, "Slack account unlinked")}
            >
              Unlink
            </Button>
          </div>
        ) : (
          <p>
            <Badge tone="neutral">Not linked</Badge>{" "}
            <span className="text-slate-600">Clicks in Slack cannot act as you until you link your member ID.</span>
          </p>
        )}
      </div>
      <form noValidate aria-label="Slack member ID" onSubmit={onSubmit} className="mt-4 space-y-2">
        <label htmlFor={ids.input} className="block text-sm font-medium">
          {linked ? "Replace your Slack member ID" : "Your Slack member ID"}
        </label>
        <div className="flex flex-col gap-2 sm:flex-row">
          <input
            id={ids.input}
            name="slackUserId"
            autoComplete="off"
            spellCheck={false}
            placeholder="U024BE7LH"
            className={`font-mono ${inputClass}`}
            aria-invalid={Boolean(error)}
            aria-describedby={error ? `${ids.help} ${ids.help}-error` : ids.help}
          />
          <Button type="submit" disabled={save.isPending} className="shrink-0">
            {save.isPending ? "Saving…" : "Save"}
          </Button>
        </div>
        <p id={ids.help} className="text-xs text-slate-600">
          U or W followed by capital letters and digits.
        </p>
        <FieldError id={`${ids.help}-error`} message={error} />
      </form>
    </section>
  );
}
