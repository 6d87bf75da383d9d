"use client";
// Edits what may change on a flag: its description and its kill-switch mark (the key and target never change).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { updateFlagSchema } from "@/server/domain/flags";
import { issuesOf, type Issues } from "../form-errors";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Button, FieldError, inputClass } from "../ui";

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

export function FlagEditForm({
  flag,
  emergencyStopActive,
}: {
  flag: { id: string; key: string; description: string; killSwitch: boolean; enabled: boolean };
  emergencyStopActive: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const ids = { description: useId(), killSwitch: useId(), hint: useId() };
  const [issues, setIssues] = useState<Issues>({});
  const update = useMutation(trpc.flags.update.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const parsed = updateFlagSchema.safeParse({
      id: flag.id,
      description: text(form, "description"),
      killSwitch: form.get("killSwitch") === "on",
    });
    if (!parsed.success) {
      const next: Issues = {};
      for (const issue of parsed.error.issues) next[issue.path.join(".") || "_"] ??= issue.message;
      setIssues(next);
      return;
    }
    setIssues({});
    if (parsed.data.description === flag.description && parsed.data.killSwitch === flag.killSwitch) {
      toast("Nothing changed");
      return;
    }
    try {
      await update.mutateAsync(parsed.data);
      toast(`Saved ${flag.key}`);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: trpc.flags.list.queryKey() }),
        queryClient.invalidateQueries({ queryKey: trpc.audit.list.queryKey() }),
      ]);
    } catch (error) {
      const fieldIssues = issuesOf(error);
      setIssues(Object.keys(fieldIssues).length ? fieldIssues : { _: (error as Error).message });
    }
  }

  return (
    <form noValidate onSubmit={(event) => void onSubmit(event)} className="space-y-3" aria-label={`Edit ${flag.key}`}>
      <h3 className="text-sm font-semibold">Edit</h3>
      {issues._ ? <Alert>{issues._}</Alert> : null}
      <div>
        <label htmlFor={ids.description} className="mb-1 block text-sm font-medium">
          Description
        </label>
        <textarea
          id={ids.description}
          name="description"
          rows={3}
          defaultValue={flag.description}
          className={inputClass}
          aria-invalid={Boolean(issues.description)}
          aria-describedby={issues.description ? `${ids.description}-error` : undefined}
        />
        <FieldError id={`${ids.description}-error`} message={issues.description} />
      </div>
      <div>
        <div className="flex items-start gap-2">
          <input
            id={ids.killSwitch}
            name="killSwitch"
            type="checkbox"
            defaultChecked={flag.killSwitch}
            className="mt-0.5 h-4 w-4 rounded border-slate-400"
            aria-describedby={`${ids.hint}${issues.killSwitch ? ` ${ids.killSwitch}-error` : ""}`}
            aria-invalid={Boolean(issues.killSwitch)}
          />
          <label htmlFor={ids.killSwitch} className="text-sm font-medium">
            Kill switch
          </label>
        </div>
        <p id={ids.hint} className="mt-1 text-xs text-slate-600">
          The emergency stop turns every kill switch off, and only a person turns one back on. Mark a flag as one when
          off is its safe state.
          {emergencyStopActive && flag.enabled
            ? " The emergency stop is active: an enabled flag cannot be marked until it is lifted."
            : ""}
        </p>
        <FieldError id={`${ids.killSwitch}-error`} message={issues.killSwitch} />
      </div>
      <Button type="submit" disabled={update.isPending}>
        {update.isPending ? "Saving…" : "Save changes"}
      </Button>
    </form>
  );
}
