"use client";
// One target on the overview: how it is doing now, what it runs, any rollback under way, the last hour.
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import type { AppRouter } from "@/server/api/root";
import type { AttentionLevel } from "@/server/domain/overview";
import { formatSloValue, slos, unitFormats } from "@/server/domain/slo";
import { shownSlos } from "../charts/metric-chart";
import { formatRelative } from "../format";
import { RollbackStatusBadge, VerdictBadge } from "../status";
import { Badge, ProgressBar } from "../ui";
import { Sparkline } from "./sparkline";

export type OverviewData = inferRouterOutputs<AppRouter>["dashboard"]["overview"];
export type OverviewTarget = OverviewData["targets"][number];

const attentionBorder: Record<AttentionLevel, string> = {
  EMERGENCY: "border-l-red-700",
  BREACH: "border-l-red-500",
  VIOLATION: "border-l-amber-500",
  ROLLBACK: "border-l-indigo-500",
  NO_DATA: "border-l-slate-400",
  HEALTHY: "border-l-emerald-500",
};

/** The last hour of an SLO, when the overview sends a sparkline of it (it sends none for cost). */
export function TargetCard({ target, now }: { target: OverviewTarget; now: Date }) {
  const { verdict, activeRollback: rollback } = target;
  const headingId = `target-${target.id}`;
  const steps = { from: target.sparklines.from, stepMs: target.sparklines.stepMs, now };
  const figures = verdict?.observed ? shownSlos([verdict.observed]) : [];
  const sparklines = slos.flatMap((slo) => {
    const values = target.sparklines[slo.reading];
    return slo.shownWithoutData || values.some((value) => value !== null) ? [{ slo, values }] : [];
  });
  return (
    <article
      aria-labelledby={headingId}
      className={`relative flex min-w-0 flex-col gap-3 rounded-lg border border-l-4 border-slate-200 bg-white p-4 shadow-sm focus-within:ring-2 focus-within:ring-indigo-500 hover:shadow-md ${attentionBorder[target.attention]}`}
    >
      <header className="flex items-start justify-between gap-2">
        <div className="min-w-0">
          <h3 id={headingId} className="truncate text-base font-semibold">
            {/* The whole card is the link's hit area; the rollback link below sits above it. */}
            <Link
              href={`/targets/${target.slug}`}
              className="after:absolute after:inset-0 after:content-[''] focus:outline-none"
            >
              {target.name}
            </Link>
          </h3>
          <p className="truncate font-mono text-xs text-slate-600">{target.slug}</p>
        </div>
        <div className="flex shrink-0 flex-col items-end gap-1">
          {target.monitoringEnabled ? (
            <VerdictBadge
              verdict={verdict ? { status: verdict.status, severity: verdict.severity ?? undefined } : null}
            />
          ) : (
            <Badge tone="neutral">Monitoring off</Badge>
          )}
          {verdict ? (
            <span className="text-xs text-slate-600" title={verdict.evaluatedAt.toISOString()}>
              {formatRelative(verdict.evaluatedAt, now)}
            </span>
          ) : null}
        </div>
      </header>

      <p className="line-clamp-3 text-sm text-slate-700">
        {!target.monitoringEnabled
          ? "Not evaluated and never rolled back until monitoring is turned on again."
          : verdict
            ? (verdict.explanation ?? "The stored verdict could not be read.")
            : "No verdict yet: it appears once the target has traffic and the next monitoring cycle runs."}
      </p>

      {verdict?.observed && target.monitoringEnabled ? (
        <dl className={`grid gap-2 text-xs ${figures.length % 2 === 0 ? "grid-cols-2" : "grid-cols-3"}`}>
          {figures.map((slo) => (
            <Figure key={slo.id} label={slo.title} value={formatSloValue(slo.id, verdict.observed?.[slo.reading])} />
          ))}
        </dl>
      ) : null}

      <p className="text-sm text-slate-700">
        Snapshot:{" "}
        {target.currentSnapshot ? (
          <span className="font-medium text-slate-900">v{target.currentSnapshot.version ?? "?"}</span>
        ) : (
          <span className="text-slate-600">none published</span>
        )}
      </p>

      {rollback ? (
        <div className="space-y-1.5 rounded-md bg-indigo-50 p-2 text-sm">
          <div className="flex flex-wrap items-center justify-between gap-2">
            <Link
              href={`/rollbacks/${rollback.id}`}
              className="relative z-10 font-medium text-indigo-800 underline underline-offset-2 hover:text-indigo-950"
            >
              {rollback.trigger === "EMERGENCY" ? "Emergency rollback" : "Rollback"} to v{rollback.to.version ?? "?"}{" "}
              <span className="sr-only">of {target.name}</span>
            </Link>
            <RollbackStatusBadge status={rollback.status} />
          </div>
          <ProgressBar
            value={rollback.trafficPercent}
            max={100}
            label={`Rollback of ${target.name}: ${rollback.trafficPercent}% of traffic on v${rollback.to.version ?? "?"}`}
          />
          <p className="text-xs text-slate-700">
            {rollback.status === "PENDING_APPROVAL"
              ? "Waiting for approval"
              : rollback.step === 0
                ? "Not started"
                : `Step ${rollback.step} of ${rollback.stepCount}`}{" "}
            · {rollback.trafficPercent}% on v{rollback.to.version ?? "?"}, {100 - rollback.trafficPercent}% on v
            {rollback.from.version ?? "?"}
          </p>
        </div>
      ) : null}

      <div className="mt-auto grid grid-cols-2 gap-3">
        {sparklines.map(({ slo, values }) => (
          <Sparkline
            key={slo.id}
            title={slo.title}
            values={values}
            format={unitFormats[slo.unit]}
            color={slo.color}
            {...steps}
          />
        ))}
      </div>
    </article>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div className="rounded bg-slate-50 px-2 py-1">
      <dt className="text-slate-600">{label}</dt>
      <dd className="font-medium text-slate-900 tabular-nums">{value}</dd>
    </div>
  );
}
