// Prometheus Alertmanager as a source of verdicts: each target named by a `rewind_target` label gets one
// verdict per payload (source "alertmanager"), which is decided and acted on at once; a proposal that alerts
// raised is withdrawn once they have all resolved (external-alerts.ts, shared with CloudWatch alarms). Alerts
// naming a target that does not exist are reported and recorded for admins; the rest is judged. docs/API.md.
import "server-only";
import type { Db } from "../../db";
import { alertmanagerPayloadSchema, alertsByTarget, TARGET_LABEL } from "../../domain/alertmanager";
import { assertKeyMayUseTarget, type ApiKeyDto } from "../access/api-keys";
import { alertTargetSelect, judgeAlerts, type AlertTargetOutcome } from "./external-alerts";
import { recordRefusal } from "./intake-refusals";
import { parseInput } from "../platform/validation";

export interface AlertmanagerResult {
  /** Alerts without a `rewind_target` label: not Rewind's, ignored. */
  ignoredAlerts: number;
  /**
   * Targets named by `rewind_target` that do not exist, with how many alerts named each: nothing was recorded
   * for them (the other targets' alerts were judged), and admins see them in Settings → Integrations.
   */
  unknownTargets: { target: string; alerts: number }[];
  /** True while monitoring is paused for maintenance: nothing was judged. */
  monitoringPaused: boolean;
  targets: AlertTargetOutcome[];
}

/**
 * Every named target must be allowed for the key before anything is recorded (403 otherwise). Alertmanager
 * retries no 4xx, so one alert naming a target that does not exist must not lose its group's others: those
 * targets are answered in `unknownTargets` and recorded (audit `integration.alert_target_unknown`, at most once
 * an hour per name), and the known ones judged.
 */
export async function receiveAlerts(
  db: Db,
  input: { key: Pick<ApiKeyDto, "prefix" | "targetSlugs">; payload: unknown },
  now: Date,
): Promise<AlertmanagerResult> {
  const { alerts } = parseInput(alertmanagerPayloadSchema, input.payload);
  const byTarget = alertsByTarget(alerts);
  const ignoredAlerts = alerts.filter((alert) => !alert.labels[TARGET_LABEL]).length;
  for (const slug of byTarget.keys()) assertKeyMayUseTarget(input.key, slug);
  const targets = await db.target.findMany({
    where: { slug: { in: [...byTarget.keys()] } },
    select: alertTargetSelect,
  });
  const unknownTargets = [...byTarget]
    .filter(([slug]) => !targets.some((target) => target.slug === slug))
    .map(([slug, targetAlerts]) => ({ target: slug, alerts: targetAlerts.length }));
  for (const { target, alerts: count } of unknownTargets) {
    await recordRefusal(
      db,
      {
        action: "integration.alert_target_unknown",
        entityType: "AlertTarget",
        entityId: target,
        reason: `${count} alert${count === 1 ? "" : "s"} labelled ${TARGET_LABEL}=${target.slice(0, 200)}: no such target`,
        after: { apiKey: input.key.prefix },
      },
      now,
    );
  }
  const judged = await judgeAlerts(db, { source: "alertmanager", targets, alertsBySlug: byTarget }, now);
  return { ignoredAlerts, unknownTargets, ...judged };
}
