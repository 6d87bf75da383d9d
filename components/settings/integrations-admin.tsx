"use client";
// Settings → Integrations: the SNS topics whose subscriptions Rewind confirms, the explicit CloudWatch alarm →
// target table (docs/INTEGRATIONS.md), and the refusals admins should look at (topics not allowed, alarms and
// alerts naming no known target).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState, type FormEvent } from "react";
import type { AppRouter } from "@/server/api/root";
import { ALARM_LEVELS, type AlarmLevel } from "@/server/domain/intake/sns";
import { DataTable } from "../data-table";
import { issuesOf, type Issues } from "../form-errors";
import { formatDateTime } from "../format";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Button, EmptyState, FieldError, inputClass, ListSkeleton } from "../ui";

interface Row {
  alarmName: string;
  target: string;
  level: AlarmLevel;
}

export function IntegrationsAdmin() {
  const trpc = useTRPC();
  const settings = useQuery(trpc.integrations.settings.queryOptions());
  if (settings.isPending) return <ListSkeleton label="Loading integration settings" />;
  if (settings.isError) return <Alert>Could not load the integration settings: {settings.error.message}</Alert>;
  return (
    <div className="space-y-8">
      <SnsSettingsForm saved={settings.data.sns} />
      <Refusals refusals={settings.data.refusals} />
    </div>
  );
}

type Settings = inferRouterOutputs<AppRouter>["integrations"]["settings"];

/** The form starts from what is saved, and keeps what the admin typed until it is saved. */
function SnsSettingsForm({ saved }: { saved: Settings["sns"] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const save = useMutation(trpc.integrations.saveSns.mutationOptions());
  const [topics, setTopics] = useState(saved.allowedTopicArns.join("\n"));
  const [rows, setRows] = useState<Row[]>(saved.alarmTargets);
  const [issues, setIssues] = useState<Issues>({});
  const [error, setError] = useState<string | undefined>();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const allowedTopicArns = topics
      .split(/\s+/)
      .map((arn) => arn.trim())
      .filter((arn) => arn !== "");
    try {
      await save.mutateAsync({ allowedTopicArns, alarmTargets: rows });
      setIssues({});
      setError(undefined);
      toast("Integration settings saved");
      await queryClient.invalidateQueries({ queryKey: trpc.integrations.settings.queryKey() });
    } catch (thrown) {
      setIssues(issuesOf(thrown));
      setError((thrown as Error).message);
    }
  }

  const topicIssue = Object.entries(issues).find(([path]) => path.startsWith("allowedTopicArns"))?.[1];
  const setRow = (index: number, change: Partial<Row>) =>
    setRows((current) => current.map((row, i) => (i === index ? { ...row, ...change } : row)));
  const endpoint =
    typeof window === "undefined" ? "/api/integrations/sns" : `${window.location.origin}/api/integrations/sns`;

  return (
    <form noValidate onSubmit={(event) => void onSubmit(event)} className="space-y-6">
      <section aria-labelledby="sns-topics-heading" className="rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="sns-topics-heading" className="text-lg font-medium">
          CloudWatch alarms through SNS
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Subscribe <code className="font-mono">{endpoint}</code> (HTTPS) to an SNS topic that your alarms notify on
          ALARM and OK. Rewind confirms the subscription of the topics listed here, and only theirs.
        </p>
        <label htmlFor="sns-topics" className="mt-3 block text-sm font-medium">
          Allowed topic ARNs, one per line
        </label>
        <textarea
          id="sns-topics"
          rows={4}
          value={topics}
          onChange={(event) => setTopics(event.target.value)}
          placeholder="arn:aws:sns:us-east-1:123456789012:rewind-alarms"
          className={`${inputClass} font-mono`}
          aria-invalid={Boolean(topicIssue)}
          aria-describedby={topicIssue ? "sns-topics-error" : undefined}
        />
        <FieldError id="sns-topics-error" message={topicIssue} />
      </section>

      <section aria-labelledby="sns-alarms-heading" className="rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="sns-alarms-heading" className="text-lg font-medium">
          Alarm → target
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          An alarm listed here speaks for its target at its level. Other alarms: a name{" "}
          <code className="font-mono">rewind:&lt;target&gt;:…</code>, else a <code>RewindTarget</code> dimension of the
          metric; both at critical.
        </p>
        <div className="mt-3 space-y-2">
          {rows.map((row, index) => {
            const issue = (field: string) => issues[`alarmTargets.${index}.${field}`];
            return (
              <fieldset key={index} className="flex flex-col gap-2 sm:flex-row sm:items-start">
                <legend className="sr-only">Alarm {index + 1}</legend>
                <div className="flex-1">
                  <label htmlFor={`alarm-${index}-name`} className="sr-only">
                    Alarm name
                  </label>
                  <input
                    id={`alarm-${index}-name`}
                    value={row.alarmName}
                    placeholder="Alarm name"
                    onChange={(event) => setRow(index, { alarmName: event.target.value })}
                    className={inputClass}
                    aria-invalid={Boolean(issue("alarmName"))}
                  />
                  <FieldError id={`alarm-${index}-name-error`} message={issue("alarmName")} />
                </div>
                <div className="flex-1">
                  <label htmlFor={`alarm-${index}-target`} className="sr-only">
                    Target slug
                  </label>
                  <input
                    id={`alarm-${index}-target`}
                    value={row.target}
                    placeholder="Target slug"
                    onChange={(event) => setRow(index, { target: event.target.value })}
                    className={inputClass}
                    aria-invalid={Boolean(issue("target"))}
                  />
                  <FieldError id={`alarm-${index}-target-error`} message={issue("target")} />
                </div>
                <div>
                  <label htmlFor={`alarm-${index}-level`} className="sr-only">
                    Level
                  </label>
                  <select
                    id={`alarm-${index}-level`}
                    value={row.level}
                    onChange={(event) => setRow(index, { level: event.target.value as AlarmLevel })}
                    className={inputClass}
                  >
                    {ALARM_LEVELS.map((level) => (
                      <option key={level} value={level}>
                        {level}
                      </option>
                    ))}
                  </select>
                </div>
                <Button tone="secondary" onClick={() => setRows((current) => current.filter((_, i) => i !== index))}>
                  Remove
                </Button>
              </fieldset>
            );
          })}
          <FieldError id="sns-alarms-error" message={issues.alarmTargets} />
          <Button
            tone="secondary"
            onClick={() => setRows((current) => [...current, { alarmName: "", target: "", level: "critical" }])}
          >
            Add an alarm
          </Button>
        </div>
      </section>
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </Button>
        {error && Object.keys(issues).length === 0 ? <Alert>{error}</Alert> : null}
      </div>
    </form>
  );
}

function Refusals({ refusals }: { refusals: Settings["refusals"] }) {
  return (
    <section aria-labelledby="refusals-heading" className="space-y-3">
      <div>
        <h2 id="refusals-heading" className="text-lg font-medium">
          Refused lately
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Signed SNS messages of topics not allowed above, alarms naming no known target, and Alertmanager alerts
          labelled with a target that does not exist (each at most once an hour; all in the audit log).
        </p>
      </div>
      {refusals.length === 0 ? (
        <EmptyState title="Nothing refused">Alert senders have sent nothing Rewind could not use.</EmptyState>
      ) : (
        <DataTable
          caption="Refusals, newest first"
          alignTop
          rows={refusals}
          rowKey={(refusal) => refusal.id}
          columns={[
            { id: "at", header: "When", rowHeader: true, cell: (refusal) => formatDateTime(refusal.at) },
            { id: "what", header: "What", cell: (refusal) => refusal.what },
            {
              id: "name",
              header: "Name",
              cell: (refusal) => <span className="font-mono break-all">{refusal.entityId}</span>,
            },
            { id: "reason", header: "Why", cell: (refusal) => refusal.reason ?? "" },
          ]}
        />
      )}
    </section>
  );
}
