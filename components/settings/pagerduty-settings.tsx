"use client";
// PagerDuty (Events API v2): save or remove the integration key and an optional events URL, send a test
// event. The key is a secret: the server only tells that one is set and its last 4 characters.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { pagerDutySettingsSchema } from "@/server/domain/notification-channels";
import { issuesOf, type Issues } from "../form-errors";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Badge, Button, FieldError, inputClass, Skeleton } from "../ui";
import { formText } from "./form-text";
import { RemoveChannel } from "./remove-channel";

export function PagerDutySettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const ids = { key: useId(), url: useId(), keyHelp: useId(), urlHelp: useId() };
  const settings = useQuery(trpc.notifications.settings.queryOptions());
  const save = useMutation(trpc.notifications.configureChannel.mutationOptions());
  const test = useMutation(
    trpc.notifications.testChannel.mutationOptions({
      onSuccess: () => toast("Test event sent to PagerDuty and resolved"),
      onError: (error) => toast(error.message, "error"),
    }),
  );
  const [issues, setIssues] = useState<Issues>({});
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.notifications.settings.queryKey() });
  const pagerDuty = settings.data?.channels.PAGERDUTY;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const input = {
      channel: "PAGERDUTY" as const,
      routingKey: formText(form, "routingKey").trim(),
      eventsUrl: formText(form, "eventsUrl").trim(),
    };
    // The same rules as the server's, so most mistakes show before a round trip.
    const checked = pagerDutySettingsSchema.safeParse(input);
    const local: Issues = {};
    if (!checked.success)
      for (const issue of checked.error.issues) local[String(issue.path[0] ?? "_")] ??= issue.message;
    if (!input.routingKey && !pagerDuty?.configured) {
      local.routingKey ??= "Enter the integration key of the service's Events API v2 integration";
    }
    if (Object.keys(local).length > 0) {
      setIssues(local);
      return;
    }
    try {
      await save.mutateAsync(input);
      setIssues({});
      formElement.reset();
      toast("PagerDuty settings saved");
      await invalidate();
    } catch (thrown) {
      const server = issuesOf(thrown);
      setIssues(Object.keys(server).length > 0 ? server : { _: (thrown as Error).message });
    }
  }

  const describedBy = (help: string, field: string) =>
    [help, issues[field] ? `${help}-error` : null].filter(Boolean).join(" ");

  return (
    <section aria-labelledby="pagerduty-heading" className="rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="pagerduty-heading" className="text-lg font-medium">
        PagerDuty
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        Emergency and critical notifications (emergency rollbacks, rollbacks that failed or did not help, frozen
        automation, escalations) open an incident through the{" "}
        <a
          className="text-indigo-700 underline"
          href="https://developer.pagerduty.com/docs/events-api-v2/overview/"
          target="_blank"
          rel="noreferrer"
        >
          Events API v2
        </a>
        , one per rollback; a rollback verified effective resolves it. Nothing else pages anyone.
      </p>
      <div className="mt-3">
        {settings.isPending ? (
          <Skeleton className="h-6 w-64" label="Loading PagerDuty settings" />
        ) : settings.isError ? (
          <Alert>Could not load the PagerDuty settings: {settings.error.message}</Alert>
        ) : pagerDuty?.configured ? (
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <Badge tone="good">Connected</Badge>
            <span>
              Integration key ending in <span className="font-mono">{pagerDuty.routingKeyLast4}</span>, sent to{" "}
              <span className="font-mono">{pagerDuty.eventsUrl ?? pagerDuty.defaultEventsUrl}</span>
            </span>
            <Button tone="secondary" disabled={test.isPending} onClick={() => test.mutate({ channel: "PAGERDUTY" })}>
              {test.isPending ? "Sending…" : "Send test event"}
            </Button>
            <RemoveChannel
              channel="PAGERDUTY"
              label="Remove PagerDuty"
              title="Remove the PagerDuty integration?"
              description={
                <p>
                  Rewind stops opening and resolving PagerDuty incidents. Incidents already open stay open until someone
                  resolves them in PagerDuty.
                </p>
              }
              removedMessage="PagerDuty integration removed"
            />
          </div>
        ) : (
          <p className="text-sm">
            <Badge tone="neutral">Not connected</Badge>{" "}
            <span className="text-slate-600">
              Add an Events API v2 integration to a PagerDuty service and paste its integration key below.
            </span>
          </p>
        )}
      </div>
      <form
        noValidate
        aria-label="PagerDuty settings"
        onSubmit={(event) => void onSubmit(event)}
        className="mt-4 space-y-3"
      >
        {issues._ ? <Alert>{issues._}</Alert> : null}
        <div>
          <label htmlFor={ids.key} className="block text-sm font-medium">
            {pagerDuty?.configured ? "Replace the integration key" : "Integration key"}
          </label>
          <input
            id={ids.key}
            name="routingKey"
            type="password"
            autoComplete="off"
            spellCheck={false}
            className={`mt-1 font-mono ${inputClass}`}
            aria-invalid={Boolean(issues.routingKey)}
            aria-describedby={describedBy(ids.keyHelp, "routingKey")}
          />
          <p id={ids.keyHelp} className="mt-1 text-xs text-slate-600">
            32 letters and digits, from the integration&apos;s page in PagerDuty.
            {pagerDuty?.configured ? " Leave empty to keep the current key." : ""}
          </p>
          <FieldError id={`${ids.keyHelp}-error`} message={issues.routingKey} />
        </div>
        <div>
          <label htmlFor={ids.url} className="block text-sm font-medium">
            Events URL (optional)
          </label>
          <input
            id={ids.url}
            name="eventsUrl"
            type="url"
            autoComplete="off"
            // Keyed so a saved URL shows up once loaded, and the form's reset returns to it.
            key={pagerDuty?.eventsUrl ?? ""}
            defaultValue={pagerDuty?.eventsUrl ?? ""}
            placeholder={pagerDuty?.defaultEventsUrl ?? "https://events.pagerduty.com/v2/enqueue"}
            className={`mt-1 ${inputClass}`}
            aria-invalid={Boolean(issues.eventsUrl)}
            aria-describedby={describedBy(ids.urlHelp, "eventsUrl")}
          />
          <p id={ids.urlHelp} className="mt-1 text-xs text-slate-600">
            Empty for PagerDuty&apos;s own (use https://events.eu.pagerduty.com/v2/enqueue for an EU account).
          </p>
          <FieldError id={`${ids.urlHelp}-error`} message={issues.eventsUrl} />
        </div>
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </Button>
      </form>
    </section>
  );
}
