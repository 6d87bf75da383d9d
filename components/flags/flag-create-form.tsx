"use client";
// A new flag, global or for one target, checked with the same schema the service applies.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { createFlagSchema } from "@/server/domain/flags";
import { issuesOf, type Issues } from "../form-errors";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Button, FieldError, inputClass } from "../ui";

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

export function FlagCreateForm({
  targets,
  emergencyStopActive,
  onCreated,
}: {
  targets: readonly { id: string; name: string; slug: string }[];
  emergencyStopActive: boolean;
  onCreated?: (key: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [issues, setIssues] = useState<Issues>({});
  const create = useMutation(trpc.flags.create.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const targetId = text(form, "targetId");
    const parsed = createFlagSchema.safeParse({
      key: text(form, "key"),
      description: text(form, "description"),
      killSwitch: form.get("killSwitch") === "on",
      enabled: form.get("enabled") === "on",
      ...(targetId && { targetId }),
    });
    if (!parsed.success) {
      const next: Issues = {};
      for (const issue of parsed.error.issues) next[issue.path.join(".") || "_"] ??= issue.message;
      setIssues(next);
      return;
    }
    setIssues({});
    try {
      const flag = await create.mutateAsync(parsed.data);
      toast(`Created ${flag.key}`);
      formElement.reset();
      onCreated?.(flag.key);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: trpc.flags.list.queryKey() }),
        queryClient.invalidateQueries({ queryKey: trpc.audit.list.queryKey() }),
      ]);
    } catch (error) {
      const fieldIssues = issuesOf(error);
      setIssues(Object.keys(fieldIssues).length ? fieldIssues : { _: (error as Error).message });
    }
  }

  const describedBy = (name: string, hint?: string) =>
    [hint, issues[name] ? `new-flag-${name}-error` : undefined].filter(Boolean).join(" ") || undefined;

  return (
    <section aria-labelledby="new-flag-heading">
      <h2 id="new-flag-heading" className="mb-3 text-lg font-medium">
        New flag
      </h2>
      <form
        noValidate
        onSubmit={(event) => void onSubmit(event)}
        className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
      >
        {issues._ ? <Alert>{issues._}</Alert> : null}
        <div>
          <label htmlFor="new-flag-key" className="mb-1 block text-sm font-medium">
            Key
          </label>
          <input
            id="new-flag-key"
            name="key"
            autoComplete="off"
            spellCheck={false}
            placeholder="chat.streaming"
            className={`${inputClass} font-mono`}
            aria-invalid={Boolean(issues.key)}
            aria-describedby={describedBy("key", "new-flag-key-hint")}
          />
          <p id="new-flag-key-hint" className="mt-1 text-xs text-slate-600">
            What the orchestrator reads; it never changes. Lowercase letters, digits, dots, dashes, underscores.
          </p>
          <FieldError id="new-flag-key-error" message={issues.key} />
        </div>
        <div>
          <label htmlFor="new-flag-description" className="mb-1 block text-sm font-medium">
            Description <span className="font-normal text-slate-600">(optional)</span>
          </label>
          <textarea
            id="new-flag-description"
            name="description"
            rows={2}
            className={inputClass}
            aria-invalid={Boolean(issues.description)}
            aria-describedby={describedBy("description")}
          />
          <FieldError id="new-flag-description-error" message={issues.description} />
        </div>
        <div>
          <label htmlFor="new-flag-target" className="mb-1 block text-sm font-medium">
            Applies to
          </label>
          <select
            id="new-flag-target"
            name="targetId"
            defaultValue=""
            className={inputClass}
            aria-invalid={Boolean(issues.targetId)}
            aria-describedby={describedBy("targetId")}
          >
            <option value="">Every target (global)</option>
            {targets.map((target) => (
              <option key={target.id} value={target.id}>
                {target.name} ({target.slug})
              </option>
            ))}
          </select>
          <FieldError id="new-flag-targetId-error" message={issues.targetId} />
        </div>
        <fieldset className="space-y-2">
          <legend className="sr-only">Options</legend>
          <div className="flex items-start gap-2">
            <input
              id="new-flag-kill-switch"
              name="killSwitch"
              type="checkbox"
              className="mt-0.5 h-4 w-4 rounded border-slate-400"
              aria-describedby="new-flag-kill-switch-hint"
            />
            <div>
              <label htmlFor="new-flag-kill-switch" className="text-sm font-medium">
                Kill switch
              </label>
              <p id="new-flag-kill-switch-hint" className="text-xs text-slate-600">
                The emergency stop turns it off
                {emergencyStopActive ? "; while the stop is active, a kill switch cannot start turned on" : ""}.
              </p>
            </div>
          </div>
          <div className="flex items-start gap-2">
            <input
              id="new-flag-enabled"
              name="enabled"
              type="checkbox"
              className="mt-0.5 h-4 w-4 rounded border-slate-400"
              aria-invalid={Boolean(issues.enabled)}
              aria-describedby={describedBy("enabled")}
            />
            <label htmlFor="new-flag-enabled" className="text-sm font-medium">
              Turn it on at once
            </label>
          </div>
          <FieldError id="new-flag-enabled-error" message={issues.enabled} />
        </fieldset>
        <Button type="submit" disabled={create.isPending} className="w-full">
          {create.isPending ? "Creating…" : "Create flag"}
        </Button>
      </form>
    </section>
  );
}
