"use client";
// The active rollback with its decision or progress, a manual rollback request, and the target's recent
// rollbacks. Roles decide what is offered; the server checks again.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import type { RoleName } from "@/server/domain/roles";
import { hasRole } from "@/server/domain/roles";
import type { RollbackTrigger } from "@/server/domain/rollback";
import { ConfirmDialog } from "../confirm-dialog";
import { issuesOf } from "../form-errors";
import { formatDateTime, formatRelative } from "../format";
import { ApprovalRule, RollbackActions } from "../rollbacks/rollback-actions";
import { useNow } from "../rollbacks/rollback-evidence";
import { personName, type Viewer } from "../rollbacks/rollback-format";
import { RollbackStatusBadge } from "../status";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Button, Card, FieldError, inputClass, ProgressBar, QueryError, Skeleton } from "../ui";
import type { PerformanceRollback, RollbackDetailView, RollbackView, SnapshotView } from "../use-performance-rollback";

const triggerText: Record<RollbackTrigger, string> = {
  EMERGENCY: "Emergency rollback",
  SLO: "Rollback after an SLO breach",
  MANUAL: "Manual rollback",
};
const linkClass = "text-sm text-indigo-700 underline hover:text-indigo-900";
const version = (snapshot: { version: number | null }) =>
  snapshot.version === null ? "a deleted snapshot" : `v${snapshot.version}`;

/**
 * The target's active rollback where the engineer looks first: a proposal with Approve as the call to action (the
 * approvals page's buttons, dialogs and two-person rule), Reject and Cancel beside it as secondary buttons; a
 * rollback under way with its step, split and when the next step (or completion) is due.
 */
export function ActiveRollbackCard({ perf, viewer }: { perf: PerformanceRollback; viewer: Viewer }) {
  const trpc = useTRPC();
  const rollback = perf.activeRollback;
  // The list item lacks approvals and deadlines; the rollback's own view has them, polled like the page.
  const view = useQuery(
    trpc.rollbacks.byId.queryOptions(
      { rollbackId: rollback?.id ?? "" },
      { enabled: rollback !== null, refetchInterval: 5_000 },
    ),
  );
  const now = useNow(5_000);
  if (!rollback) return null;
  const detail = view.data?.id === rollback.id ? view.data : undefined;
  const status = detail?.status ?? rollback.status;
  const steps = rollback.steps.length;
  const lastStep = rollback.currentStep >= steps - 1;
  const deadline = detail?.policy.approvalDeadline ?? null;
  const stepDue = detail?.policy.nextStepDueAt ?? null;
  const when = (at: Date) => (
    <time dateTime={at.toISOString()} title={formatDateTime(at)}>
      {at.getTime() <= now ? "at the next cycle" : formatRelative(at, new Date(now))}
    </time>
  );

  return (
    <section aria-labelledby="active-rollback-heading" className="mb-6">
      <Card
        className={
          status === "PENDING_APPROVAL"
            ? "border-amber-300 ring-1 ring-amber-200"
            : "border-indigo-300 ring-1 ring-indigo-200"
        }
      >
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h2 id="active-rollback-heading" className="flex flex-wrap items-center gap-2 text-base font-medium">
            {status === "PENDING_APPROVAL"
              ? `Proposed ${triggerText[rollback.trigger].replace(/^./, (first) => first.toLowerCase())}`
              : triggerText[rollback.trigger]}{" "}
            <RollbackStatusBadge status={status} />
          </h2>
          <Link href={`/rollbacks/${rollback.id}`} className={linkClass}>
            Open the rollback
          </Link>
        </div>
        <p className="mt-1 text-sm text-slate-700">
          From {version(rollback.fromSnapshot)} to {version(rollback.toSnapshot)}, requested{" "}
          {`by ${personName(rollback.requestedBy)} `}
          <time dateTime={rollback.requestedAt.toISOString()} title={formatDateTime(rollback.requestedAt)}>
            {formatRelative(rollback.requestedAt, new Date(now))}
          </time>
          {rollback.reason ? `: “${rollback.reason}”` : "."}
        </p>
        {status === "PENDING_APPROVAL" ? (
          <p className="mt-3 text-sm">
            Awaiting approval: no traffic moves until it is approved, then{" "}
            {steps === 1 ? "all of it at once" : `in steps of ${rollback.steps.join("/")}%`}.
            {deadline ? <> Expires {when(deadline)}.</> : null}
          </p>
        ) : status === "APPROVED" ? (
          <p className="mt-3 text-sm">
            Approved: traffic starts moving to {version(rollback.toSnapshot)} at the next cycle.
          </p>
        ) : (
          <div className="mt-3 space-y-1">
            <p className="text-sm">
              {rollback.trafficPercent}% of traffic on {version(rollback.toSnapshot)} · step {rollback.currentStep + 1}{" "}
              of {steps} ({rollback.steps.join("%, ")}%)
              {stepDue ? (
                <>
                  {" "}
                  · {lastStep ? "completes" : "next step"} {when(stepDue)}
                </>
              ) : null}
            </p>
            <ProgressBar
              value={rollback.trafficPercent}
              max={100}
              label={`Traffic on ${version(rollback.toSnapshot)}`}
            />
          </div>
        )}
        <div className="mt-3 space-y-2">
          {detail ? (
            <>
              <ApprovalRule rollback={detail} viewer={viewer} />
              <RollbackActions rollback={detail} viewer={viewer} />
            </>
          ) : view.isError ? (
            <QueryError error={view.error} what="the rollback's approvals" />
          ) : (
            <Skeleton className="h-9 w-64" label="Loading the rollback's actions" />
          )}
        </div>
      </Card>
    </section>
  );
}

/** Rollback candidates, the known-good ones first: never the current snapshot or a failed one. */
function candidates(snapshots: readonly SnapshotView[]): SnapshotView[] {
  const rank = (snapshot: SnapshotView) => (snapshot.isRollbackTarget ? 0 : snapshot.isKnownGood ? 1 : 2);
  return snapshots
    .filter((snapshot) => !snapshot.isCurrent && snapshot.failedAt === null)
    .sort((a, b) => rank(a) - rank(b) || b.version - a.version);
}

function optionText(snapshot: SnapshotView): string {
  const mark = snapshot.isRollbackTarget ? "known-good, rollback target" : snapshot.isKnownGood ? "known-good" : null;
  return [`v${snapshot.version}`, snapshot.label || null, mark].filter(Boolean).join(" · ");
}

export function ManualRollbackCard({ perf, role }: { perf: PerformanceRollback; role: RoleName }) {
  const toast = useToast();
  const ids = { select: useId(), selectError: useId(), hint: useId() };
  const [chosen, setChosen] = useState("");
  const [issues, setIssues] = useState<Record<string, string>>({});
  const [requested, setRequested] = useState<RollbackDetailView | null>(null);
  const canRequest = hasRole(role, "OPERATOR");
  const options = candidates(perf.snapshots ?? []);
  const selected = options.find((snapshot) => snapshot.id === chosen) ?? options[0];
  const current = perf.snapshots?.find((snapshot) => snapshot.isCurrent);
  const blocker = perf.activeRollback
    ? "A rollback of this target is already active: it must finish or be cancelled first."
    : !current
      ? "The target has no current snapshot to roll back from."
      : options.length === 0
        ? "There is no other usable snapshot to roll back to."
        : null;

  async function request(reason: string) {
    if (!selected) return;
    setIssues({});
    try {
      const rollback = await perf.triggerRollback({ toSnapshotId: selected.id, reason });
      setRequested(rollback);
      toast(`Rollback to v${selected.version} requested: it waits for approval`);
    } catch (error) {
      setIssues(issuesOf(error));
      toast((error as Error).message, "error");
      throw error;
    }
  }

  return (
    <Card>
      <h2 className="text-base font-medium">Roll back manually</h2>
      {!canRequest ? (
        <p className="mt-2 text-sm text-slate-700">Requesting a rollback needs the operator role.</p>
      ) : !perf.snapshots ? null : (
        <div className="mt-2 space-y-3">
          <p id={ids.hint} className="text-sm text-slate-700">
            {blocker ??
              `From v${current?.version ?? "?"} to the snapshot you choose. It waits for approval, then moves traffic in the policy's steps.`}
          </p>
          {options.length > 0 ? (
            <div>
              <label htmlFor={ids.select} className="block text-sm font-medium">
                Snapshot to roll back to
              </label>
              <select
                id={ids.select}
                value={selected?.id ?? ""}
                onChange={(event) => setChosen(event.target.value)}
                aria-invalid={issues.toSnapshotId ? true : undefined}
                aria-describedby={issues.toSnapshotId ? ids.selectError : ids.hint}
                className={`mt-1 ${inputClass}`}
              >
                {options.map((snapshot) => (
                  <option key={snapshot.id} value={snapshot.id}>
                    {optionText(snapshot)}
                  </option>
                ))}
              </select>
              <FieldError id={ids.selectError} message={issues.toSnapshotId} />
            </div>
          ) : null}
          <ConfirmDialog
            trigger={
              <Button disabled={blocker !== null || perf.pending.trigger} aria-describedby={ids.hint}>
                Request rollback…
              </Button>
            }
            title={`Roll back to v${selected?.version ?? "?"}?`}
            description={
              <>
                Rewind asks for approval to move {perf.target?.name ?? "this target"}&apos;s traffic from v
                {current?.version ?? "?"} to v{selected?.version ?? "?"}
                {selected?.checksum ? ` (checksum ${selected.checksum.slice(0, 12)})` : ""}. Your reason is recorded in
                the audit history.
              </>
            }
            confirmLabel="Request rollback"
            reason={{ label: "Reason", required: true }}
            reasonError={issues.reason}
            onConfirm={request}
          />
          {requested ? (
            <p className="text-sm text-emerald-800">
              Requested.{" "}
              <Link href={`/rollbacks/${requested.id}`} className={linkClass}>
                Open the rollback
              </Link>
            </p>
          ) : null}
        </div>
      )}
    </Card>
  );
}

export function RecentRollbacks({
  rollbacks,
  hasActive,
}: {
  rollbacks: readonly RollbackView[] | undefined;
  /** The active one has its own card at the top of the page: this list holds those that ended. */
  hasActive: boolean;
}) {
  const ended = (rollbacks ?? []).filter((rollback) => rollback.endedAt !== null).slice(0, 5);
  return (
    <Card>
      <h2 className="text-base font-medium">Past rollbacks</h2>
      {ended.length === 0 ? (
        <p className="mt-2 text-sm text-slate-700">
          {hasActive ? "None has ended yet; the active one is at the top of the page." : "None yet."}
        </p>
      ) : (
        <ul className="mt-2 space-y-2">
          {ended.map((rollback) => (
            <li key={rollback.id} className="flex flex-wrap items-center gap-2 text-sm">
              <RollbackStatusBadge status={rollback.status} />
              <Link href={`/rollbacks/${rollback.id}`} className={linkClass}>
                {triggerText[rollback.trigger]} to {version(rollback.toSnapshot)}
              </Link>
              <time
                dateTime={rollback.requestedAt.toISOString()}
                title={formatDateTime(rollback.requestedAt)}
                className="text-slate-600"
              >
                {formatRelative(rollback.requestedAt)}
              </time>
            </li>
          ))}
        </ul>
      )}
      <p className="mt-3">
        <Link href="/rollbacks" className={linkClass}>
          All rollbacks
        </Link>
      </p>
    </Card>
  );
}
