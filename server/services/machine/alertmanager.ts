// Prometheus Alertmanager as a source of verdicts: each target named by a `rewind_target` label gets one
// verdict per payload (source "alertmanager"), which is decided and acted on at once; a proposal that alerts
// raised is withdrawn once they have all resolved. Mapping: docs/API.md.
import "server-only";
import { z } from "zod";
import type { Db } from "../../db";
import {
  alertLevel,
  alertmanagerPayloadSchema,
  alertsByTarget,
  alertVerdict,
  TARGET_LABEL,
  type Alert,
} from "../../domain/alertmanager";
import { canonicalJson, sha256Hex } from "../../domain/canonical-json";
import { AppError } from "../../domain/errors";
import { assertKeyMayUseTarget, type ApiKeyDto } from "../access/api-keys";
import { getSystemState } from "../config/system-switches";
import { actOnExternalVerdict, type TargetAction } from "../monitoring/act-on-target";
import { parseInput } from "../platform/validation";
import { withdrawProposal } from "../rollbacks/commands";

/** Enough history for any streak a policy can ask for (at most 100 consecutive violations). */
const STREAK_HISTORY = 100;

export interface AlertmanagerResult {
  /** Alerts without a `rewind_target` label: not Rewind's, ignored. */
  ignoredAlerts: number;
  /** True while monitoring is paused for maintenance: nothing was judged. */
  monitoringPaused: boolean;
  targets: (
    | { target: string; skipped: "monitoring disabled" }
    | ({ target: string } & TargetAction & {
          /** The pending proposal this payload's resolved alerts withdrew (cancelled by Rewind); null when none. */
          withdrawnRollback: { id: string; status: string; endReason: string | null } | null;
        })
  )[];
}

/** One alert across payloads: Alertmanager's fingerprint (a hash of its labels), else a hash of the labels. */
function alertKey(alert: Alert): string {
  return alert.fingerprint ?? `labels:${sha256Hex(canonicalJson(alert.labels)).slice(0, 32)}`;
}

/** The alerts an Alertmanager verdict recorded (`details`); verdicts of the cycle do not parse. */
const recordedAlertsSchema = z.object({
  source: z.literal("alertmanager"),
  alerts: z.array(
    z.object({
      status: z.enum(["firing", "resolved"]),
      alertname: z.string().nullable(),
      severity: z.string().nullable(),
      fingerprint: z.string().nullable(),
      /** Recorded since withdrawals exist; older verdicts fall back on the fingerprint. */
      key: z.string().optional(),
    }),
  ),
});
type RecordedAlert = z.infer<typeof recordedAlertsSchema>["alerts"][number];

const recordedKey = (alert: RecordedAlert) => alert.key ?? alert.fingerprint;
/** Firing at a level that proposes a rollback (critical or emergency), as alertVerdict judges it. */
const raisesRollback = (alert: RecordedAlert) =>
  alert.status === "firing" &&
  alertLevel({ status: "firing", labels: alert.severity ? { severity: alert.severity } : {}, annotations: {} }) !==
    "WARNING";

function recordedAlerts(details: unknown): RecordedAlert[] | null {
  const parsed = recordedAlertsSchema.safeParse(details);
  return parsed.success ? parsed.data.alerts : null;
}

/** Later Alertmanager verdicts read back to see whether the alerts that raised a proposal resolved. */
const FOLLOW_UP_VERDICTS = 500;

/**
 * Withdraws the target's proposal that Alertmanager raised once every alert that raised it (firing critical or
 * emergency in the payload that created it) was last reported resolved, in this payload or one since. A proposal
 * of the cycle, of a person or of a key is never withdrawn, nor one already approved, nor any while this payload
 * still has a breach for the target (the proposal then stands for it). Recognised by its verdict: the system's
 * proposal requested at the very instant an Alertmanager verdict of the target was recorded (the same `now`).
 */
async function withdrawResolvedProposal(db: Db, targetId: string, now: Date) {
  const pending = await db.rollback.findUnique({
    where: { activeTargetId: targetId },
    select: { id: true, status: true, trigger: true, requestedById: true, requestedAt: true },
  });
  if (!pending || pending.status !== "PENDING_APPROVAL" || pending.trigger !== "SLO" || pending.requestedById) {
    return null;
  }
  const [raising, later] = await Promise.all([
    db.verdictRecord.findMany({
      where: { targetId, evaluatedAt: pending.requestedAt },
      select: { details: true },
    }),
    db.verdictRecord.findMany({
      where: { targetId, evaluatedAt: { gt: pending.requestedAt, lte: now } },
      orderBy: { evaluatedAt: "desc" },
      take: FOLLOW_UP_VERDICTS,
      select: { details: true },
    }),
  ]);
  const raisedBy = raising
    .map((record) => recordedAlerts(record.details))
    .find((alerts) => alerts !== null)
    ?.filter(raisesRollback);
  if (!raisedBy || raisedBy.length === 0 || raisedBy.some((alert) => recordedKey(alert) === null)) return null;
  const lastStatus = new Map<string, RecordedAlert["status"]>();
  for (const record of later.reverse()) {
    for (const alert of recordedAlerts(record.details) ?? []) {
      const key = recordedKey(alert);
      if (key !== null) lastStatus.set(key, alert.status);
    }
  }
  if (!raisedBy.every((alert) => lastStatus.get(recordedKey(alert)!) === "resolved")) return null;
  const names = [...new Set(raisedBy.map((alert) => alert.alertname ?? "alert"))].join(", ");
  const withdrawn = await withdrawProposal(db, { rollbackId: pending.id, reason: `alert resolved (${names})` }, now);
  return withdrawn && { id: withdrawn.id, status: withdrawn.status, endReason: withdrawn.endReason };
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
        key: alertKey(alert),
        startsAt: alert.startsAt ?? null,
      })),
    };
    const action = await actOnExternalVerdict(db, { target, verdict, details }, now);
    const withdrawnRollback = verdict.status === "BREACH" ? null : await withdrawResolvedProposal(db, target.id, now);
    results.push({ target: target.slug, ...action, withdrawnRollback });
  }
  return { ignoredAlerts, monitoringPaused, targets: results };
}
