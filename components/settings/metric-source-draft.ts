// The pulled-source form's state: text fields as typed, turned into the input the server validates
// (metricSourceInputSchema) and back from a saved source. Empty optional fields are left out, never sent as "".
import {
  cloudWatchConfigSchema,
  prometheusConfigSchema,
  pulledKeys,
  type MetricSourceInput,
  type MetricSourceKind,
  type PulledKey,
} from "@/server/domain/pulled-sources/config";

export interface MetricRow {
  id: string;
  namespace: string;
  metricName: string;
  /** One `Name=Value` per line. */
  dimensions: string;
  stat: string;
}

export interface Draft {
  kind: MetricSourceKind;
  enabled: boolean;
  url: string;
  region: string;
  endpoint: string;
  accessKeyId: string;
  timeoutSeconds: string;
  metrics: MetricRow[];
  /** Per kind: PromQL or CloudWatch expressions, so switching kinds keeps what was typed for each. */
  queries: Record<MetricSourceKind, Record<PulledKey, string>>;
  /** Typed to replace the saved secret; empty keeps it. */
  secret: string;
  removeSecret: boolean;
}

const emptyQueries = () => Object.fromEntries(pulledKeys.map((key) => [key, ""])) as Record<PulledKey, string>;

export function emptyMetricRow(): MetricRow {
  return { id: "", namespace: "", metricName: "", dimensions: "", stat: "" };
}

export function emptyDraft(kind: MetricSourceKind = "PROMETHEUS"): Draft {
  return {
    kind,
    enabled: true,
    url: "",
    region: "",
    endpoint: "",
    accessKeyId: "",
    timeoutSeconds: "5",
    metrics: [emptyMetricRow()],
    queries: { PROMETHEUS: emptyQueries(), CLOUDWATCH: emptyQueries() },
    secret: "",
    removeSecret: false,
  };
}

/** A saved source as the form's state; a config this version cannot read starts the form empty. */
export function draftOf(saved: { kind: MetricSourceKind; enabled: boolean; config: unknown }): Draft {
  const draft = { ...emptyDraft(saved.kind), enabled: saved.enabled };
  const queries = (values: Partial<Record<PulledKey, string>>) =>
    Object.fromEntries(pulledKeys.map((key) => [key, values[key] ?? ""])) as Record<PulledKey, string>;
  if (saved.kind === "PROMETHEUS") {
    const config = prometheusConfigSchema.safeParse(saved.config);
    if (!config.success) return draft;
    return {
      ...draft,
      url: config.data.url,
      timeoutSeconds: String(config.data.timeoutSeconds),
      queries: { ...draft.queries, PROMETHEUS: queries(config.data.queries) },
    };
  }
  const config = cloudWatchConfigSchema.safeParse(saved.config);
  if (!config.success) return draft;
  return {
    ...draft,
    region: config.data.region,
    endpoint: config.data.endpoint ?? "",
    accessKeyId: config.data.accessKeyId ?? "",
    timeoutSeconds: String(config.data.timeoutSeconds),
    metrics: config.data.metrics.map((metric) => ({
      id: metric.id,
      namespace: metric.namespace,
      metricName: metric.metricName,
      dimensions: metric.dimensions.map(({ name, value }) => `${name}=${value}`).join("\n"),
      stat: metric.stat,
    })),
    queries: { ...draft.queries, CLOUDWATCH: queries(config.data.queries) },
  };
}

const present = (text: string) => (text.trim() === "" ? undefined : text.trim());

/** A line without "=" is sent as a name without a value, for the server to name by its path. */
function dimensionsOf(text: string): { name: string; value: string }[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const at = line.indexOf("=");
      return at === -1
        ? { name: line.trim(), value: "" }
        : { name: line.slice(0, at).trim(), value: line.slice(at + 1).trim() };
    });
}

function timeoutOf(text: string): number | undefined {
  // Not a number: NaN, which the server refuses with the field's own message.
  return text.trim() === "" ? undefined : Number(text);
}

export function inputOf(draft: Draft): MetricSourceInput {
  const queries = Object.fromEntries(
    pulledKeys.flatMap((key) => {
      const text = present(draft.queries[draft.kind][key]);
      return text === undefined ? [] : [[key, text]];
    }),
  ) as Record<PulledKey, string>;
  const secret = draft.removeSecret ? null : present(draft.secret);
  const timeoutSeconds = timeoutOf(draft.timeoutSeconds);
  if (draft.kind === "PROMETHEUS") {
    return {
      kind: "PROMETHEUS",
      enabled: draft.enabled,
      config: { url: draft.url.trim(), ...(timeoutSeconds !== undefined && { timeoutSeconds }), queries },
      ...(secret !== undefined && { bearerToken: secret }),
    };
  }
  const endpoint = present(draft.endpoint);
  const accessKeyId = present(draft.accessKeyId);
  return {
    kind: "CLOUDWATCH",
    enabled: draft.enabled,
    config: {
      region: draft.region.trim(),
      ...(endpoint !== undefined && { endpoint }),
      ...(accessKeyId !== undefined && { accessKeyId }),
      ...(timeoutSeconds !== undefined && { timeoutSeconds }),
      metrics: draft.metrics.map((metric) => ({
        id: metric.id.trim(),
        namespace: metric.namespace.trim(),
        metricName: metric.metricName.trim(),
        dimensions: dimensionsOf(metric.dimensions),
        stat: metric.stat.trim(),
      })),
      queries,
    },
    ...(secret !== undefined && { secretAccessKey: secret }),
  };
}

/** The first issue at `path` or under it ("config.metrics.0.dimensions" holds "….dimensions.1.value"). */
export function issueUnder(issues: Record<string, string>, path: string): string | undefined {
  if (issues[path]) return issues[path];
  const key = Object.keys(issues).find((candidate) => candidate.startsWith(`${path}.`));
  return key === undefined ? undefined : issues[key];
}
