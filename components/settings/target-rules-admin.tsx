"use client";
// Settings → Integrations → Target mapping rules: which target OTLP spans and metric points go to by their resource's
// service.name (and, optionally, operation and model) when they name none. Listed most specific first, the order in
// which they are tried; added, edited in place and deleted (after a confirmation) by admins, each change audited.
// docs/INTEGRATIONS.md ("Target mapping rules").
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState, type FormEvent } from "react";
import type { AppRouter } from "@/server/api/root";
import { targetRuleSchema, type TargetRuleInput } from "@/server/domain/intake/target-rules";
import { ConfirmDialog } from "../confirm-dialog";
import { DataTable } from "../data-table";
import { issuesOf, type Issues } from "../form-errors";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Button, EmptyState, FieldError, inputClass, ListSkeleton } from "../ui";
import { formText } from "./form-text";

type Rule = inferRouterOutputs<AppRouter>["integrations"]["targetRules"][number];
type TargetOption = { slug: string; name: string };

const FIELDS = [
  { name: "serviceName", label: "service.name", placeholder: "chat-api", hint: "Required. * matches any characters." },
  { name: "operationName", label: "Operation", placeholder: "any", hint: "gen_ai.operation.name, e.g. chat" },
  { name: "model", label: "Model", placeholder: "any", hint: "gen_ai.request.model, e.g. gpt-4o or gpt-4o*" },
] as const;

function readRule(form: FormData): TargetRuleInput {
  return {
    serviceName: formText(form, "serviceName"),
    operationName: formText(form, "operationName"),
    model: formText(form, "model"),
    target: formText(form, "target"),
  };
}

/** The submitted form's rule, checked as the server will check it; null (its issues shown) when it does not pass. */
function submittedRule(
  event: FormEvent<HTMLFormElement>,
  showIssues: (issues: Issues) => void,
): TargetRuleInput | null {
  event.preventDefault();
  const parsed = targetRuleSchema.safeParse(readRule(new FormData(event.currentTarget)));
  if (parsed.success) return parsed.data;
  showIssues(byField(parsed.error.issues));
  return null;
}

/** Zod's and the server's issues by field; anything without a field under "_". */
function byField(issues: readonly { path: readonly PropertyKey[]; message: string }[]): Issues {
  const next: Issues = {};
  for (const issue of issues) next[String(issue.path[0] ?? "_")] ??= issue.message;
  return next;
}

function serverIssues(error: unknown): Issues {
  const entries = Object.entries(issuesOf(error)).map(([path, message]) => ({ path: path.split("."), message }));
  return entries.length > 0 ? byField(entries) : { _: (error as Error).message };
}

function RuleFields({
  idPrefix,
  rule,
  targets,
  issues,
}: {
  idPrefix: string;
  rule?: Rule;
  targets: readonly TargetOption[];
  issues: Issues;
}) {
  const describedBy = (name: string) =>
    [`${idPrefix}-${name}-hint`, ...(issues[name] ? [`${idPrefix}-${name}-error`] : [])].join(" ");
  return (
    <div className="grid gap-3 sm:grid-cols-2 xl:grid-cols-4">
      {FIELDS.map((field) => (
        <div key={field.name}>
          <label htmlFor={`${idPrefix}-${field.name}`} className="mb-1 block text-sm font-medium">
            {field.label}
          </label>
          <input
            id={`${idPrefix}-${field.name}`}
            name={field.name}
            defaultValue={rule?.[field.name]}
            placeholder={field.placeholder}
            autoComplete="off"
            spellCheck={false}
            className={`${inputClass} font-mono`}
            aria-invalid={Boolean(issues[field.name])}
            aria-describedby={describedBy(field.name)}
          />
          <p id={`${idPrefix}-${field.name}-hint`} className="mt-1 text-xs text-slate-600">
            {field.hint}
          </p>
          <FieldError id={`${idPrefix}-${field.name}-error`} message={issues[field.name]} />
        </div>
      ))}
      <div>
        <label htmlFor={`${idPrefix}-target`} className="mb-1 block text-sm font-medium">
          Target
        </label>
        <select
          id={`${idPrefix}-target`}
          name="target"
          defaultValue={rule?.target ?? ""}
          className={inputClass}
          aria-invalid={Boolean(issues.target)}
          aria-describedby={issues.target ? `${idPrefix}-target-error` : undefined}
        >
          <option value="" disabled>
            Choose a target
          </option>
          {targets.map((target) => (
            <option key={target.slug} value={target.slug}>
              {target.name} ({target.slug})
            </option>
          ))}
        </select>
        <FieldError id={`${idPrefix}-target-error`} message={issues.target} />
      </div>
    </div>
  );
}

export function TargetRulesAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rules = useQuery(trpc.integrations.targetRules.queryOptions());
  const targets = useQuery(trpc.targets.list.queryOptions());
  const [editing, setEditing] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.integrations.targetRules.queryKey() });
  const targetOptions = targets.data?.map(({ slug, name }) => ({ slug, name })) ?? [];

  // Opening a rule's form moves focus into it; closing it returns focus to that rule's Edit button.
  function edit(id: string | null) {
    const previous = editing;
    setEditing(id);
    requestAnimationFrame(() =>
      document.getElementById(id ? `rule-${id}-serviceName` : `rule-${previous ?? ""}-edit`)?.focus(),
    );
  }

  return (
    <section aria-labelledby="target-rules-heading" className="space-y-4">
      <div>
        <h2 id="target-rules-heading" className="text-lg font-medium">
          Target mapping rules (OTLP)
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          OTLP spans and metric points that carry no <code>rewind.target</code> attribute go to the target of the most
          specific rule matching their resource&apos;s <code>service.name</code>, operation and model; without one, to{" "}
          <code>X-Rewind-Target</code>, else to the key&apos;s one target. Empty fields match anything; <code>*</code>{" "}
          matches any characters. More fields beat fewer, exact text beats <code>*</code>. Listed in the order they are
          tried.
        </p>
      </div>
      {rules.isPending || targets.isPending ? (
        <ListSkeleton rows={2} label="Loading target mapping rules" />
      ) : rules.isError ? (
        <Alert>Could not load the target mapping rules: {rules.error.message}</Alert>
      ) : rules.data.length === 0 ? (
        <EmptyState title="No target mapping rules">
          Spans and points go to their <code>rewind.target</code> attribute, the request&apos;s{" "}
          <code>X-Rewind-Target</code>, or the key&apos;s one target. Add a rule to route a service without either.
        </EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <DataTable
            caption="Target mapping rules, most specific first"
            rows={rules.data}
            rowKey={(rule) => rule.id}
            columns={[
              {
                id: "service",
                header: "service.name",
                rowHeader: true,
                cell: (rule) => <Code text={rule.serviceName} />,
              },
              { id: "operation", header: "Operation", cell: (rule) => <Code text={rule.operationName} /> },
              { id: "model", header: "Model", cell: (rule) => <Code text={rule.model} /> },
              {
                id: "target",
                header: "Target",
                cell: (rule) => (
                  <>
                    {rule.targetName} <span className="font-mono text-xs text-slate-600">({rule.target})</span>
                  </>
                ),
              },
              {
                id: "actions",
                header: "Actions",
                hideHeader: true,
                className: "text-right whitespace-nowrap",
                cell: (rule) => (
                  <RuleActions
                    rule={rule}
                    editing={editing === rule.id}
                    onEdit={() => edit(rule.id)}
                    onDeleted={refresh}
                  />
                ),
              },
            ]}
            details={(rule) =>
              editing === rule.id
                ? {
                    id: `rule-${rule.id}-form`,
                    content: (
                      <EditRuleForm
                        rule={rule}
                        targets={targetOptions}
                        onDone={async (saved) => {
                          edit(null);
                          if (saved) await refresh();
                        }}
                      />
                    ),
                  }
                : null
            }
          />
        </div>
      )}
      {targets.isSuccess && targetOptions.length === 0 ? (
        <Alert>Create a target first: a rule sends traffic to one.</Alert>
      ) : (
        <CreateRuleForm targets={targetOptions} onCreated={refresh} />
      )}
    </section>
  );
}

function Code({ text }: { text: string }) {
  return text === "" ? (
    <span className="text-slate-500">any</span>
  ) : (
    <span className="font-mono break-all">{text}</span>
  );
}

function describe(rule: Rule): string {
  return [rule.serviceName, rule.operationName, rule.model].filter(Boolean).join(" · ");
}

function RuleActions({
  rule,
  editing,
  onEdit,
  onDeleted,
}: {
  rule: Rule;
  editing: boolean;
  onEdit: () => void;
  onDeleted: () => Promise<unknown>;
}) {
  const trpc = useTRPC();
  const toast = useToast();
  const remove = useMutation(trpc.integrations.deleteTargetRule.mutationOptions());
  return (
    <div className="flex justify-end gap-2">
      <Button
        id={`rule-${rule.id}-edit`}
        tone="secondary"
        onClick={onEdit}
        disabled={editing}
        aria-expanded={editing}
        aria-controls={editing ? `rule-${rule.id}-form` : undefined}
        aria-label={`Edit the rule for ${describe(rule)}`}
      >
        Edit
      </Button>
      <ConfirmDialog
        trigger={
          <Button tone="danger" aria-label={`Delete the rule for ${describe(rule)}`}>
            Delete
          </Button>
        }
        title="Delete this target mapping rule?"
        description={
          <p>
            Calls from <span className="font-mono">{describe(rule)}</span> no longer go to {rule.targetName} by this
            rule: another rule, their request&apos;s header or their key decides, or they are refused.
          </p>
        }
        confirmLabel="Delete rule"
        tone="danger"
        onConfirm={async () => {
          try {
            await remove.mutateAsync({ id: rule.id });
            toast(`Deleted the rule for ${describe(rule)}`);
          } catch (error) {
            toast((error as Error).message, "error");
            throw error;
          } finally {
            await onDeleted();
          }
        }}
      />
    </div>
  );
}

function EditRuleForm({
  rule,
  targets,
  onDone,
}: {
  rule: Rule;
  targets: readonly TargetOption[];
  onDone: (saved: boolean) => Promise<void>;
}) {
  const trpc = useTRPC();
  const toast = useToast();
  const update = useMutation(trpc.integrations.updateTargetRule.mutationOptions());
  const [issues, setIssues] = useState<Issues>({});

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    const input = submittedRule(event, setIssues);
    if (!input) return;
    try {
      await update.mutateAsync({ id: rule.id, ...input });
      toast(`Saved the rule for ${input.serviceName}`);
      await onDone(true);
    } catch (error) {
      setIssues(serverIssues(error));
    }
  }

  return (
    <form
      noValidate
      aria-label={`Edit the rule for ${describe(rule)}`}
      onSubmit={(event) => void onSubmit(event)}
      onKeyDown={(event) => {
        if (event.key === "Escape") void onDone(false);
      }}
      className="space-y-3"
    >
      {issues._ ? <Alert>{issues._}</Alert> : null}
      <RuleFields idPrefix={`rule-${rule.id}`} rule={rule} targets={targets} issues={issues} />
      <div className="flex justify-end gap-2">
        <Button tone="secondary" onClick={() => void onDone(false)}>
          Cancel
        </Button>
        <Button type="submit" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save rule"}
        </Button>
      </div>
    </form>
  );
}

function CreateRuleForm({
  targets,
  onCreated,
}: {
  targets: readonly TargetOption[];
  onCreated: () => Promise<unknown>;
}) {
  const trpc = useTRPC();
  const toast = useToast();
  const create = useMutation(trpc.integrations.createTargetRule.mutationOptions());
  const [issues, setIssues] = useState<Issues>({});
  // Remounted after each creation, so the fields start empty again.
  const [formKey, setFormKey] = useState(0);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    const input = submittedRule(event, setIssues);
    if (!input) return;
    try {
      await create.mutateAsync(input);
      setIssues({});
      setFormKey((key) => key + 1);
      toast(`Added a rule for ${input.serviceName}`);
      await onCreated();
    } catch (error) {
      setIssues(serverIssues(error));
    }
  }

  return (
    <form
      key={formKey}
      noValidate
      aria-labelledby="new-target-rule-heading"
      onSubmit={(event) => void onSubmit(event)}
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
    >
      <h3 id="new-target-rule-heading" className="font-medium">
        Add a rule
      </h3>
      {issues._ ? <Alert>{issues._}</Alert> : null}
      <RuleFields idPrefix="new-rule" targets={targets} issues={issues} />
      <Button type="submit" disabled={create.isPending}>
        {create.isPending ? "Adding…" : "Add rule"}
      </Button>
    </form>
  );
}
