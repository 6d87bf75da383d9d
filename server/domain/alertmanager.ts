// Prometheus Alertmanager's webhook payload (version 4) and how its alerts become verdicts: firing alerts
// labelled `rewind_target` are violations of that target, resolved ones clear them. Mapping: docs/API.md.
import { z } from "zod";
import type { SloViolation, Verdict } from "./evaluation";
import { safeText } from "./input-bounds";
import { noReadings, sloByAlertName } from "./slo";

/**
 * Label and annotation maps as Alertmanager sends them. Their text reaches verdicts and notifications, so it is
 * bounded like any stored text: names up to 200 characters, values up to 10,000 (descriptions run long).
 */
function textMap(what: "Label" | "Annotation") {
  return z.record(
    safeText().min(1, `${what} names must not be empty`).max(200, `${what} names must be at most 200 characters`),
    safeText({ error: `${what} values must be text` }).max(10_000, `${what} values must be at most 10,000 characters`),
    {
      error: (issue) =>
        issue.code === "invalid_key" ? `${what} names must be text of 1–200 characters, without NUL` : undefined,
    },
  );
}

/** Other strings of the payload: times, URLs, keys. Long Prometheus expressions fit in a generator URL. */
const payloadText = safeText().max(10_000, "At most 10,000 characters");

const alertSchema = z.object({
  status: z.enum(["firing", "resolved"], { error: "Alert status must be firing or resolved" }),
  labels: textMap("Label"),
  annotations: textMap("Annotation").default({}),
  startsAt: payloadText.optional(),
  endsAt: payloadText.optional(),
  generatorURL: payloadText.optional(),
  fingerprint: payloadText.optional(),
});
export type Alert = z.infer<typeof alertSchema>;

export const alertmanagerPayloadSchema = z.object({
  version: z.literal("4", { error: "Only Alertmanager webhook payload version 4 is supported" }),
  status: z.enum(["firing", "resolved"]).optional(),
  receiver: payloadText.optional(),
  groupKey: payloadText.optional(),
  alerts: z.array(alertSchema).max(1_000, "At most 1,000 alerts per payload"),
});

export const TARGET_LABEL = "rewind_target";

/** Alerts grouped by their `rewind_target` label; alerts without it are not Rewind's. */
export function alertsByTarget(alerts: readonly Alert[]): Map<string, Alert[]> {
  const byTarget = new Map<string, Alert[]>();
  for (const alert of alerts) {
    const slug = alert.labels[TARGET_LABEL];
    if (!slug) continue;
    byTarget.set(slug, [...(byTarget.get(slug) ?? []), alert]);
  }
  return byTarget;
}

type AlertLevel = "EMERGENCY" | "CRITICAL" | "WARNING";

/** `severity` label: emergency or page → emergency breach; critical → critical breach; anything else → violation. */
export function alertLevel(alert: Alert): AlertLevel {
  const severity = (alert.labels.severity ?? "").toLowerCase();
  if (severity === "emergency" || severity === "page") return "EMERGENCY";
  return severity === "critical" ? "CRITICAL" : "WARNING";
}

const LEVEL_ORDER: readonly AlertLevel[] = ["WARNING", "CRITICAL", "EMERGENCY"];

/** Optional numbers an alert rule can pass as annotations, so the verdict carries the reading. */
function violationOf(alert: Alert): SloViolation {
  const slo = sloByAlertName((alert.labels.rewind_slo ?? "").toLowerCase());
  const number = (text: string | undefined) => (text !== undefined && Number.isFinite(Number(text)) ? Number(text) : 0);
  return {
    slo: slo?.id ?? "ERROR_RATE",
    observed: number(alert.annotations.value),
    threshold: number(alert.annotations.threshold),
    windowSeconds: 0,
  };
}

function describeAlert(alert: Alert): string {
  const name = alert.labels.alertname ?? "alert";
  const summary = alert.annotations.summary ?? alert.annotations.description;
  return `${name}${alert.labels.severity ? ` (${alert.labels.severity})` : ""}${summary ? `: ${summary}` : ""}`;
}

/**
 * The verdict for one target's alerts of one payload. Any firing alert makes it a violation at the worst
 * level among them (the streak counts as for the cycle's verdicts); only resolved alerts make it healthy,
 * which ends the streak. No metrics are read: `observed` says so with a zero-length window. `sourceName`
 * opens the explanation: CloudWatch alarms come through here too, as alerts (server/domain/intake/sns.ts).
 */
export function alertVerdict(
  alerts: readonly Alert[],
  recentVerdicts: readonly Pick<Verdict, "status">[],
  sourceName = "Alertmanager",
): Verdict {
  const observed = { windowSeconds: 0, requestCount: 0, ...noReadings };
  const firing = alerts.filter((alert) => alert.status === "firing");
  if (firing.length === 0) {
    return {
      status: "HEALTHY",
      observed,
      explanation: `${sourceName}: resolved ${alerts.map(describeAlert).join("; ")}`,
    };
  }
  const level = LEVEL_ORDER[Math.max(...firing.map((alert) => LEVEL_ORDER.indexOf(alertLevel(alert))))] ?? "WARNING";
  const streak = recentVerdicts.findIndex((v) => v.status !== "VIOLATION" && v.status !== "BREACH");
  const consecutiveCount = 1 + (streak === -1 ? recentVerdicts.length : streak);
  const violations = firing.map(violationOf);
  const explanation = `${sourceName}: firing ${firing.map(describeAlert).join("; ")}`;
  if (level === "WARNING") return { status: "VIOLATION", observed, violations, consecutiveCount, explanation };
  return { status: "BREACH", severity: level, observed, violations, consecutiveCount, burnRate: null, explanation };
}
