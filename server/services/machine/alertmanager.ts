// Prometheus Alertmanager as a source of verdicts: each target named by a `rewind_target` label gets one
// verdict per payload (source "alertmanager"), which is decided and acted on at once. Mapping: docs/API.md.
import "server-only";
import type { Db } from "../../db";
import { alertmanagerPayloadSchema, alertsByTarget, alertVerdict, TARGET_LABEL } from "../../domain/alertmanager";
import { AppError } from "../../domain/errors";
import { assertKeyMayUseTarget, type ApiKeyDto } from "../access/api-keys";
import { getSystemState } from "../config/system-switches";
import { actOnExternalVerdict, type TargetAction } from "../monitoring/act-on-target";
import { parseInput } from "../platform/validation";

/** Enough history for any streak a policy can ask for (at most 100 consecutive violations). */
const STREAK_HISTORY = 100;

export interface AlertmanagerResult {
  /** Alerts without a `rewind_target` label: not Rewind's, ignored. */
  ignoredAlerts: number;
  /** True while monitoring is paused for maintenance: nothing was judged. */
  monitoringPaused: boolean;
  targets: ({ target: string; skipped: "monitoring disabled" } | ({ target: string } & TargetAction))[];
}

/**
 * Every named target must exist and be allowed for the key before anything is recorded, so a payload is
 * applied whole or not at all (Alertmanager retries a refused one).
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
    select: { id: true, slug: true, monitoringEnabled: true, currentSnapshotId: true, knownGoodSnapshotId: true },
  });
  const unknown = [...byTarget.keys()].filter((slug) => !targets.some((target) => target.slug === slug));
  if (unknown.length > 0)
    throw new AppError("NOT_FOUND", `No such target: ${unknown.join(", ")} (label ${TARGET_LABEL})`);

  const { monitoringPaused } = await getSystemState(db);
  if (monitoringPaused) return { ignoredAlerts, monitoringPaused, targets: [] };
  const results: AlertmanagerResult["targets"] = [];
  for (const target of targets) {
    if (!target.monitoringEnabled) {
      results.push({ target: target.slug, skipped: "monitoring disabled" });
      continue;
    }
    const targetAlerts = byTarget.get(target.slug) ?? [];
    const recent = await db.verdictRecord.findMany({
      where: { targetId: target.id, evaluatedAt: { lt: now } },
      orderBy: { evaluatedAt: "desc" },
      take: STREAK_HISTORY,
      select: { status: true },
    });
    const verdict = alertVerdict(targetAlerts, recent);
    const details = {
      source: "alertmanager",
      alerts: targetAlerts.map((alert) => ({
        status: alert.status,
        alertname: alert.labels.alertname ?? null,
        severity: alert.labels.severity ?? null,
        fingerprint: alert.fingerprint ?? null,
        startsAt: alert.startsAt ?? null,
      })),
    };
    results.push({ target: target.slug, ...(await actOnExternalVerdict(db, { target, verdict, details }, now)) });
  }
  return { ignoredAlerts, monitoringPaused, targets: results };
}
