"use client";
// Outbound webhook endpoints: create one (its signing secret is shown once), edit, switch on or off, send a
// test event, delete after a confirmation. Payload and signature: docs/API.md, "Outbound webhooks".
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import {
  createWebhookSchema,
  defaultWebhookEvents,
  updateWebhookSchema,
  webhookEventSuggestions,
} from "@/server/domain/webhooks";
import { ConfirmDialog } from "../confirm-dialog";
import { issuesOf, type Issues } from "../form-errors";
import { formatDateTime } from "../format";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Badge, Button, EmptyState, FieldError, inputClass, ListSkeleton } from "../ui";
import { formText, formTexts } from "./form-text";
import { SecretReveal } from "./secret-reveal";

interface EndpointValues {
  name: string;
  url: string;
  events: string[];
}

/** The form's events: the ticked suggestions and the "other events" text, split on commas and spaces. */
function readValues(form: FormData): EndpointValues {
  const other = formText(form, "otherEvents")
    .split(/[\s,]+/)
    .filter(Boolean);
  return {
    name: formText(form, "name"),
    url: formText(form, "url").trim(),
    events: [...formTexts(form, "events"), ...other],
  };
}

/** Zod's paths ("events.2") collapse onto the field that shows them. */
function fieldIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): Issues {
  const next: Issues = {};
  for (const issue of issues) next[String(issue.path[0] ?? "_")] ??= issue.message;
  return next;
}

function serverIssues(error: unknown): Issues {
  const issues = issuesOf(error);
  const entries = Object.entries(issues).map(([path, message]) => ({ path: path.split("."), message }));
  return entries.length > 0 ? fieldIssues(entries) : { _: (error as Error).message };
}

function EndpointFields({ idPrefix, values, issues }: { idPrefix: string; values?: EndpointValues; issues: Issues }) {
  const suggested = new Set<string>(webhookEventSuggestions);
  const events = values?.events ?? defaultWebhookEvents;
  const other = events.filter((event) => !suggested.has(event));
  const errorId = (name: string) => (issues[name] ? `${idPrefix}-${name}-error` : undefined);
  return (
    <>
      <div>
        <label htmlFor={`${idPrefix}-name`} className="mb-1 block text-sm font-medium">
          Name
        </label>
        <input
          id={`${idPrefix}-name`}
          name="name"
          defaultValue={values?.name}
          autoComplete="off"
          placeholder="Orchestrator"
          className={inputClass}
          aria-invalid={Boolean(issues.name)}
          aria-describedby={errorId("name")}
        />
        <FieldError id={`${idPrefix}-name-error`} message={issues.name} />
      </div>
      <div>
        <label htmlFor={`${idPrefix}-url`} className="mb-1 block text-sm font-medium">
          URL
        </label>
        <input
          id={`${idPrefix}-url`}
          name="url"
          type="url"
          defaultValue={values?.url}
          autoComplete="off"
          placeholder="https://orchestrator.internal/hooks/rewind"
          className={inputClass}
          aria-invalid={Boolean(issues.url)}
          aria-describedby={errorId("url")}
        />
        <FieldError id={`${idPrefix}-url-error`} message={issues.url} />
      </div>
      <fieldset aria-describedby={errorId("events")}>
        <legend className="mb-1 text-sm font-medium">Events</legend>
        <div className="grid grid-cols-2 gap-1">
          {webhookEventSuggestions.map((event) => (
            <label key={event} className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="events" value={event} defaultChecked={events.includes(event)} />
              <span className="font-mono text-xs">{event}</span>
            </label>
          ))}
        </div>
        <label htmlFor={`${idPrefix}-other`} className="mt-2 block text-sm">
          Other events <span className="text-slate-600">(names or prefixes, comma-separated; * for all)</span>
        </label>
        <input
          id={`${idPrefix}-other`}
          name="otherEvents"
          defaultValue={other.join(", ")}
          autoComplete="off"
          placeholder="snapshot.failed"
          className={`${inputClass} font-mono`}
        />
        <FieldError id={`${idPrefix}-events-error`} message={issues.events} />
      </fieldset>
    </>
  );
}

export function WebhooksAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const endpoints = useQuery(trpc.notifications.webhooks.queryOptions());
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const invalidate = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.notifications.webhooks.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.notifications.settings.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.notifications.deadLetters.queryKey() }),
    ]);

  return (
    <section aria-labelledby="webhooks-heading" className="space-y-4">
      <div>
        <h2 id="webhooks-heading" className="text-lg font-medium">
          Outbound webhooks
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Rewind POSTs matching notifications as JSON, signed with the endpoint&apos;s secret in{" "}
          <code>X-Rewind-Signature</code> like ingestion requests, and retries failures on their own (docs/API.md,
          “Outbound webhooks”).
        </p>
      </div>
      {created ? (
        <SecretReveal
          title={`Webhook “${created.name}” created`}
          secrets={[{ label: "Signing secret", value: created.secret }]}
          onDone={() => setCreated(null)}
        >
          The receiver verifies <code>X-Rewind-Signature</code> with it: HMAC-SHA256 over{" "}
          <code>&lt;t&gt;.&lt;raw body&gt;</code>.
        </SecretReveal>
      ) : null}
      <div className="grid gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(18rem,2fr)]">
        <div className="min-w-0">
          {endpoints.isPending ? (
            <ListSkeleton rows={2} label="Loading webhooks" />
          ) : endpoints.isError ? (
            <Alert>Could not load the webhooks: {endpoints.error.message}</Alert>
          ) : endpoints.data.length === 0 ? (
            <EmptyState title="No outbound webhooks yet">
              Add an endpoint with the form to push rollbacks, emergency stops and configuration changes to your
              orchestrator or paging tool as they happen.
            </EmptyState>
          ) : (
            <ul className="space-y-3" aria-label="Webhook endpoints">
              {endpoints.data.map((endpoint) => (
                <EndpointCard key={endpoint.id} endpoint={endpoint} onChanged={invalidate} />
              ))}
            </ul>
          )}
        </div>
        <CreateWebhookForm
          onCreated={async (name, secret) => {
            setCreated({ name, secret });
            toast(`Created webhook ${name}: copy its secret now`);
            await invalidate();
          }}
        />
      </div>
    </section>
  );
}

interface Endpoint {
  id: string;
  name: string;
  url: string;
  events: string[];
  enabled: boolean;
  createdAt: Date;
  createdBy: { name: string } | null;
  pending: number;
  dead: number;
}

function EndpointCard({ endpoint, onChanged }: { endpoint: Endpoint; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const id = useId();
  const [editing, setEditingState] = useState(false);
  // Opening the form moves focus into it; closing it returns focus to the Edit button.
  function setEditing(next: boolean) {
    setEditingState(next);
    requestAnimationFrame(() => document.getElementById(next ? `${id}-edit-name` : `${id}-edit-button`)?.focus());
  }
  const [issues, setIssues] = useState<Issues>({});
  const update = useMutation(trpc.notifications.updateWebhook.mutationOptions());
  const remove = useMutation(trpc.notifications.deleteWebhook.mutationOptions());
  const test = useMutation(
    trpc.notifications.testWebhook.mutationOptions({
      onSuccess: () => toast(`${endpoint.name} accepted the test event`),
      onError: (error) => toast(error.message, "error"),
    }),
  );

  async function toggle() {
    try {
      await update.mutateAsync({ id: endpoint.id, enabled: !endpoint.enabled });
      toast(`${endpoint.name} ${endpoint.enabled ? "disabled" : "enabled"}`);
    } catch (error) {
      toast((error as Error).message, "error");
    } finally {
      await onChanged();
    }
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = updateWebhookSchema.safeParse({ id: endpoint.id, ...readValues(new FormData(event.currentTarget)) });
    if (!parsed.success) {
      setIssues(fieldIssues(parsed.error.issues));
      return;
    }
    try {
      await update.mutateAsync(parsed.data);
      setIssues({});
      setEditing(false);
      toast(`Saved ${parsed.data.name ?? endpoint.name}`);
      await onChanged();
    } catch (error) {
      setIssues(serverIssues(error));
    }
  }

  return (
    <li className="rounded-lg border border-slate-200 bg-white p-4">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h3 id={`${id}-name`} className="font-medium">
            {endpoint.name}
          </h3>
          <p className="font-mono text-xs break-all text-slate-700">{endpoint.url}</p>
        </div>
        <Badge tone={endpoint.enabled ? "good" : "neutral"}>{endpoint.enabled ? "Enabled" : "Disabled"}</Badge>
      </div>
      <div className="mt-2 flex flex-wrap gap-1" aria-label="Events">
        {endpoint.events.map((event) => (
          <Badge key={event} tone="info">
            {event}
          </Badge>
        ))}
      </div>
      <p className="mt-2 text-xs text-slate-600">
        {endpoint.pending > 0 ? `${endpoint.pending} waiting or retrying · ` : ""}
        {endpoint.dead > 0 ? `${endpoint.dead} dead letter${endpoint.dead === 1 ? "" : "s"} · ` : ""}
        Added {formatDateTime(endpoint.createdAt)}
        {endpoint.createdBy ? ` by ${endpoint.createdBy.name}` : ""}
      </p>
      {editing ? (
        <form
          noValidate
          onSubmit={(event) => void onSubmit(event)}
          className="mt-3 space-y-3 border-t border-slate-200 pt-3"
        >
          {issues._ ? <Alert>{issues._}</Alert> : null}
          <EndpointFields idPrefix={`${id}-edit`} values={endpoint} issues={issues} />
          <div className="flex justify-end gap-2">
            <Button
              tone="secondary"
              onClick={() => {
                setEditing(false);
                setIssues({});
              }}
            >
              Cancel
            </Button>
            <Button type="submit" disabled={update.isPending}>
              {update.isPending ? "Saving…" : "Save changes"}
            </Button>
          </div>
        </form>
      ) : (
        <div className="mt-3 flex flex-wrap gap-2">
          <Button tone="secondary" disabled={test.isPending} onClick={() => test.mutate({ id: endpoint.id })}>
            {test.isPending ? "Sending…" : "Send test event"}
            <span className="sr-only"> to {endpoint.name}</span>
          </Button>
          <Button id={`${id}-edit-button`} tone="secondary" onClick={() => setEditing(true)}>
            Edit<span className="sr-only"> {endpoint.name}</span>
          </Button>
          <Button tone="secondary" disabled={update.isPending} onClick={() => void toggle()}>
            {endpoint.enabled ? "Disable" : "Enable"}
            <span className="sr-only"> {endpoint.name}</span>
          </Button>
          <ConfirmDialog
            trigger={
              <Button tone="danger">
                Delete<span className="sr-only"> {endpoint.name}</span>
              </Button>
            }
            title={`Delete the webhook “${endpoint.name}”?`}
            description={
              <p>
                Rewind stops sending to <span className="font-mono break-all">{endpoint.url}</span>. Its queued
                deliveries and dead letters are deleted with it.
              </p>
            }
            confirmLabel="Delete webhook"
            tone="danger"
            onConfirm={async () => {
              try {
                await remove.mutateAsync({ id: endpoint.id });
                toast(`Deleted ${endpoint.name}`);
              } catch (error) {
                toast((error as Error).message, "error");
                throw error;
              } finally {
                await onChanged();
              }
            }}
          />
        </div>
      )}
    </li>
  );
}

function CreateWebhookForm({ onCreated }: { onCreated: (name: string, secret: string) => Promise<void> }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.notifications.createWebhook.mutationOptions());
  const [issues, setIssues] = useState<Issues>({});
  // Remounted after each creation, so the fields return to their defaults.
  const [formKey, setFormKey] = useState(0);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = createWebhookSchema.safeParse(readValues(new FormData(event.currentTarget)));
    if (!parsed.success) {
      setIssues(fieldIssues(parsed.error.issues));
      return;
    }
    setIssues({});
    try {
      const result = await create.mutateAsync(parsed.data);
      setFormKey((key) => key + 1);
      await onCreated(result.endpoint.name, result.signingSecret);
    } catch (error) {
      setIssues(serverIssues(error));
    }
  }

  return (
    <section aria-labelledby="new-webhook-heading">
      <h3 id="new-webhook-heading" className="mb-3 font-medium">
        Add an endpoint
      </h3>
      <form
        key={formKey}
        noValidate
        onSubmit={(event) => void onSubmit(event)}
        className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
      >
        {issues._ ? <Alert>{issues._}</Alert> : null}
        <EndpointFields idPrefix="new-webhook" issues={issues} />
        <Button type="submit" disabled={create.isPending} className="w-full">
          {create.isPending ? "Adding…" : "Add endpoint"}
        </Button>
      </form>
    </section>
  );
}
