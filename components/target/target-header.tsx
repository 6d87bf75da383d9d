"use client";
// The target's name, verdict and monitoring switch. Turning monitoring off asks first: a target not monitored
// is never evaluated or rolled back. Turning it on again does not.
import Link from "next/link";
import type { ButtonHTMLAttributes } from "react";
import type { RoleName } from "@/server/domain/roles";
import { hasRole } from "@/server/domain/roles";
import { ConfirmDialog } from "../confirm-dialog";
import { formatRelative } from "../format";
import { VerdictBadge } from "../status";
import { useToast } from "../toast";
import { Badge } from "../ui";
import type { PerformanceRollback } from "../use-performance-rollback";

function MonitoringSwitch({
  checked,
  busy,
  ...props
}: { checked: boolean; busy: boolean } & Omit<ButtonHTMLAttributes<HTMLButtonElement>, "role">) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-busy={busy || undefined}
      className="inline-flex items-center gap-2 rounded-full text-sm font-medium text-slate-800 disabled:cursor-not-allowed disabled:opacity-60"
      {...props}
    >
      <span
        aria-hidden="true"
        className={`relative inline-flex h-6 w-11 shrink-0 items-center rounded-full transition-colors ${
          checked ? "bg-emerald-600" : "bg-slate-400"
        } ${busy ? "animate-pulse" : ""}`}
      >
        <span
          className={`inline-block h-5 w-5 rounded-full bg-white shadow transition-transform ${
            checked ? "translate-x-5" : "translate-x-0.5"
          }`}
        />
      </span>
      Monitoring
    </button>
  );
}

export function TargetHeader({ perf, role, name }: { perf: PerformanceRollback; role: RoleName; name: string }) {
  const toast = useToast();
  const target = perf.target;
  const verdict = perf.verdict;
  const canOperate = hasRole(role, "OPERATOR");
  const monitoring = target?.monitoringEnabled ?? true;

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
        trigger={<MonitoringSwitch checked busy={perf.pending.monitoring} disabled={!canOperate} />}
        title={`Stop monitoring ${target.name}?`}
        description="Rewind stops evaluating this target: no verdicts, no notifications and no rollbacks, automatic or emergency, until monitoring is turned on again."
        confirmLabel="Stop monitoring"
        tone="danger"
        onConfirm={() => switchMonitoring(false)}
      />
    ) : (
      <MonitoringSwitch
        checked={false}
        busy={perf.pending.monitoring}
        disabled={!canOperate || perf.pending.monitoring}
        onClick={() => void switchMonitoring(true).catch(() => undefined)}
      />
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
        <p className="text-sm text-slate-700">
          <span className="font-medium">Latest verdict</span>{" "}
          <time dateTime={verdict.evaluatedAt.toISOString()} title={verdict.evaluatedAt.toLocaleString("en-GB")}>
            {formatRelative(verdict.evaluatedAt)}
          </time>
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
