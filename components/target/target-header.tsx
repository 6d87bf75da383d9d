"use client";
// The target's name, verdict and monitoring switch. Turning monitoring off asks first: a target not monitored
// is never evaluated or rolled back. Turning it on again does not.
import Link from "next/link";
import type { RoleName } from "@/server/domain/roles";
import { hasRole } from "@/server/domain/roles";
import { ConfirmDialog } from "../confirm-dialog";
import { formatRelative } from "../format";
import { staleAge } from "../overview/readings";
import { VerdictBadge } from "../status";
import { useToast } from "../toast";
import { Badge, Switch } from "../ui";
import type { PerformanceRollback } from "../use-performance-rollback";

export function TargetHeader({ perf, role, name }: { perf: PerformanceRollback; role: RoleName; name: string }) {
  const toast = useToast();
  const target = perf.target;
  const verdict = perf.verdict;
  const canOperate = hasRole(role, "OPERATOR");
  const monitoring = target?.monitoringEnabled ?? true;
  const age = verdict ? staleAge(verdict.evaluatedAt, new Date()) : null;

  async function switchMonitoring(enabled: boolean) {
    try {
      await (enabled ? perf.startMonitoring() : perf.stopMonitoring());
      toast(`Monitoring of ${target?.slug ?? "the target"} turned ${enabled ? "on" : "off"}`);
    } catch (error) {
      toast((error as Error).message, "error");
      throw error;
    }
  }

  const toggle = target ? (
    monitoring ? (
      <ConfirmDialog
        trigger={
          <Switch checked busy={perf.pending.monitoring} disabled={!canOperate}>
            Monitoring
          </Switch>
        }
        title={`Stop monitoring ${target.name}?`}
        description="Rewind stops evaluating this target: no verdicts, no notifications and no rollbacks, automatic or emergency, until monitoring is turned on again."
        confirmLabel="Stop monitoring"
        tone="danger"
        onConfirm={() => switchMonitoring(false)}
      />
    ) : (
      <Switch
        checked={false}
        busy={perf.pending.monitoring}
        disabled={!canOperate || perf.pending.monitoring}
        onClick={() => void switchMonitoring(true).catch(() => undefined)}
      >
        Monitoring
      </Switch>
    )
  ) : null;

  return (
    <header className="mb-6 space-y-2">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link href="/" className="text-indigo-700 underline hover:text-indigo-900">
          Overview
        </Link>
      </nav>
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0 space-y-1">
          <div className="flex flex-wrap items-center gap-2">
            <h1 className="text-2xl font-semibold tracking-tight">{target?.name ?? name}</h1>
            {verdict !== undefined ? (
              <VerdictBadge verdict={verdict && { status: verdict.status, severity: verdict.severity ?? undefined }} />
            ) : null}
            {target && !monitoring ? <Badge tone="warning">Not monitored</Badge> : null}
          </div>
          <p className="text-sm text-slate-600">
            <span className="font-mono">{target?.slug}</span>
            {target?.description ? ` · ${target.description}` : null}
          </p>
        </div>
        <div className="flex flex-col items-end gap-1">
          {toggle}
          {!canOperate ? <p className="text-xs text-slate-600">Switching monitoring needs the operator role</p> : null}
        </div>
      </div>
      {verdict ? (
        <p className={`text-sm ${age ? "text-slate-600" : "text-slate-700"}`}>
          <span className="font-medium">Latest verdict</span>{" "}
          <time dateTime={verdict.evaluatedAt.toISOString()} title={verdict.evaluatedAt.toLocaleString("en-GB")}>
            {formatRelative(verdict.evaluatedAt)}
          </time>
          {age
            ? verdict.status === "INSUFFICIENT_DATA"
              ? " (no newer one: a target without traffic is judged again when metrics arrive)"
              : " (no newer one: monitoring has not evaluated this target since)"
            : ""}
          : {verdict.details.explanation}
        </p>
      ) : verdict === null ? (
        <p className="text-sm text-slate-700">
          {monitoring
            ? "Not evaluated yet: the monitoring cycle records a verdict every few seconds once metrics arrive."
            : "Not evaluated: monitoring is off."}
        </p>
      ) : null}
    </header>
  );
}
