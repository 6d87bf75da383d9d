"use client";
// One rollback: where it stands (state, step, traffic split), what caused it, who decided what, how it was
// verified, and every event of it from the audit history. Polls while the rollback can still change.
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useId, type ReactNode } from "react";
import type { AppRouter } from "@/server/api/root";
import { isActive } from "@/server/domain/rollback";
import { rollbackActionTitles } from "@/server/domain/incident-report/wording";
import { DataTable } from "../data-table";
import { formatDateTime, formatRelative } from "../format";
import { RollbackStatusBadge } from "../status";
import { useTRPC } from "../trpc";
import { Badge, Card, ListSkeleton, ProgressBar, QueryError } from "../ui";
import { ApprovalRule, RollbackActions } from "./rollback-actions";
import { RollbackEvidence, useNow } from "./rollback-evidence";
import {
  formatDuration,
  personName,
  snapshotHref,
  snapshotLabel,
  triggerLabels,
  type RollbackView,
  type Viewer,
} from "./rollback-format";
import { ScrollArea } from "./scroll-area";
import { StepChecks } from "./step-checks";

type AuditEvent = inferRouterOutputs<AppRouter>["audit"]["list"]["events"][number];

const POLL_MS = 3_000;

/** Still changing: active, or completed and waiting for its verification verdict. */
function isLive(rollback: Pick<RollbackView, "status" | "verification">): boolean {
  return isActive(rollback.status) || (rollback.status === "COMPLETED" && rollback.verification === "PENDING");
}

export function RollbackDetail({ rollbackId, viewer }: { rollbackId: string; viewer: Viewer }) {
  const trpc = useTRPC();
  const query = useQuery(
    trpc.rollbacks.byId.queryOptions(
      { rollbackId },
      { refetchInterval: (current) => (current.state.data && !isLive(current.state.data) ? false : POLL_MS) },
    ),
  );
  const now = useNow(5_000);

  if (query.isPending) return <ListSkeleton rows={4} label="Loading the rollback" />;
  if (query.isError) return <QueryError error={query.error} what="the rollback" />;
  const rollback = query.data;
  const live = isLive(rollback);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <RollbackStatusBadge status={rollback.status} />
        {rollback.aborted ? <Badge tone="warning">Aborted</Badge> : null}
        <Badge tone={rollback.trigger === "MANUAL" ? "neutral" : "bad"}>{triggerLabels[rollback.trigger]}</Badge>
        <span className="text-slate-600">
          of{" "}
          <Link href={`/targets/${rollback.target.slug}`} className="text-indigo-700 underline hover:text-indigo-900">
            {rollback.target.name}
          </Link>{" "}
          ({rollback.target.slug})
        </span>
        {isActive(rollback.status) ? null : (
          <Link
            href={`/rollbacks/${rollback.id}/report`}
            className="ml-auto inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100"
          >
            Incident report
          </Link>
        )}
        {live ? (
          <span className="ml-auto inline-flex items-center gap-1.5 text-xs text-slate-600">
            <span className="h-2 w-2 animate-pulse rounded-full bg-emerald-600" aria-hidden="true" />
            Live: refreshes every few seconds
          </span>
        ) : null}
      </div>

      <Progress rollback={rollback} viewer={viewer} now={now} />

      {rollback.steps.length > 1 && rollback.startedAt ? <StepChecks rollback={rollback} /> : null}

      <div className="grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(18rem,2fr)]">
        <Card>
          <RollbackEvidence rollback={rollback} />
        </Card>
        <div className="space-y-6">
          <Facts rollback={rollback} />
          <Verification rollback={rollback} now={now} />
        </div>
      </div>

      <div className="grid gap-6 lg:grid-cols-2">
        <Approvals rollback={rollback} />
        <Snapshots rollback={rollback} />
      </div>

      <Timeline rollbackId={rollback.id} live={live} />
    </div>
  );
}

function Progress({ rollback, viewer, now }: { rollback: RollbackView; viewer: Viewer; now: number }) {
  const from = snapshotLabel(rollback.fromSnapshot);
  const to = snapshotLabel(rollback.toSnapshot);
  const steps = rollback.steps.length;
  const stepOf = `step ${rollback.currentStep + 1} of ${steps}`;
  const planned = `${steps} step${steps === 1 ? "" : "s"} planned`;
  const stepText =
    rollback.status === "COMPLETED"
      ? `Completed: all ${steps} step${steps === 1 ? "" : "s"} taken`
      : isActive(rollback.status)
        ? rollback.currentStep < 0
          ? `Not started: ${planned}`
          : `Step ${rollback.currentStep + 1} of ${steps}`
        : rollback.currentStep < 0
          ? `Ended before any traffic moved (${planned})`
          : `${rollback.aborted ? "Aborted" : "Ended"} at ${stepOf}`;
  const split =
    rollback.status === "COMPLETED"
      ? `${to} became the current configuration; ${from} is marked failed`
      : isActive(rollback.status)
        ? `${100 - rollback.trafficPercent}% of traffic on ${from} (before) · ${rollback.trafficPercent}% on ${to} (known-good)`
        : `All traffic stayed on or went back to ${from}, the configuration from before`;
  return (
    <Card className="space-y-3">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-base font-semibold">{stepText}</h2>
        {rollback.policy.nextStepDueAt ? (
          <p className="text-sm text-slate-600">
            {/* After the 100% step's interval there is no next step: the rollback completes. */}
            {rollback.currentStep >= steps - 1 ? "Completes" : "Next step due"}{" "}
            <time
              dateTime={rollback.policy.nextStepDueAt.toISOString()}
              title={formatDateTime(rollback.policy.nextStepDueAt)}
            >
              {rollback.policy.nextStepDueAt.getTime() <= now
                ? "now (at the next cycle)"
                : formatRelative(rollback.policy.nextStepDueAt, new Date(now))}
            </time>
          </p>
        ) : null}
        {rollback.policy.approvalDeadline ? (
          <p className="text-sm text-slate-600">
            Approval expires{" "}
            <time
              dateTime={rollback.policy.approvalDeadline.toISOString()}
              title={formatDateTime(rollback.policy.approvalDeadline)}
            >
              {rollback.policy.approvalDeadline.getTime() <= now
                ? "now (at the next cycle)"
                : formatRelative(rollback.policy.approvalDeadline, new Date(now))}
            </time>
          </p>
        ) : null}
      </div>
      <ProgressBar
        value={rollback.status === "COMPLETED" ? 100 : rollback.trafficPercent}
        max={100}
        label={`Traffic on ${to}, the known-good snapshot`}
        tone={rollback.status === "FAILED" ? "bad" : rollback.status === "COMPLETED" ? "good" : "info"}
      />
      <p className="text-sm text-slate-700">{split}</p>
      <ol aria-label="Steps" className="flex flex-wrap gap-2 text-xs">
        {rollback.steps.map((percent, index) => {
          const done = rollback.status === "COMPLETED" || index < rollback.currentStep;
          const current = index === rollback.currentStep && rollback.status === "IN_PROGRESS";
          return (
            <li
              key={percent}
              aria-current={current ? "step" : undefined}
              className={`rounded-full px-2 py-0.5 ring-1 ring-inset ${
                current
                  ? "bg-indigo-600 text-white ring-indigo-700"
                  : done
                    ? "bg-indigo-50 text-indigo-900 ring-indigo-200"
                    : "bg-white text-slate-700 ring-slate-300"
              }`}
            >
              {percent}%{current ? " (now)" : ""}
            </li>
          );
        })}
      </ol>
      <ApprovalRule rollback={rollback} viewer={viewer} />
      <RollbackActions rollback={rollback} viewer={viewer} />
    </Card>
  );
}

function Facts({ rollback }: { rollback: RollbackView }) {
  const rows: [string, ReactNode][] = [
    [
      "Requested",
      <>
        {formatDateTime(rollback.requestedAt)} by {personName(rollback.requestedBy)}
      </>,
    ],
    ["Reason", rollback.reason ?? "—"],
    ["Policy", rollback.policyVersion === null ? "Default policy" : `Version ${rollback.policyVersion}`],
    [
      "Approvals",
      rollback.approvalsRequired === 0
        ? "None needed (automatic)"
        : `${rollback.approvalCount} of ${rollback.approvalsRequired}`,
    ],
    ["Traffic first moved", rollback.startedAt ? formatDateTime(rollback.startedAt) : "Not yet"],
    ["Breach to action", rollback.timeToActionMs === null ? "—" : formatDuration(rollback.timeToActionMs)],
  ];
  if (rollback.endedAt) {
    rows.push([
      "Ended",
      `${formatDateTime(rollback.endedAt)}${rollback.endedBy ? ` by ${personName(rollback.endedBy)}` : ""}`,
    ]);
    if (rollback.endReason) rows.push([rollback.status === "REJECTED" ? "Comment" : "Why", rollback.endReason]);
  }
  return (
    <Card>
      <h2 className="mb-3 text-base font-semibold">Details</h2>
      <dl className="grid grid-cols-[minmax(7rem,auto)_1fr] gap-x-4 gap-y-2 text-sm">
        {rows.map(([term, value]) => (
          <div key={term} className="contents">
            <dt className="text-slate-600">{term}</dt>
            <dd className="min-w-0 break-words">{value}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}

function Verification({ rollback, now }: { rollback: RollbackView; now: number }) {
  const to = snapshotLabel(rollback.toSnapshot);
  let body: ReactNode;
  switch (rollback.verification) {
    case "EFFECTIVE":
      body = (
        <p>
          <Badge tone="good">Effective</Badge> {to}&apos;s own traffic after it completed was judged healthy: {to}{" "}
          holds. Judged {formatDateTime(rollback.verifiedAt)}.
        </p>
      );
      break;
    case "INCONCLUSIVE":
      body = (
        <p>
          <Badge tone="warning">Inconclusive: too little traffic</Badge> Not enough traffic reached {to} within the
          verification window after it completed to judge it (judged {formatDateTime(rollback.verifiedAt)}): nothing
          shows that the rollback worked, or that it did not. Check the target&apos;s traffic.
        </p>
      );
      break;
    case "INEFFECTIVE":
      body = (
        <p>
          <Badge tone="bad">Ineffective</Badge> The target still breached on {to}, the previous known-good snapshot
          (judged {formatDateTime(rollback.verifiedAt)}). A breach that survives a rollback points at an upstream or
          provider outage rather than at the configuration.
        </p>
      );
      break;
    case "PENDING":
      body = (
        <p>
          <Badge tone="info">Watching</Badge> Rewind is checking that the SLOs recover on {to}
          {rollback.policy.verificationEndsAt
            ? `; it is judged effective ${
                rollback.policy.verificationEndsAt.getTime() <= now
                  ? "at the next cycle"
                  : formatRelative(rollback.policy.verificationEndsAt, new Date(now))
              } unless the target breaches before then`
            : ""}
          .
        </p>
      );
      break;
    default:
      body = (
        <p className="text-slate-600">
          {rollback.status === "COMPLETED" || isActive(rollback.status)
            ? "Verification starts when the rollback completes."
            : "Not verified: the rollback did not complete."}
        </p>
      );
  }
  return (
    <Card>
      <h2 className="mb-2 text-base font-semibold">Verification</h2>
      <div className="text-sm">{body}</div>
    </Card>
  );
}

function Approvals({ rollback }: { rollback: RollbackView }) {
  return (
    <Card>
      <h2 className="mb-3 text-base font-semibold">Approvals</h2>
      {rollback.approvals.length === 0 ? (
        <p className="text-sm text-slate-600">
          {rollback.approvalsRequired === 0
            ? "None: Rewind started it without approval (an automatic policy or an emergency)."
            : "No one has approved or rejected it."}
        </p>
      ) : (
        <ScrollArea label="Approvals and rejections">
          <DataTable
            label="Approvals and rejections"
            density="inline"
            head="plain"
            rows={rollback.approvals}
            rowKey={(approval) => `${approval.user?.id ?? "deleted"}-${approval.at.getTime()}`}
            columns={[
              {
                id: "who",
                header: "Who",
                cell: (approval) => (
                  <>
                    {personName(approval.user, "A deleted user")}
                    {approval.user ? <span className="block text-xs text-slate-600">{approval.user.email}</span> : null}
                  </>
                ),
              },
              {
                id: "decision",
                header: "Decision",
                cell: (approval) => (
                  <Badge tone={approval.decision === "APPROVE" ? "good" : "bad"}>
                    {approval.decision === "APPROVE" ? "Approved" : "Rejected"}
                  </Badge>
                ),
              },
              {
                id: "when",
                header: "When",
                className: "whitespace-nowrap",
                cell: (approval) => formatDateTime(approval.at),
              },
              {
                id: "comment",
                header: "Comment",
                cell: (approval) => approval.comment ?? <span className="text-slate-600">—</span>,
              },
            ]}
          />
        </ScrollArea>
      )}
    </Card>
  );
}

function Snapshots({ rollback }: { rollback: RollbackView }) {
  const weightOf = (id: string) => rollback.trafficSplit.find((share) => share.snapshotId === id)?.weight ?? 0;
  const completed = rollback.status === "COMPLETED";
  const rows = [
    {
      role: "From (before the rollback)",
      snapshot: rollback.fromSnapshot,
      note: completed ? "Marked failed when the rollback completed" : null,
    },
    {
      role: "To (known-good)",
      snapshot: rollback.toSnapshot,
      note: completed ? "Became the current configuration" : null,
    },
  ];
  const live = isActive(rollback.status);
  return (
    <Card>
      <h2 className="mb-3 text-base font-semibold">Snapshots</h2>
      <ul className="space-y-2 text-sm">
        {rows.map(({ role, snapshot, note }) => (
          <li key={role} className="flex flex-wrap items-baseline justify-between gap-2">
            <span>
              <span className="text-slate-600">{role}: </span>
              <Link
                href={snapshotHref(rollback.target.slug, snapshot.id)}
                className="font-medium text-indigo-700 underline hover:text-indigo-900"
              >
                {snapshotLabel(snapshot)}
              </Link>
            </span>
            {live ? (
              <span className="text-slate-700 tabular-nums">{weightOf(snapshot.id)}% of traffic now</span>
            ) : note ? (
              <span className="text-slate-600">{note}</span>
            ) : null}
          </li>
        ))}
      </ul>
    </Card>
  );
}

/** `before`/`after` of a rollback's audit event: { status, trafficPercent, approvals, ... }. */
function stateOf(value: unknown): { status?: string; trafficPercent?: number; killSwitchesTurnedOff: string[] } {
  const record: Record<string, unknown> =
    value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const switches = record.killSwitchesTurnedOff;
  return {
    ...(typeof record.status === "string" && { status: record.status }),
    ...(typeof record.trafficPercent === "number" && { trafficPercent: record.trafficPercent }),
    killSwitchesTurnedOff: Array.isArray(switches) ? switches.filter((key) => typeof key === "string") : [],
  };
}

function actorName(event: AuditEvent): string {
  if (event.actorType === "SYSTEM") return event.actorId?.startsWith("cli:") ? "The command line" : "Rewind";
  if (event.actorType === "API_KEY") return event.actor?.name ?? "A deleted API key";
  return event.actor ? event.actor.name || event.actor.email || "A user" : "A deleted user";
}

function Timeline({ rollbackId, live }: { rollbackId: string; live: boolean }) {
  const trpc = useTRPC();
  const events = useQuery(
    trpc.audit.list.queryOptions(
      { filter: { entityType: "Rollback", entityId: rollbackId }, limit: 200 },
      { refetchInterval: live ? POLL_MS : false },
    ),
  );
  const headingId = useId();
  return (
    <Card>
      <h2 id={headingId} className="mb-3 text-base font-semibold">
        Timeline
      </h2>
      {events.isPending ? (
        <ListSkeleton rows={3} label="Loading the timeline" />
      ) : events.isError ? (
        <QueryError error={events.error} what="the timeline" />
      ) : events.data.events.length === 0 ? (
        <p className="text-sm text-slate-600">No events recorded.</p>
      ) : (
        <ol aria-labelledby={headingId} className="relative space-y-4 border-l border-slate-200 pl-5">
          {[...events.data.events].reverse().map((event) => {
            const before = stateOf(event.before);
            const after = stateOf(event.after);
            const traffic =
              after.trafficPercent !== undefined && after.trafficPercent !== (before.trafficPercent ?? 0)
                ? `traffic on the known-good snapshot ${before.trafficPercent ?? 0}% → ${after.trafficPercent}%`
                : null;
            return (
              <li key={event.id} className="relative">
                <span
                  className="absolute top-1.5 -left-[1.6rem] h-2.5 w-2.5 rounded-full bg-indigo-600 ring-2 ring-white"
                  aria-hidden="true"
                />
                <p className="text-sm">
                  <span className="font-medium">{rollbackActionTitles[event.action] ?? event.action}</span>{" "}
                  <span className="text-slate-600">by {actorName(event)}</span>
                </p>
                <p className="text-xs text-slate-600">
                  <time dateTime={event.at.toISOString()}>{formatDateTime(event.at)}</time>
                  {after.status && after.status !== before.status
                    ? ` · status ${after.status.toLowerCase().replace(/_/g, " ")}`
                    : ""}
                  {traffic ? ` · ${traffic}` : ""} · #{event.sequence}
                </p>
                {after.killSwitchesTurnedOff.length > 0 ? (
                  <p className="text-sm text-slate-700">
                    Kill switches turned off: {after.killSwitchesTurnedOff.join(", ")}
                  </p>
                ) : null}
                {event.reason ? <p className="mt-0.5 text-sm text-slate-700">{event.reason}</p> : null}
              </li>
            );
          })}
        </ol>
      )}
    </Card>
  );
}
