// The policy form's fields: labels, units and groups for every field of the shared policy schema
// (server/domain/policy.ts), the threshold fields coming from the SLO catalogue (server/domain/slo.ts), the
// conversion between a policy and the form's text values, and the field-by-field diff shown before saving and
// in the history.
import { fieldIssues, type FieldIssues } from "@/server/domain/errors";
import { defaultPolicy, policySchema, type Policy } from "@/server/domain/policy";
import { formatUnit, slos, type SloDefinition, type SloThreshold, type SloUnit } from "@/server/domain/slo";

type FieldKind =
  "fraction" | "ms" | "usd" | "seconds" | "count" | "multiplier" | "boolean" | "mode" | "approvals" | "steps";

export interface PolicyField {
  path: string;
  label: string;
  kind: FieldKind;
  help: string;
  /** An SLO threshold: formatted with the catalogue's formatter for its unit, like the readings it judges. */
  unit?: SloUnit;
  /** Empty in the form is unset in the policy (the SLO is not judged), not an error. */
  optional?: boolean;
}

const unitKind: Record<SloUnit, FieldKind> = { ratio: "fraction", ms: "ms", usd: "usd" };
const unitHelp: Record<SloUnit, string> = {
  ratio: "as a fraction: 0.05 is 5%",
  ms: "in milliseconds",
  usd: "in US dollars",
};

/** One threshold field per SLO of the catalogue, in its order. */
function thresholdField(slo: SloDefinition): PolicyField & { path: SloThreshold } {
  // A threshold without a default is unset in the default policy: its SLO is judged only when it is set.
  const optional = defaultPolicy[slo.threshold] === undefined;
  const merge = slo.merge.charAt(0).toUpperCase() + slo.merge.slice(1);
  return {
    path: slo.threshold,
    label: `Max ${slo.label}`,
    kind: unitKind[slo.unit],
    unit: slo.unit,
    help: `${merge} over the evaluation window, ${unitHelp[slo.unit]}.${optional ? " Empty: not judged." : ""}`,
    ...(optional && { optional }),
  };
}

export const policyGroups = [
  {
    id: "thresholds",
    title: "Thresholds",
    description: "A window is bad when a reading is strictly above its threshold.",
    fields: [
      ...slos.map(thresholdField),
      {
        path: "emergencyMultiplier",
        label: "Emergency multiplier",
        kind: "multiplier",
        help: "A reading above threshold × this is an emergency: immediate rollback, no streak, no approval.",
      },
    ],
  },
  {
    id: "windows",
    title: "Windows and counts",
    description: "How much traffic a verdict judges, and how many bad verdicts in a row make a breach.",
    fields: [
      {
        path: "evaluationWindowSeconds",
        label: "Evaluation window",
        kind: "seconds",
        help: "Length of the window each verdict judges, in seconds.",
      },
      {
        path: "minRequests",
        label: "Minimum requests",
        kind: "count",
        help: "Below this many requests in a window there is no verdict, never a rollback.",
      },
      {
        path: "consecutiveViolations",
        label: "Consecutive violations",
        kind: "count",
        help: "Violating verdicts in a row that make a breach.",
      },
      {
        path: "verificationWindowSeconds",
        label: "Verification window",
        kind: "seconds",
        help: "After a rollback, how long to watch for recovery before escalating; at least the evaluation window.",
      },
    ],
  },
  {
    id: "burnRate",
    title: "Error-budget burn rate",
    description: "Multi-window alert: both windows must spend the error budget faster than the factor.",
    fields: [
      {
        path: "burnRate.enabled",
        label: "Burn-rate alert",
        kind: "boolean",
        help: "When on, a sustained burn is a breach even below the max error rate.",
      },
      {
        path: "burnRate.errorBudget",
        label: "Error budget",
        kind: "fraction",
        help: "Failures the SLO objective allows, as a fraction: 0.002 for 99.8%.",
      },
      {
        path: "burnRate.longWindowSeconds",
        label: "Long window",
        kind: "seconds",
        help: "Proves the burn is sustained, in seconds.",
      },
      {
        path: "burnRate.shortWindowSeconds",
        label: "Short window",
        kind: "seconds",
        help: "Proves the burn is still happening; shorter than the long window.",
      },
      {
        path: "burnRate.factor",
        label: "Burn-rate factor",
        kind: "multiplier",
        help: "Both windows must burn faster than this; factor × budget must stay below 100%.",
      },
    ],
  },
  {
    id: "rollback",
    title: "Rollback behaviour",
    description: "What a breach does, and the limits on automation.",
    fields: [
      {
        path: "mode",
        label: "Mode",
        kind: "mode",
        help: "Approval: a breach proposes a rollback people approve. Automatic: it rolls back on its own. Emergencies skip approval in both.",
      },
      {
        path: "approvalsRequired",
        label: "Approvals required",
        kind: "approvals",
        help: "With 2, the requester cannot be the only approver.",
      },
      {
        path: "approvalTimeoutSeconds",
        label: "Approval timeout",
        kind: "seconds",
        help: "A proposal nobody approves within this time expires.",
      },
      {
        path: "cooldownSeconds",
        label: "Cooldown",
        kind: "seconds",
        help: "After any rollback, automatic actions become proposals for this long.",
      },
      {
        path: "maxAutoRollbacksPerHour",
        label: "Max automatic rollbacks per hour",
        kind: "count",
        help: "At this many automatic rollbacks in an hour, automation freezes to notifications. 0 disables them.",
      },
    ],
  },
  {
    id: "rollout",
    title: "Gradual rollback and bake",
    description: "How traffic moves back to the known-good snapshot, and when a new snapshot becomes known-good.",
    fields: [
      {
        path: "steps",
        label: "Steps",
        kind: "steps",
        help: "Percentages of traffic moved back at each step, separated by commas, ascending, ending at 100.",
      },
      { path: "stepIntervalSeconds", label: "Step interval", kind: "seconds", help: "Time between steps." },
      {
        path: "stepMinRequests",
        label: "Minimum requests per arm",
        kind: "count",
        help: "Each snapshot must serve this many requests in a step before the arms are compared; until then the step holds.",
      },
      {
        path: "stepSignificance",
        label: "Step significance",
        kind: "fraction",
        help: "Chance, over a whole rollback, that equal arms still end it early (FAST_FORWARD or ABORT). 0.05 is 5%.",
      },
      {
        path: "stepMaxHoldIntervals",
        label: "Maximum held intervals",
        kind: "count",
        help: "Step intervals a step may hold for lack of traffic before Rewind advances anyway and tells people.",
      },
      {
        path: "configPickupSeconds",
        label: "Config pickup grace",
        kind: "seconds",
        help: "How long orchestrators take to read a changed configuration: traffic in this time after a change counts for no configuration unless it carries a snapshot version.",
      },
      {
        path: "bakeTimeSeconds",
        label: "Bake time",
        kind: "seconds",
        help: "A snapshot becomes known-good after running healthy this long.",
      },
    ],
  },
] as const satisfies readonly { id: string; title: string; description: string; fields: readonly PolicyField[] }[];

export type PolicyPath = (typeof policyGroups)[number]["fields"][number]["path"] | SloThreshold;
export const policyFields: readonly (PolicyField & { path: PolicyPath })[] = policyGroups.flatMap((group) => [
  ...group.fields,
]);

/** The form's values: text as typed (so "abc" can be reported as not a number), "true"/"false" for switches. */
export type PolicyForm = Record<PolicyPath, string>;

export function valueAt(policy: Policy, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], policy);
}

export function formFromPolicy(policy: Policy): PolicyForm {
  return Object.fromEntries(
    policyFields.map((field) => {
      // A policy's leaves; an optional threshold left unset is an empty field.
      const value = valueAt(policy, field.path) as number | boolean | string | number[] | undefined;
      return [field.path, value === undefined ? "" : Array.isArray(value) ? value.join(", ") : String(value)];
    }),
  ) as PolicyForm;
}

/** Empty text is not 0: it stays NaN so the schema says the field must be a number. */
function parseNumber(text: string): number {
  return text.trim() === "" ? Number.NaN : Number(text.trim());
}

/** What the form would save, before validation: the schema decides whether it is a policy. */
export function draftFromForm(form: PolicyForm): unknown {
  const draft: Record<string, unknown> = {};
  for (const field of policyFields) {
    const text = form[field.path];
    if (field.optional && text.trim() === "") continue;
    let value: unknown;
    if (field.kind === "boolean") value = text === "true";
    else if (field.kind === "mode") value = text;
    else if (field.kind === "steps")
      value = text
        .split(/[\s,]+/)
        .filter((part) => part !== "")
        .map(parseNumber);
    else value = parseNumber(text);
    const keys = field.path.split(".");
    const parent = keys.slice(0, -1).reduce<Record<string, unknown>>((node, key) => {
      node[key] ??= {};
      return node[key] as Record<string, unknown>;
    }, draft);
    parent[keys.at(-1) as string] = value;
  }
  return draft;
}

export type DraftResult = { ok: true; policy: Policy; issues: FieldIssues } | { ok: false; issues: FieldIssues };

/** The same schema the server applies, so the form reports exactly what a save would refuse. */
export function validateForm(form: PolicyForm): DraftResult {
  const result = policySchema.safeParse(draftFromForm(form));
  return result.success
    ? { ok: true, policy: result.data, issues: {} }
    : { ok: false, issues: fieldIssues(result.error) };
}

/** The message for a field; a list's per-item issues ("steps.1") show on the list's one input. */
export function issueFor(issues: FieldIssues, path: PolicyPath): string | undefined {
  if (issues[path]) return issues[path];
  const item = Object.keys(issues).find((key) => key.startsWith(`${path}.`));
  return item ? issues[item] : undefined;
}

function duration(seconds: number): string {
  if (seconds < 60 || !Number.isFinite(seconds)) return "";
  const units: [number, string][] = [
    [86_400, "d"],
    [3_600, "h"],
    [60, "min"],
    [1, "s"],
  ];
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [size, unit] of units) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  return parts.join(" ");
}

const number = (value: number, digits = 6) => value.toLocaleString("en-US", { maximumFractionDigits: digits });

/** A stored value as people read it: 0.05 → "5%", 300 → "300 s (5 min)". */
export function formatPolicyValue(field: PolicyField, value: unknown): string {
  if (value === undefined && field.optional) return "Not judged";
  if (field.unit) return formatUnit(field.unit, value as number);
  switch (field.kind) {
    case "fraction":
      return `${number((value as number) * 100, 4)}%`;
    case "ms":
      return `${number(value as number)} ms`;
    case "usd":
      return `$${number(value as number)}`;
    case "seconds": {
      const human = duration(value as number);
      return `${number(value as number)} s${human ? ` (${human})` : ""}`;
    }
    case "multiplier":
      return `${number(value as number)}×`;
    case "count":
    case "approvals":
      return number(value as number);
    case "boolean":
      return value ? "On" : "Off";
    case "mode":
      return value === "AUTOMATIC" ? "Automatic" : "Approval";
    case "steps":
      return (value as number[]).map((step) => `${step}%`).join(" → ");
  }
}

/** A hint beside an input while typing: what the typed number means ("= 5%", "= 5 min"). */
export function inputHint(field: PolicyField, text: string): string {
  const value = parseNumber(text);
  if (!Number.isFinite(value)) return "";
  if (field.unit) return field.kind === "usd" ? "" : `= ${formatUnit(field.unit, value)}`;
  if (field.kind === "fraction") return `= ${number(value * 100, 4)}%`;
  if (field.kind === "seconds") return duration(value) ? `= ${duration(value)}` : "";
  return "";
}

export interface PolicyChange {
  path: PolicyPath;
  label: string;
  before: string;
  after: string;
}

/** Fields whose value differs, in form order, formatted for people. */
export function diffPolicies(before: Policy, after: Policy): PolicyChange[] {
  return policyFields.flatMap((field) => {
    const [a, b] = [valueAt(before, field.path), valueAt(after, field.path)];
    if (JSON.stringify(a) === JSON.stringify(b)) return [];
    return [
      { path: field.path, label: field.label, before: formatPolicyValue(field, a), after: formatPolicyValue(field, b) },
    ];
  });
}
