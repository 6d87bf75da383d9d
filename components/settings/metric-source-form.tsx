"use client";
// One target's pulled metric source: the kind, where it is, its secret (write-only), one query per reading of
// the SLO catalogue, and "Test pull", which pulls the form's settings once and shows the readings or the error.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import {
  metricSourceKinds,
  metricSourceLabels,
  pulledKeyLabel,
  pulledKeyUnit,
  pulledKeys,
  secretField,
  type MetricSourceKind,
  type PulledKey,
} from "@/server/domain/pulled-sources/config";
import type { AppRouter } from "@/server/api/root";
import { formatUnit, slos } from "@/server/domain/slo";
import { ConfirmDialog } from "../confirm-dialog";
import { DataTable } from "../data-table";
import { formatDateTime } from "../format";
import { issuesOf, type Issues } from "../form-errors";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Button, FieldError, inputClass } from "../ui";
import { CloudWatchMetricsFields } from "./cloudwatch-metrics-fields";
import { emptyDraft, inputOf, issueUnder, type Draft } from "./metric-source-draft";

const placeholders: Record<MetricSourceKind, Partial<Record<PulledKey, string>>> = {
  PROMETHEUS: {
    requestCount: "sum(increase(litellm_proxy_total_requests_metric_total[$window]))",
    errorRate:
      "(sum(increase(litellm_proxy_failed_requests_metric_total[$window])) or vector(0)) / sum(increase(litellm_proxy_total_requests_metric_total[$window]))",
    p95Ms: "1000 * histogram_quantile(0.95, sum by (le) (rate(litellm_request_total_latency_metric_bucket[$window])))",
  },
  CLOUDWATCH: { requestCount: "invocations", errorRate: "FILL(errors, 0) / invocations", p95Ms: "latency" },
};

export function MetricSourceForm({
  targetId,
  initial,
  secretSet,
}: {
  targetId: string;
  initial: Draft | null;
  secretSet: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const save = useMutation(trpc.metricSources.save.mutationOptions());
  const test = useMutation(trpc.metricSources.test.mutationOptions());
  const remove = useMutation(trpc.metricSources.remove.mutationOptions());
  const [draft, setDraft] = useState<Draft>(initial ?? emptyDraft());
  const [issues, setIssues] = useState<Issues>({});
  const [error, setError] = useState<string | undefined>();
  const ids = { kind: useId(), enabled: useId(), url: useId(), secret: useId(), timeout: useId() };
  const set = (change: Partial<Draft>) => setDraft((current) => ({ ...current, ...change }));
  const setQuery = (key: PulledKey, text: string) =>
    setDraft((current) => ({
      ...current,
      queries: { ...current.queries, [current.kind]: { ...current.queries[current.kind], [key]: text } },
    }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.metricSources.list.queryKey() });

  function failed(thrown: unknown) {
    const found = issuesOf(thrown);
    setIssues(found);
    setError(Object.keys(found).length > 0 ? "Check the fields marked below." : (thrown as Error).message);
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    try {
      const result = await save.mutateAsync({ targetId, source: inputOf(draft) });
      setIssues({});
      setError(undefined);
      set({ secret: "", removeSecret: false });
      toast(result.changed ? "Metric source saved" : "Nothing changed");
      await refresh();
    } catch (thrown) {
      failed(thrown);
    }
  }

  async function onTest() {
    test.reset();
    try {
      await test.mutateAsync({ targetId, source: inputOf(draft) });
      setIssues({});
      setError(undefined);
    } catch (thrown) {
      failed(thrown);
    }
  }

  const field = (path: string) => issueUnder(issues, path);
  const describedBy = (id: string, path: string) => (field(path) ? `${id}-error` : undefined);
  const secretName = draft.kind === "PROMETHEUS" ? "Bearer token" : "Secret access key";
  const secretPath = secretField[draft.kind];

  return (
    <form noValidate aria-label="Pulled metric source" onSubmit={(event) => void onSubmit(event)} className="space-y-4">
      <div className="flex flex-wrap items-end gap-4">
        <div>
          <label htmlFor={ids.kind} className="block text-sm font-medium">
            Source
          </label>
          <select
            id={ids.kind}
            value={draft.kind}
            onChange={(event) => {
              // The other kind's fields and messages: nothing of them applies any more.
              set({ kind: event.target.value as MetricSourceKind, secret: "", removeSecret: false });
              setIssues({});
              setError(undefined);
              test.reset();
            }}
            className={`mt-1 ${inputClass}`}
          >
            {metricSourceKinds.map((kind) => (
              <option key={kind} value={kind}>
                {metricSourceLabels[kind]}
              </option>
            ))}
          </select>
        </div>
        <label htmlFor={ids.enabled} className="flex items-center gap-2 text-sm">
          <input
            id={ids.enabled}
            type="checkbox"
            checked={draft.enabled}
            onChange={(event) => set({ enabled: event.target.checked })}
          />
          Judge this target on the pulled readings (off: its stored buckets, as without a source)
        </label>
      </div>

      {draft.kind === "PROMETHEUS" ? (
        <TextField id={ids.url} label="Prometheus base URL" error={field("config.url")}>
          <input
            id={ids.url}
            type="url"
            value={draft.url}
            onChange={(event) => set({ url: event.target.value })}
            placeholder="http://prometheus.monitoring:9090"
            className={`mt-1 ${inputClass}`}
            aria-invalid={Boolean(field("config.url"))}
            aria-describedby={describedBy(ids.url, "config.url")}
          />
        </TextField>
      ) : (
        <CloudWatchSettings draft={draft} set={set} field={field} />
      )}

      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          id={ids.secret}
          label={secretSet ? `Replace the ${secretName.toLowerCase()}` : `${secretName} (optional)`}
          error={field(secretPath)}
          help={
            draft.kind === "PROMETHEUS"
              ? "Sent as Authorization: Bearer. Stored encrypted, never shown again."
              : "With the access key id; leave both empty for the default credential chain (role, environment)."
          }
        >
          <input
            id={ids.secret}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={draft.secret}
            disabled={draft.removeSecret}
            onChange={(event) => set({ secret: event.target.value })}
            placeholder={secretSet ? "Saved: leave empty to keep it" : ""}
            className={`mt-1 font-mono ${inputClass}`}
            aria-invalid={Boolean(field(secretPath))}
            aria-describedby={[`${ids.secret}-help`, describedBy(ids.secret, secretPath)].filter(Boolean).join(" ")}
          />
          {secretSet ? (
            <label className="mt-1 flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={draft.removeSecret}
                onChange={(event) => set({ removeSecret: event.target.checked, secret: "" })}
              />
              Remove the saved {secretName.toLowerCase()}
            </label>
          ) : null}
        </TextField>
        <TextField id={ids.timeout} label="Timeout (seconds, 1–30)" error={field("config.timeoutSeconds")}>
          <input
            id={ids.timeout}
            inputMode="numeric"
            value={draft.timeoutSeconds}
            onChange={(event) => set({ timeoutSeconds: event.target.value })}
            className={`mt-1 ${inputClass}`}
            aria-invalid={Boolean(field("config.timeoutSeconds"))}
            aria-describedby={describedBy(ids.timeout, "config.timeoutSeconds")}
          />
        </TextField>
      </div>

      {draft.kind === "CLOUDWATCH" ? (
        <CloudWatchMetricsFields
          metrics={draft.metrics}
          onChange={(metrics) => set({ metrics })}
          field={field}
          listError={issues["config.metrics"]}
        />
      ) : null}

      <fieldset className="space-y-3">
        <legend className="text-sm font-medium">
          {draft.kind === "PROMETHEUS"
            ? "PromQL per reading ($window is the judged window, e.g. 300s; one series each)"
            : "Per reading: a metric's id, or metric math over the ids"}
        </legend>
        {pulledKeys.map((key) => (
          <QueryField
            key={`${draft.kind}-${key}`}
            name={key}
            value={draft.queries[draft.kind][key]}
            placeholder={placeholders[draft.kind][key] ?? ""}
            onChange={(text) => setQuery(key, text)}
            error={field(`config.queries.${key}`)}
          />
        ))}
      </fieldset>

      {error ? <Alert>{error}</Alert> : null}
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </Button>
        <Button tone="secondary" disabled={test.isPending} onClick={() => void onTest()}>
          {test.isPending ? "Pulling…" : "Test pull"}
        </Button>
        {initial ? (
          <ConfirmDialog
            trigger={<Button tone="secondary">Remove the source</Button>}
            title="Remove this target's pulled metric source?"
            description={<p>The next cycles judge the target on its stored buckets again, as without a source.</p>}
            confirmLabel="Remove"
            tone="danger"
            onConfirm={async () => {
              try {
                await remove.mutateAsync({ targetId });
                toast("Metric source removed");
              } catch (thrown) {
                toast((thrown as Error).message, "error");
                throw thrown;
              } finally {
                await refresh();
              }
            }}
          />
        ) : null}
      </div>
      <div aria-live="polite">{test.data ? <TestResult result={test.data} /> : null}</div>
    </form>
  );
}

function TextField({
  id,
  label,
  error,
  help,
  children,
}: {
  id: string;
  label: string;
  error: string | undefined;
  help?: string;
  children: ReactNode;
}) {
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      {children}
      {help ? (
        <p id={`${id}-help`} className="mt-1 text-xs text-slate-600">
          {help}
        </p>
      ) : null}
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

function QueryField(props: {
  name: PulledKey;
  value: string;
  placeholder: string;
  onChange: (text: string) => void;
  error: string | undefined;
}) {
  const id = useId();
  const required = props.name === "requestCount";
  return (
    <TextField
      id={id}
      label={`${pulledKeyLabel(props.name)} (${pulledKeyUnit(props.name)})${required ? "" : ", optional"}`}
      error={props.error}
    >
      <textarea
        id={id}
        rows={2}
        value={props.value}
        placeholder={props.placeholder}
        spellCheck={false}
        onChange={(event) => props.onChange(event.target.value)}
        className={`mt-1 font-mono ${inputClass}`}
        aria-invalid={Boolean(props.error)}
        aria-describedby={props.error ? `${id}-error` : undefined}
      />
    </TextField>
  );
}

function CloudWatchSettings({
  draft,
  set,
  field,
}: {
  draft: Draft;
  set: (change: Partial<Draft>) => void;
  field: (path: string) => string | undefined;
}) {
  const ids = { region: useId(), endpoint: useId(), keyId: useId() };
  const input = (id: string, path: string, value: string, onChange: (text: string) => void, placeholder: string) => (
    <input
      id={id}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      placeholder={placeholder}
      spellCheck={false}
      className={`mt-1 ${inputClass}`}
      aria-invalid={Boolean(field(path))}
      aria-describedby={field(path) ? `${id}-error` : undefined}
    />
  );
  return (
    <div className="grid gap-4 sm:grid-cols-3">
      <TextField id={ids.region} label="Region" error={field("config.region")}>
        {input(ids.region, "config.region", draft.region, (region) => set({ region }), "us-east-1")}
      </TextField>
      <TextField id={ids.endpoint} label="Endpoint override (optional)" error={field("config.endpoint")}>
        {input(ids.endpoint, "config.endpoint", draft.endpoint, (endpoint) => set({ endpoint }), "AWS's own")}
      </TextField>
      <TextField id={ids.keyId} label="Access key id (optional)" error={field("config.accessKeyId")}>
        {input(ids.keyId, "config.accessKeyId", draft.accessKeyId, (accessKeyId) => set({ accessKeyId }), "AKIA…")}
      </TextField>
    </div>
  );
}

type TestResultData = inferRouterOutputs<AppRouter>["metricSources"]["test"];

function TestResult({ result }: { result: TestResultData }) {
  const window = `${formatDateTime(new Date(result.window.from))} – ${formatDateTime(new Date(result.window.to))}`;
  if (!result.ok)
    return (
      <Alert>
        Test pull failed ({window}): {result.error}
      </Alert>
    );
  const rows = [
    { key: "requestCount", label: pulledKeyLabel("requestCount"), value: String(result.readings.requestCount) },
    ...slos.map((slo) => ({
      key: slo.reading,
      label: slo.title,
      value: formatUnit(slo.unit, result.readings.readings[slo.reading]),
    })),
  ];
  return (
    <div className="rounded-md border border-emerald-200 bg-emerald-50 p-3">
      <p className="text-sm text-emerald-900">Test pull read over {window}:</p>
      <DataTable
        caption="Readings of the test pull"
        density="compact"
        rows={rows}
        rowKey={(row) => row.key}
        columns={[
          { id: "reading", header: "Reading", rowHeader: true, cell: (row) => row.label },
          { id: "value", header: "Value", numeric: true, cell: (row) => row.value },
        ]}
      />
    </div>
  );
}
