"use client";
// The /policies page: a target's SLO policy as a form validated with the shared schema on every keystroke,
// the changes reviewed field by field before saving a new version, the version history, and a backtest of
// the draft against the current policy.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { FieldIssues } from "@/server/domain/errors";
import type { Policy } from "@/server/domain/policy";
import { ConfirmDialog } from "../confirm-dialog";
import { issuesOf } from "../form-errors";
import { formatDateTime, formatAgo } from "../format";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Button, Card, FieldError, inputClass, Skeleton, QueryError } from "../ui";
import { PolicyBacktest } from "./policy-backtest";
import { PolicyDiffTable } from "./policy-diff";
import { PolicyHistory } from "./policy-history";
import {
  diffPolicies,
  formFromPolicy,
  inputHint,
  issueFor,
  policyFields,
  policyGroups,
  validateForm,
  type PolicyField,
  type PolicyForm,
  type PolicyPath,
} from "./policy-fields";
import { NoTargets, TargetScope, type SelectedTarget } from "./target-select";

export function PoliciesView({ slug, canEdit }: { slug: string | undefined; canEdit: boolean }) {
  return (
    <TargetScope slug={slug} empty={<NoTargets />}>
      {(target) => <PolicyWorkspace key={target.id} target={target} canEdit={canEdit} />}
    </TargetScope>
  );
}

interface PolicyVersion {
  version: number | null;
  isDefault: boolean;
  policy: Policy;
  createdAt: Date | null;
  createdBy: { id: string; name: string; email: string | null } | null;
}

function PolicyWorkspace({ target, canEdit }: { target: SelectedTarget; canEdit: boolean }) {
  const trpc = useTRPC();
  const latest = useQuery(trpc.policies.get.queryOptions({ targetId: target.id }, { refetchInterval: 15_000 }));
  if (latest.isPending) return <Skeleton className="h-96 w-full" label="Loading the policy" />;
  if (latest.isError) return <QueryError error={latest.error} what="the policy" />;
  return <PolicyEditor target={target} latest={latest.data} canEdit={canEdit} />;
}

const fieldId = (path: PolicyPath) => `policy-${path.replace(".", "-")}`;

function versionLine(version: PolicyVersion): string {
  if (version.isDefault) return "Default policy: no version saved yet. Saving creates version 1.";
  const who = version.createdBy
    ? `${version.createdBy.name}${version.createdBy.email ? ` (${version.createdBy.email})` : ""}`
    : "Rewind";
  return `Version ${version.version}, saved by ${who} ${formatAgo(version.createdAt)} (${formatDateTime(version.createdAt)}).`;
}

function PolicyEditor({
  target,
  latest,
  canEdit,
}: {
  target: SelectedTarget;
  latest: PolicyVersion;
  canEdit: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  /** The version the form started from; the latest may be newer when someone saved meanwhile. */
  const [base, setBase] = useState(latest);
  const [form, setForm] = useState<PolicyForm>(() => formFromPolicy(latest.policy));
  const [serverIssues, setServerIssues] = useState<FieldIssues>({});
  const [loadedVersion, setLoadedVersion] = useState<number | null>(null);
  const update = useMutation(trpc.policies.update.mutationOptions());

  const validation = useMemo(() => validateForm(form), [form]);
  const baseForm = useMemo(() => formFromPolicy(base.policy), [base]);
  const dirty = policyFields.some((field) => form[field.path] !== baseForm[field.path]);
  // A version saved elsewhere replaces an untouched form at once; an edited one keeps the edits (see below).
  if (!dirty && latest.version !== base.version) {
    setBase(latest);
    setForm(formFromPolicy(latest.policy));
  }
  const issues: FieldIssues = { ...validation.issues, ...serverIssues };
  const invalidFields = policyFields.filter((field) => issueFor(issues, field.path));
  const changes = validation.ok ? diffPolicies(latest.policy, validation.policy) : [];

  function change(path: PolicyPath, value: string) {
    setForm((previous) => ({ ...previous, [path]: value }));
    setServerIssues({});
  }

  function load(policy: Policy, version: number | null) {
    setForm(formFromPolicy(policy));
    setServerIssues({});
    setLoadedVersion(version);
  }

  function discard() {
    setBase(latest);
    load(latest.policy, null);
  }

  async function save() {
    if (!validation.ok) return;
    try {
      const saved = await update.mutateAsync({ targetId: target.id, policy: validation.policy });
      toast(`Saved version ${saved.version} of the ${target.slug} policy`);
      queryClient.setQueryData(trpc.policies.get.queryKey({ targetId: target.id }), saved);
      setBase(saved);
      load(saved.policy, null);
      await queryClient.invalidateQueries({ queryKey: trpc.policies.history.queryKey({ targetId: target.id }) });
    } catch (error) {
      const fieldProblems = issuesOf(error);
      if (Object.keys(fieldProblems).length > 0) {
        // Close the dialog: the messages are shown next to their fields.
        setServerIssues(fieldProblems);
        toast("Not saved: fix the fields marked in the form", "error");
        return;
      }
      toast(`Not saved: ${(error as Error).message}`, "error");
      throw error;
    }
  }

  const burn = validation.ok && validation.policy.burnRate.enabled ? validation.policy.burnRate : null;

  return (
    <>
      <div className="grid gap-8 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <section aria-labelledby="editor-heading">
          <h2 id="editor-heading" className="text-lg font-medium">
            Policy of {target.name}
          </h2>
          <p className="mt-1 text-sm text-slate-700">{versionLine(latest)}</p>
          {!canEdit ? (
            <p className="mt-3 rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-800">
              Read-only: editing policies needs the operator role. You can still read the history and backtest the
              current policy.
            </p>
          ) : null}
          {dirty && latest.version !== base.version ? (
            <div
              className="mt-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950"
              role="status"
            >
              <p>
                Version {latest.version} was saved
                {latest.createdBy ? ` by ${latest.createdBy.name}` : ""} while you were editing. The review compares
                your draft with it, and saving replaces it.
              </p>
              <Button tone="secondary" className="mt-2 px-2 py-1" onClick={discard}>
                Discard my changes and load version {latest.version}
              </Button>
            </div>
          ) : null}
          {loadedVersion !== null && dirty ? (
            <p className="mt-3 text-sm text-slate-700" role="status">
              Loaded version {loadedVersion} into the editor: review and save to make it the current policy again.
            </p>
          ) : null}

          <form
            noValidate
            aria-labelledby="editor-heading"
            className="mt-4 space-y-4"
            onSubmit={(event) => event.preventDefault()}
          >
            {serverIssues._ ? <Alert>{serverIssues._}</Alert> : null}
            {policyGroups.map((group) => (
              <Card key={group.id}>
                <fieldset>
                  <legend className="text-base font-medium">{group.title}</legend>
                  <p className="text-sm text-slate-600">{group.description}</p>
                  <div className="mt-3 grid gap-4 md:grid-cols-2">
                    {group.fields.map((field) => (
                      <PolicyInput
                        key={field.path}
                        field={field}
                        value={form[field.path]}
                        issue={issueFor(issues, field.path)}
                        canEdit={canEdit}
                        onChange={(value) => change(field.path, value)}
                      />
                    ))}
                  </div>
                  {group.id === "burnRate" && burn ? (
                    <p className="mt-3 text-sm text-slate-700">
                      Fires when both windows exceed{" "}
                      {(burn.factor * burn.errorBudget * 100).toLocaleString("en-US", { maximumFractionDigits: 3 })}%
                      errors.
                    </p>
                  ) : null}
                </fieldset>
              </Card>
            ))}

            {canEdit ? (
              <div className="sticky bottom-0 z-10 flex flex-wrap items-center gap-3 rounded-lg border border-slate-200 bg-white/95 p-3 shadow-sm">
                <div className="min-w-0 flex-1 text-sm" aria-live="polite">
                  {invalidFields.length > 0 ? (
                    <p className="text-red-800">
                      {invalidFields.length === 1 ? "1 field needs" : `${invalidFields.length} fields need`} fixing
                      before saving:{" "}
                      {invalidFields.map((field, i) => (
                        <span key={field.path}>
                          {i > 0 ? ", " : ""}
                          <a href={`#${fieldId(field.path)}`} className="underline">
                            {field.label}
                          </a>
                        </span>
                      ))}
                      .
                    </p>
                  ) : changes.length > 0 ? (
                    <p className="text-slate-800">
                      {changes.length === 1 ? "1 change" : `${changes.length} changes`} not saved yet.
                    </p>
                  ) : (
                    <p className="text-slate-600">No changes.</p>
                  )}
                </div>
                <Button tone="secondary" onClick={discard} disabled={!dirty}>
                  Discard changes
                </Button>
                <ConfirmDialog
                  trigger={
                    <Button disabled={!validation.ok || changes.length === 0 || update.isPending}>
                      Review and save…
                    </Button>
                  }
                  title={`Save version ${(latest.version ?? 0) + 1} of the ${target.slug} policy?`}
                  description={
                    <div className="space-y-3">
                      <p>
                        {latest.isDefault
                          ? "Compared with the default policy the target runs on now:"
                          : `Compared with version ${latest.version}:`}
                      </p>
                      <PolicyDiffTable
                        changes={changes}
                        caption="Changes that will be saved"
                        beforeLabel="Now"
                        afterLabel="After saving"
                      />
                      <p>
                        The monitoring cycle uses the new version from its next run. Every version stays in the history.
                      </p>
                    </div>
                  }
                  confirmLabel="Save new version"
                  onConfirm={save}
                />
              </div>
            ) : null}
          </form>
        </section>
        <PolicyHistory
          targetId={target.id}
          current={latest}
          canEdit={canEdit}
          onLoad={(version, policy) => load(policy, version)}
        />
      </div>
      <PolicyBacktest
        targetId={target.id}
        current={latest.policy}
        currentLabel={latest.isDefault ? "Current (default)" : `Current (v${latest.version})`}
        draft={canEdit && validation.ok && changes.length > 0 ? validation.policy : null}
        draftInvalid={canEdit && !validation.ok}
      />
    </>
  );
}

function PolicyInput({
  field,
  value,
  issue,
  canEdit,
  onChange,
}: {
  field: PolicyField & { path: PolicyPath };
  value: string;
  issue: string | undefined;
  canEdit: boolean;
  onChange: (value: string) => void;
}) {
  const id = fieldId(field.path);
  const ids = { error: `${id}-error`, help: `${id}-help` };
  const describedBy = issue ? `${ids.error} ${ids.help}` : ids.help;
  const hint = inputHint(field, value);
  const common = {
    id,
    name: field.path,
    "aria-invalid": issue ? true : undefined,
    "aria-describedby": describedBy,
  } as const;

  if (field.kind === "boolean") {
    return (
      <div className="md:col-span-2">
        <div className="flex items-center gap-2">
          <input
            {...common}
            type="checkbox"
            checked={value === "true"}
            disabled={!canEdit}
            onChange={(event) => onChange(String(event.target.checked))}
            className="h-4 w-4 rounded border-slate-400"
          />
          <label htmlFor={id} className="text-sm font-medium">
            {field.label} enabled
          </label>
        </div>
        <p id={ids.help} className="mt-1 text-sm text-slate-600">
          {field.help}
        </p>
        <FieldError id={ids.error} message={issue} />
      </div>
    );
  }

  const options =
    field.kind === "mode"
      ? [
          ["APPROVAL", "Approval"],
          ["AUTOMATIC", "Automatic"],
        ]
      : field.kind === "approvals"
        ? [
            ["1", "1"],
            ["2", "2"],
          ]
        : null;

  return (
    <div className={field.kind === "mode" ? "md:col-span-2" : undefined}>
      <label htmlFor={id} className="block text-sm font-medium">
        {field.label}
      </label>
      {options ? (
        <select
          {...common}
          value={value}
          disabled={!canEdit}
          onChange={(event) => onChange(event.target.value)}
          className={`mt-1 ${inputClass} disabled:bg-slate-50`}
        >
          {options.map(([optionValue, label]) => (
            <option key={optionValue} value={optionValue}>
              {label}
            </option>
          ))}
        </select>
      ) : (
        <div className="mt-1 flex items-center gap-2">
          <input
            {...common}
            type="text"
            inputMode={field.kind === "count" || field.kind === "seconds" ? "numeric" : "decimal"}
            autoComplete="off"
            spellCheck={false}
            placeholder={field.optional ? "Not judged" : undefined}
            value={value}
            readOnly={!canEdit}
            onChange={(event) => onChange(event.target.value)}
            className={`${inputClass} read-only:bg-slate-50`}
          />
          <span className="shrink-0 text-sm text-slate-600" aria-hidden="true">
            {unitOf(field)}
          </span>
        </div>
      )}
      <p id={ids.help} className="mt-1 text-sm text-slate-600">
        {field.help}
        {hint ? <span className="ml-1 font-medium text-slate-800">({hint.replace(/^= /, "")})</span> : null}
      </p>
      <FieldError id={ids.error} message={issue} />
    </div>
  );
}

function unitOf(field: PolicyField): string {
  switch (field.kind) {
    case "ms":
      return "ms";
    case "usd":
      return "USD";
    case "seconds":
      return "s";
    case "multiplier":
      return "×";
    case "steps":
      return "%";
    default:
      return "";
  }
}
