// Alerts raised outside Rewind (Prometheus Alertmanager, CloudWatch alarms through SNS) as verdicts: one verdict
// per target and message (`details.source` names the sender), decided and acted on at once; a proposal that
// alerts raised is withdrawn once they have all resolved. One path for every alert source. docs/API.md.
import "server-only";
import { z } from "zod";
import type { Db, Prisma } from "../../db";
import { alertLevel, alertVerdict, type Alert } from "../../domain/alertmanager";
import { ALERT_SOURCES, type AlertSource } from "../../domain/alert-sources";
import { canonicalJson, sha256Hex } from "../../domain/canonical-json";
import { getSystemState } from "../config/system-switches";
import { actOnExternalVerdict, type TargetAction } from "../monitoring/act-on-target";
import { withdrawProposal } from "../rollbacks/commands";

/** Enough history for any streak a policy can ask for (at most 100 consecutive violations). */
const STREAK_HISTORY = 100;
/** Later alert verdicts read back to see whether the alerts that raised a proposal resolved. */
const FOLLOW_UP_VERDICTS = 500;

/** What judging needs of a target. */
export const alertTargetSelect = {
  id: true,
  slug: true,
  monitoringEnabled: true,
  currentSnapshotId: true,
  knownGoodSnapshotId: true,
} satisfies Prisma.TargetSelect;
export type AlertTarget = Prisma.TargetGetPayload<{ select: typeof alertTargetSelect }>;

export type AlertTargetOutcome =
  | { target: string; skipped: "monitoring disabled" }
  | ({ target: string } & TargetAction & {
        /** The pending proposal this message's resolved alerts withdrew (cancelled by Rewind); null when none. */
        withdrawnRollback: { id: string; status: string; endReason: string | null } | null;
      });

/** One alert across messages: the sender's fingerprint (a hash of its labels, an alarm's ARN), else a hash of the labels. */
function alertKey(alert: Alert): string {
  return alert.fingerprint ?? `labels:${sha256Hex(canonicalJson(alert.labels)).slice(0, 32)}`;
}

/** The alerts an alert verdict recorded (`details`); verdicts of the cycle do not parse. */
const recordedAlertsSchema = z.object({
  source: z.enum(Object.keys(ALERT_SOURCES) as [AlertSource, ...AlertSource[]]),
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

/**
 * Withdraws the target's proposal that alerts raised once every alert that raised it (firing critical or
 * emergency in the message that created it) was last reported resolved, in this message or one since, by any
 * alert source. A proposal of the cycle, of a person or of a key is never withdrawn, nor one already approved,
 * nor any while this message still has a breach for the target (the proposal then stands for it). Recognised
 * by its verdict: the system's proposal requested at the very instant an alert verdict of the target was
 * recorded (the same `now`).
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
 * Judges each target's alerts of one message and acts on the verdict (alertVerdict, then the decision as the
 * cycle would take it). Targets must exist (the caller resolved them); while monitoring is paused nothing is
 * judged, and targets with monitoring off are skipped.
 */
export async function judgeAlerts(
  db: Db,
  input: { source: AlertSource; targets: readonly AlertTarget[]; alertsBySlug: ReadonlyMap<string, readonly Alert[]> },
  now: Date,
): Promise<{ monitoringPaused: boolean; targets: AlertTargetOutcome[] }> {
  const { monitoringPaused } = await getSystemState(db);
  if (monitoringPaused) return { monitoringPaused, targets: [] };
  const results: AlertTargetOutcome[] = [];
  for (const target of input.targets) {
    if (!target.monitoringEnabled) {
      results.push({ target: target.slug, skipped: "monitoring disabled" });
      continue;
    }
    const targetAlerts = input.alertsBySlug.get(target.slug) ?? [];
    const recent = await db.verdictRecord.findMany({
      where: { targetId: target.id, evaluatedAt: { lt: now } },
      orderBy: { evaluatedAt: "desc" },
      take: STREAK_HISTORY,
      select: { status: true },
    });
    const verdict = alertVerdict(targetAlerts, recent, ALERT_SOURCES[input.source]);
    const details = {
      source: input.source,
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
  return { monitoringPaused, targets: results };
}
