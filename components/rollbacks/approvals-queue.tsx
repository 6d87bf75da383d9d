"use client";
// The approvals queue: every rollback waiting for approval with its evidence, and the decision buttons.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTime, formatRelative } from "../format";
import { useTRPC } from "../trpc";
import { Badge, Card, EmptyState, ListSkeleton, QueryError } from "../ui";
import { ApprovalRule, RollbackActions } from "./rollback-actions";
import { RollbackEvidence, useNow } from "./rollback-evidence";
import {
  personName,
  snapshotHref,
  snapshotLabel,
  triggerLabels,
  type RollbackView,
  type Viewer,
} from "./rollback-format";

export function ApprovalsQueue({ viewer }: { viewer: Viewer }) {
  const trpc = useTRPC();
  const pending = useQuery(trpc.rollbacks.pending.queryOptions(undefined, { refetchInterval: 5_000 }));
  const now = useNow(5_000);

  if (pending.isPending) return <ListSkeleton rows={2} label="Loading rollbacks waiting for approval" />;
  if (pending.isError) return <QueryError error={pending.error} what="the rollbacks waiting for approval" />;
  if (pending.data.length === 0) {
    return (
      <EmptyState title="No rollback is waiting for approval">
        Rewind proposes one when a target breaches its SLO; see{" "}
        <Link href="/rollbacks" className="text-indigo-700 underline hover:text-indigo-900">
          /rollbacks
        </Link>{" "}
        for history.
      </EmptyState>
    );
  }
  return (
    <div className="space-y-6">
      <p className="text-sm text-slate-600" aria-live="polite">
        {pending.data.length} rollback{pending.data.length === 1 ? "" : "s"} waiting for approval, the one expiring
        first at the top. This page refreshes every few seconds.
      </p>
      {pending.data.map((rollback) => (
        <PendingRollback key={rollback.id} rollback={rollback} viewer={viewer} now={now} />
      ))}
    </div>
  );
}

function PendingRollback({ rollback, viewer, now }: { rollback: RollbackView; viewer: Viewer; now: number }) {
  const deadline = rollback.policy.approvalDeadline;
  const headingId = `pending-${rollback.id}`;
  return (
    <Card className="space-y-4">
      <article aria-labelledby={headingId} className="space-y-4">
        <header className="flex flex-wrap items-start justify-between gap-3">
          <div className="space-y-1">
            <h2 id={headingId} className="text-lg font-semibold">
              Roll back{" "}
              <Link
                href={`/targets/${rollback.target.slug}`}
                className="text-indigo-700 underline hover:text-indigo-900"
              >
                {rollback.target.name}
              </Link>
            </h2>
            <p className="text-sm text-slate-600">
              <Badge tone={rollback.trigger === "MANUAL" ? "neutral" : "bad"}>{triggerLabels[rollback.trigger]}</Badge>{" "}
              requested{" "}
              <time dateTime={rollback.requestedAt.toISOString()} title={formatDateTime(rollback.requestedAt)}>
                {formatRelative(rollback.requestedAt, new Date(now))}
              </time>{" "}
              by {personName(rollback.requestedBy)}
            </p>
          </div>
          {deadline ? (
            <p className="text-sm">
              <span className="text-slate-600">Expires </span>
              <time
                dateTime={deadline.toISOString()}
                title={formatDateTime(deadline)}
                className={deadline.getTime() - now < 5 * 60_000 ? "font-semibold text-red-800" : "font-medium"}
              >
                {deadline.getTime() <= now ? "now (at the next cycle)" : formatRelative(deadline, new Date(now))}
              </time>
            </p>
          ) : null}
        </header>
        {rollback.reason ? <p className="text-sm">{rollback.reason}</p> : null}
        <p className="text-sm text-slate-700">
          Moves traffic from{" "}
          <Link
            href={snapshotHref(rollback.target.slug, rollback.fromSnapshot.id)}
            className="font-medium text-indigo-700 underline"
          >
            {snapshotLabel(rollback.fromSnapshot)}
          </Link>{" "}
          back to{" "}
          <Link
            href={snapshotHref(rollback.target.slug, rollback.toSnapshot.id)}
            className="font-medium text-indigo-700 underline"
          >
            {snapshotLabel(rollback.toSnapshot)}
          </Link>{" "}
          in steps of {rollback.steps.join("/")}%.
        </p>
        <div className="grid gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(16rem,1fr)]">
          <RollbackEvidence rollback={rollback} />
          <div className="space-y-3">
            <h3 className="text-sm font-semibold">Decision</h3>
            <ApprovalRule rollback={rollback} viewer={viewer} />
            {rollback.approvals.length > 0 ? (
              <ul className="space-y-1 text-sm">
                {rollback.approvals.map((approval) => (
                  <li key={`${approval.user?.id ?? "deleted"}-${approval.at.getTime()}`}>
                    <span className="font-medium">{personName(approval.user, "A deleted user")}</span> approved{" "}
                    <time dateTime={approval.at.toISOString()} title={formatDateTime(approval.at)}>
                      {formatRelative(approval.at, new Date(now))}
                    </time>
                    {approval.comment ? <span className="text-slate-700">: “{approval.comment}”</span> : null}
                  </li>
                ))}
              </ul>
            ) : null}
            <RollbackActions rollback={rollback} viewer={viewer} layout="row" />
            <p className="text-sm">
              <Link href={`/rollbacks/${rollback.id}`} className="text-indigo-700 underline hover:text-indigo-900">
                Open the rollback page
              </Link>
            </p>
          </div>
        </div>
      </article>
    </Card>
  );
}
