"use client";
// API keys of machine clients: create one (the key and its signing secret are shown once), list them with
// their scopes, targets and last use, revoke one after a confirmation.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import {
  apiKeyScopeDescriptions,
  apiKeyScopes,
  createApiKeySchema,
  type ApiKeyScope,
} from "@/server/domain/api-key-input";
import { ConfirmDialog } from "../confirm-dialog";
import { DataTable } from "../data-table";
import { issuesOf, type Issues } from "../form-errors";
import { formatDateTime, formatRelative } from "../format";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Badge, Button, EmptyState, FieldError, inputClass, ListSkeleton } from "../ui";
import { formText, formTexts } from "./form-text";
import { SecretReveal } from "./secret-reveal";

interface Created {
  name: string;
  key: string;
  signingSecret: string;
  signingRequired: boolean;
}

export function ApiKeysAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const [created, setCreated] = useState<Created | null>(null);
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });

  return (
    <div className="grid gap-8 xl:grid-cols-[minmax(0,2fr)_minmax(18rem,1fr)]">
      <section aria-labelledby="api-keys-heading" className="min-w-0 space-y-4">
        <h2 id="api-keys-heading" className="text-lg font-medium">
          Keys
        </h2>
        {created ? (
          <SecretReveal
            title={`API key “${created.name}” created`}
            secrets={[
              { label: "API key", value: created.key },
              ...(created.signingRequired ? [{ label: "Signing secret", value: created.signingSecret }] : []),
            ]}
            onDone={() => setCreated(null)}
          >
            Send the key as <code className="font-mono">Authorization: Bearer …</code>
            {created.signingRequired
              ? " and sign request bodies with the secret (X-Rewind-Signature, see docs/API.md)."
              : ". Signing is off for this key: requests need no signature."}
          </SecretReveal>
        ) : null}
        {keys.isPending ? (
          <ListSkeleton rows={3} label="Loading API keys" />
        ) : keys.isError ? (
          <Alert>Could not load API keys: {keys.error.message}</Alert>
        ) : keys.data.length === 0 ? (
          <EmptyState title="No API keys yet">
            Create one with the form for each machine client: the orchestrator usually needs <code>ingest</code> and{" "}
            <code>config:read</code>, a deploy pipeline <code>snapshots:write</code>. Keys can also be created on the
            server with <code>npm run apikey:create</code>.
          </EmptyState>
        ) : (
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <DataTable
              caption="API keys"
              alignTop
              rows={keys.data}
              rowKey={(key) => key.id}
              columns={[
                {
                  id: "name",
                  header: "Name",
                  cell: (key) => (
                    <>
                      <div className="font-medium">{key.name}</div>
                      <div className="font-mono text-xs text-slate-600">{key.prefix}…</div>
                      <div className="text-xs text-slate-500">Created {formatDateTime(key.createdAt)}</div>
                    </>
                  ),
                },
                {
                  id: "scopes",
                  header: "Scopes and targets",
                  cell: (key) => (
                    <>
                      <div className="flex flex-wrap gap-1">
                        {key.scopes.map((scope) => (
                          <Badge key={scope} tone="info">
                            {scope}
                          </Badge>
                        ))}
                      </div>
                      <div className="mt-1 text-xs text-slate-600">
                        {key.targetSlugs ? `Targets: ${key.targetSlugs.join(", ")}` : "All targets"}
                        {" · "}
                        {key.signingRequired ? "Signed requests" : "Unsigned"}
                      </div>
                    </>
                  ),
                },
                {
                  id: "used",
                  header: "Used",
                  className: "whitespace-nowrap",
                  cell: (key) =>
                    key.lastUsedAt ? (
                      <time dateTime={new Date(key.lastUsedAt).toISOString()} title={formatDateTime(key.lastUsedAt)}>
                        {formatRelative(key.lastUsedAt)}
                      </time>
                    ) : (
                      <span className="text-slate-500">Never</span>
                    ),
                },
                {
                  id: "status",
                  header: "Status",
                  cell: (key) =>
                    key.revokedAt ? (
                      <Badge tone="neutral">Revoked {formatDateTime(key.revokedAt)}</Badge>
                    ) : (
                      <Badge tone="good">Active</Badge>
                    ),
                },
                {
                  id: "actions",
                  header: "Actions",
                  hideHeader: true,
                  className: "text-right",
                  cell: (key) =>
                    key.revokedAt ? null : (
                      <ConfirmDialog
                        trigger={
                          <Button tone="danger">
                            Revoke<span className="sr-only"> {key.name}</span>
                          </Button>
                        }
                        title={`Revoke “${key.name}”?`}
                        description={
                          <p>
                            Requests with <span className="font-mono">{key.prefix}…</span> are refused from their next
                            one on. This cannot be undone: the client needs a new key.
                          </p>
                        }
                        confirmLabel="Revoke key"
                        tone="danger"
                        onConfirm={async () => {
                          try {
                            await revoke.mutateAsync({ id: key.id });
                            toast(`Revoked ${key.name}`);
                          } catch (error) {
                            toast((error as Error).message, "error");
                            throw error;
                          } finally {
                            await invalidate();
                          }
                        }}
                      />
                    ),
                },
              ]}
            />
          </div>
        )}
      </section>
      <CreateApiKeyForm
        onCreated={async (result) => {
          setCreated(result);
          toast(`Created ${result.name}: copy the key now`);
          await invalidate();
        }}
      />
    </div>
  );
}

function CreateApiKeyForm({ onCreated }: { onCreated: (created: Created) => Promise<void> }) {
  const trpc = useTRPC();
  const targets = useQuery(trpc.targets.list.queryOptions());
  const create = useMutation(trpc.apiKeys.create.mutationOptions());
  const [issues, setIssues] = useState<Issues>({});
  const [allTargets, setAllTargets] = useState(true);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const parsed = createApiKeySchema.safeParse({
      name: formText(form, "name"),
      scopes: formTexts(form, "scopes"),
      targetSlugs: allTargets ? null : formTexts(form, "targetSlugs"),
      signingRequired: form.get("signingRequired") === "on",
    });
    if (!parsed.success) {
      const next: Issues = {};
      for (const issue of parsed.error.issues) next[String(issue.path[0] ?? "_")] ??= issue.message;
      setIssues(next);
      return;
    }
    setIssues({});
    try {
      const result = await create.mutateAsync(parsed.data);
      formElement.reset();
      setAllTargets(true);
      await onCreated({
        name: result.apiKey.name,
        key: result.key,
        signingSecret: result.signingSecret,
        signingRequired: result.apiKey.signingRequired,
      });
    } catch (error) {
      const fieldIssues = issuesOf(error);
      setIssues(Object.keys(fieldIssues).length ? fieldIssues : { _: (error as Error).message });
    }
  }

  const errorId = (name: string) => (issues[name] ? `new-key-${name}-error` : undefined);

  return (
    <section aria-labelledby="new-key-heading">
      <h2 id="new-key-heading" className="mb-3 text-lg font-medium">
        Create an API key
      </h2>
      <form
        noValidate
        onSubmit={(event) => void onSubmit(event)}
        className="space-y-4 rounded-lg border border-slate-200 bg-white p-4"
      >
        {issues._ ? <Alert>{issues._}</Alert> : null}
        <div>
          <label htmlFor="new-key-name" className="mb-1 block text-sm font-medium">
            Name
          </label>
          <input
            id="new-key-name"
            name="name"
            autoComplete="off"
            placeholder="orchestrator"
            className={inputClass}
            aria-invalid={Boolean(issues.name)}
            aria-describedby={errorId("name")}
          />
          <FieldError id="new-key-name-error" message={issues.name} />
        </div>
        <fieldset aria-describedby={errorId("scopes")}>
          <legend className="mb-1 text-sm font-medium">Scopes</legend>
          <div className="space-y-1">
            {apiKeyScopes.map((scope: ApiKeyScope) => (
              <label key={scope} className="flex items-start gap-2 text-sm">
                <input type="checkbox" name="scopes" value={scope} className="mt-1" />
                <span>
                  <span className="font-mono">{scope}</span>
                  <span className="block text-xs text-slate-600">{apiKeyScopeDescriptions[scope]}</span>
                </span>
              </label>
            ))}
          </div>
          <FieldError id="new-key-scopes-error" message={issues.scopes} />
        </fieldset>
        <fieldset aria-describedby={errorId("targetSlugs")}>
          <legend className="mb-1 text-sm font-medium">Targets</legend>
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="targetScope" checked={allTargets} onChange={() => setAllTargets(true)} />
            All targets
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="targetScope" checked={!allTargets} onChange={() => setAllTargets(false)} />
            Only these targets
          </label>
          {allTargets ? null : targets.isPending ? (
            <ListSkeleton rows={2} label="Loading targets" />
          ) : targets.isError ? (
            <Alert>Could not load targets: {targets.error.message}</Alert>
          ) : targets.data.length === 0 ? (
            <p className="mt-1 text-sm text-slate-600">
              No targets yet: create them first (config as code or the policies page), or allow all targets.
            </p>
          ) : (
            <div className="mt-2 max-h-48 space-y-1 overflow-y-auto rounded-md border border-slate-200 p-2">
              {targets.data.map((target) => (
                <label key={target.id} className="flex items-center gap-2 text-sm">
                  <input type="checkbox" name="targetSlugs" value={target.slug} />
                  {target.name} <span className="font-mono text-xs text-slate-600">{target.slug}</span>
                </label>
              ))}
            </div>
          )}
          <FieldError id="new-key-targetSlugs-error" message={issues.targetSlugs} />
        </fieldset>
        <div>
          <label className="flex items-start gap-2 text-sm">
            <input
              type="checkbox"
              name="signingRequired"
              defaultChecked
              className="mt-1"
              aria-describedby="new-key-signing-hint"
            />
            <span>
              <span className="font-medium">Require signed requests</span>
              <span id="new-key-signing-hint" className="block text-xs text-slate-600">
                Bodies must carry an HMAC signature made with the key&apos;s signing secret. Turn off only for clients
                that cannot sign, such as Alertmanager.
              </span>
            </span>
          </label>
        </div>
        <Button type="submit" disabled={create.isPending} className="w-full">
          {create.isPending ? "Creating…" : "Create API key"}
        </Button>
      </form>
    </section>
  );
}
