"use client";
// The Slack incoming webhook: set or remove the URL, send a test message. The URL is a credential: the
// server only tells where it points (its host).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { issuesOf } from "../form-errors";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Badge, Button, FieldError, inputClass, Skeleton } from "../ui";
import { formText } from "./form-text";
import { RemoveChannel } from "./remove-channel";

export function SlackSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const settings = useQuery(trpc.notifications.settings.queryOptions());
  const save = useMutation(trpc.notifications.configureChannel.mutationOptions());
  const test = useMutation(
    trpc.notifications.testChannel.mutationOptions({
      onSuccess: () => toast("Test message sent to Slack"),
      onError: (error) => toast(error.message, "error"),
    }),
  );
  const [error, setError] = useState<string | undefined>();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.notifications.settings.queryKey() });

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const url = formText(new FormData(formElement), "url").trim();
    if (!url) {
      setError("Enter the Slack incoming webhook URL (https://hooks.slack.com/services/…)");
      return;
    }
    try {
      await save.mutateAsync({ channel: "SLACK", url });
      setError(undefined);
      formElement.reset();
      toast("Slack webhook saved");
      await invalidate();
    } catch (thrown) {
      setError(issuesOf(thrown).url ?? (thrown as Error).message);
    }
  }

  return (
    <section aria-labelledby="slack-heading" className="rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="slack-heading" className="text-lg font-medium">
        Slack
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        Every notification except <code>config.changed</code> goes to one Slack channel through an{" "}
        <a
          className="text-indigo-700 underline"
          href="https://api.slack.com/messaging/webhooks"
          target="_blank"
          rel="noreferrer"
        >
          incoming webhook
        </a>
        .
      </p>
      <div className="mt-3">
        {settings.isPending ? (
          <Skeleton className="h-6 w-64" label="Loading Slack settings" />
        ) : settings.isError ? (
          <Alert>Could not load the Slack settings: {settings.error.message}</Alert>
        ) : settings.data.channels.SLACK.configured ? (
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <Badge tone="good">Connected</Badge>
            <span>
              Posting to <span className="font-mono">{settings.data.channels.SLACK.host}</span>
            </span>
            <Button tone="secondary" disabled={test.isPending} onClick={() => test.mutate({ channel: "SLACK" })}>
              {test.isPending ? "Sending…" : "Send test message"}
            </Button>
            <RemoveChannel
              channel="SLACK"
              label="Remove Slack webhook"
              title="Remove the Slack webhook?"
              description={
                <p>
                  Notifications stop going to Slack. A URL set with the SLACK_WEBHOOK_URL environment variable stays in
                  use until it is removed from the environment.
                </p>
              }
              removedMessage="Slack webhook removed"
            />
          </div>
        ) : (
          <p className="text-sm">
            <Badge tone="neutral">Not connected</Badge>{" "}
            <span className="text-slate-600">Paste an incoming webhook URL below to post notifications to Slack.</span>
          </p>
        )}
      </div>
      <form noValidate onSubmit={(event) => void onSubmit(event)} className="mt-4 space-y-2">
        <label htmlFor="slack-url" className="block text-sm font-medium">
          {settings.data?.channels.SLACK.configured ? "Replace the webhook URL" : "Incoming webhook URL"}
        </label>
        <div className="flex flex-col gap-2 sm:flex-row">
          <input
            id="slack-url"
            name="url"
            type="url"
            autoComplete="off"
            placeholder="https://hooks.slack.com/services/…"
            className={inputClass}
            aria-invalid={Boolean(error)}
            aria-describedby={error ? "slack-url-error" : undefined}
          />
          <Button type="submit" disabled={save.isPending} className="shrink-0">
            {save.isPending ? "Saving…" : "Save"}
          </Button>
        </div>
        <FieldError id="slack-url-error" message={error} />
      </form>
    </section>
  );
}
