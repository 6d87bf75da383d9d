"use client";
// One target on the overview: how it is doing now, what it runs, any rollback under way (a proposal with its
// approve and reject buttons), the last hour. Every figure names its window; old ones are muted with their age.
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import type { AppRouter } from "@/server/api/root";
import type { AttentionLevel } from "@/server/domain/overview";
import { formatSloValue, slos, unitFormats } from "@/server/domain/slo";
import { shownSlos } from "../charts/metric-chart";
import { formatDateTime, formatRelative } from "../format";
import { RollbackActions } from "../rollbacks/rollback-actions";
import type { RollbackView, Viewer } from "../rollbacks/rollback-format";
import { RollbackStatusBadge, VerdictBadge } from "../status";
import { Badge, ProgressBar } from "../ui";
import { staleAge, windowText } from "./readings";
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

export function TargetCard({
  target,
  now,
  viewer,
  pending,
}: {
  target: OverviewTarget;
  now: Date;
  viewer: Viewer;
  /** The approvals queue's view of the target's proposal, once loaded: what approve and reject need. */
  pending?: RollbackView | undefined;
}) {
  const { verdict, activeRollback: rollback } = target;
  const headingId = `target-${target.id}`;
  const steps = { from: target.sparklines.from, stepMs: target.sparklines.stepMs, now };
  const figures = verdict?.observed ? shownSlos([verdict.observed]) : [];
  const age = verdict ? staleAge(verdict.evaluatedAt, now) : null;
  // Figures of a window too thin to judge, or of a verdict no cycle has renewed, are context, not news.
  const muted = age !== null || verdict?.status === "INSUFFICIENT_DATA";
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
          {/* Wrapped, never cut: names of one family differ at their end ("Chat (staging)", "Chat (prod)"). */}
          <h4 id={headingId} className="text-base font-semibold [overflow-wrap:anywhere]">
            {/* The whole card is the link's hit area; the rollback link below sits above it. */}
            <Link
              href={`/targets/${target.slug}`}
              className="after:absolute after:inset-0 after:content-[''] focus:outline-none"
            >
              {target.name}
            </Link>
          </h4>
          <p className="font-mono text-xs [overflow-wrap:anywhere] text-slate-600">{target.slug}</p>
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
            <time
              dateTime={verdict.evaluatedAt.toISOString()}
              title={formatDateTime(verdict.evaluatedAt)}
              className="text-xs text-slate-600"
            >
              {formatRelative(verdict.evaluatedAt, now)}
            </time>
          ) : null}
        </div>
      </header>

      <p
        className="line-clamp-4 text-sm text-slate-700"
        title={(target.monitoringEnabled && verdict?.explanation) || undefined}
      >
        {!target.monitoringEnabled
          ? "Not evaluated and never rolled back until monitoring is turned on again."
          : verdict
            ? (verdict.explanation ?? "The stored verdict could not be read.")
            : "No verdict yet: it appears once the target has traffic and the next monitoring cycle runs."}
      </p>

      {verdict?.observed && target.monitoringEnabled ? (
        <div>
          <dl className={`grid gap-2 text-xs ${figures.length % 2 === 0 ? "grid-cols-2" : "grid-cols-3"}`}>
            {figures.map((slo) => (
              <Figure
                key={slo.id}
                label={slo.title}
                window={`over ${windowText(verdict.observed?.windowSeconds ?? 0)}`}
                value={formatSloValue(slo.id, verdict.observed?.[slo.reading])}
                muted={muted}
              />
            ))}
          </dl>
          {age ? (
            <p className="mt-1 text-right text-xs text-slate-600">
              Figures {age}: no newer verdict
              {verdict.status === "INSUFFICIENT_DATA" ? " (without traffic, judged again when metrics arrive)" : ""}
            </p>
          ) : null}
        </div>
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
        <RollbackBox target={target} rollback={rollback} viewer={viewer} pending={pending} now={now} />
      ) : null}

      <div className="mt-auto grid grid-cols-2 gap-x-3 gap-y-2">
        <p className="col-span-2 text-xs font-medium text-slate-700">
          Last hour, a point per {windowText(target.sparklines.stepMs / 1000)}
        </p>
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

function Figure({ label, window, value, muted }: { label: string; window: string; value: string; muted: boolean }) {
  return (
    <div className="rounded bg-slate-50 px-2 py-1">
      <dt className="text-slate-600">
        {label} <span className="whitespace-nowrap">{window}</span>
      </dt>
      <dd className={`tabular-nums ${muted ? "text-slate-600" : "font-medium text-slate-900"}`}>{value}</dd>
    </div>
  );
}

const version = (snapshot: { version: number | null }) => `v${snapshot.version ?? "?"}`;

/**
 * The rollback under way. A proposal is not a rollback yet: it says so, shows no traffic bar, and offers the
 * decision (approvers) or says who may take it; once approved, the steps and the traffic split.
 */
function RollbackBox({
  target,
  rollback,
  viewer,
  pending,
  now,
}: {
  target: OverviewTarget;
  rollback: NonNullable<OverviewTarget["activeRollback"]>;
  viewer: Viewer;
  pending: RollbackView | undefined;
  now: Date;
}) {
  const proposal = rollback.status === "PENDING_APPROVAL";
  const kind = rollback.trigger === "EMERGENCY" ? "emergency rollback" : "rollback";
  const deadline = pending?.policy.approvalDeadline ?? null;
  const lastStep = rollback.stepCount > 0 && rollback.step >= rollback.stepCount;
  return (
    <div className={`space-y-1.5 rounded-md p-2 text-sm ${proposal ? "bg-amber-50" : "bg-indigo-50"}`}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <Link
          href={`/rollbacks/${rollback.id}`}
          className="relative z-10 font-medium text-indigo-800 underline underline-offset-2 hover:text-indigo-950"
        >
          {proposal ? `Proposed ${kind}` : kind.charAt(0).toUpperCase() + kind.slice(1)} to {version(rollback.to)}{" "}
          <span className="sr-only">of {target.name}</span>
        </Link>
        <RollbackStatusBadge status={rollback.status} />
      </div>
      {proposal ? (
        <>
          <p className="text-xs text-slate-700">
            Awaiting approval: no traffic moves until it is approved
            {pending ? ` (${pending.approvalCount} of ${pending.approvalsRequired})` : ""}
            {deadline ? (
              <>
                {" "}
                · expires{" "}
                <time dateTime={deadline.toISOString()} title={formatDateTime(deadline)}>
                  {deadline.getTime() <= now.getTime() ? "at the next cycle" : formatRelative(deadline, now)}
                </time>
              </>
            ) : null}
          </p>
          {pending ? (
            // Above the card's link area, like the rollback link.
            <div className="relative z-10 [&_p]:text-xs">
              <RollbackActions rollback={pending} viewer={viewer} only="decision" />
            </div>
          ) : null}
        </>
      ) : (
        <>
          <ProgressBar
            value={rollback.trafficPercent}
            max={100}
            label={`Rollback of ${target.name}: ${rollback.trafficPercent}% of traffic on ${version(rollback.to)}`}
          />
          <p className="text-xs text-slate-700">
            {rollback.step === 0
              ? "Approved: traffic starts moving at the next cycle"
              : lastStep
                ? `Last step (${rollback.step} of ${rollback.stepCount}): all traffic on ${version(rollback.to)}, completes after this step's interval`
                : `Step ${rollback.step} of ${rollback.stepCount} · ${rollback.trafficPercent}% on ${version(rollback.to)}, ${100 - rollback.trafficPercent}% still on ${version(rollback.from)}`}
          </p>
        </>
      )}
    </div>
  );
}
