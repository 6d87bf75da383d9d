"use client";
// The /snapshots page: a target's published configurations, newest first, with their checksums, known-good
// marks and bake status; marking and unmarking known-good, restoring one (a manual rollback that then waits
// for approval), and a side-by-side diff of any two.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { ConfirmDialog } from "../confirm-dialog";
import { DataTable } from "../data-table";
import { issuesOf } from "../form-errors";
import { formatDateTime, formatAgo, shortChecksum } from "../format";
import { NoTargets, TargetScope, type SelectedTarget } from "../policies/target-select";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Badge, Button, EmptyState, ListSkeleton, QueryError } from "../ui";
import { SnapshotDiff } from "./snapshot-diff";

export function SnapshotsView({ slug, canEdit }: { slug: string | undefined; canEdit: boolean }) {
  return (
    <TargetScope slug={slug} empty={<NoTargets />}>
      {(target) => <SnapshotsWorkspace key={target.id} target={target} canEdit={canEdit} />}
    </TargetScope>
  );
}

interface SnapshotRow {
  id: string;
  version: number;
  label: string | null;
  checksum: string;
  createdAt: Date;
  publishedAt: Date | null;
  knownGoodAt: Date | null;
  failedAt: Date | null;
  failedReason: string | null;
  createdBy: { type: string; name: string; email: string | null };
  isCurrent: boolean;
  isKnownGood: boolean;
  isRollbackTarget: boolean;
  bake: { state: "BAKING" | "BAKED" | "FAILED"; readyAt: Date } | null;
}

interface Restored {
  rollbackId: string;
  version: number;
  approvalsRequired: number;
}

function SnapshotsWorkspace({ target, canEdit }: { target: SelectedTarget; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const list = useQuery(trpc.snapshots.list.queryOptions({ targetId: target.id }, { refetchInterval: 15_000 }));
  const [pair, setPair] = useState<{ fromId: string; toId: string } | null>(null);
  const [restored, setRestored] = useState<Restored | null>(null);
  const [reasonError, setReasonError] = useState<string | undefined>();

  const invalidate = () =>
    queryClient.invalidateQueries({ queryKey: trpc.snapshots.list.queryKey({ targetId: target.id }) });
  const mark = useMutation(trpc.snapshots.markKnownGood.mutationOptions());
  const unmark = useMutation(trpc.snapshots.unmarkKnownGood.mutationOptions());
  const restore = useMutation(trpc.rollbacks.requestManual.mutationOptions());

  /** Shows a reason problem in the dialog, anything else as a toast; rethrows so the dialog stays open. */
  function failed(error: unknown): never {
    const reason = issuesOf(error).reason;
    setReasonError(reason);
    if (!reason) toast((error as Error).message, "error");
    throw error;
  }

  if (list.isPending) return <ListSkeleton rows={4} label="Loading snapshots" />;
  if (list.isError) return <QueryError error={list.error} what="snapshots" />;
  const rows: SnapshotRow[] = list.data;
  if (rows.length === 0) {
    return (
      <EmptyState title={`No snapshots of ${target.slug} yet`}>
        <p>
          A snapshot is a version of the configuration the orchestrator runs for this target. Publish the first one from
          your deploy pipeline with <code>{`POST /api/v1/targets/${target.slug}/snapshots`}</code> and a key with the{" "}
          <code>snapshots:write</code> scope (docs/API.md), or run <code>npm run simulate</code> for demo targets with
          snapshots. Once published it bakes, and becomes known-good if it runs healthy.
        </p>
      </EmptyState>
    );
  }

  const current = rows.find((row) => row.isCurrent);
  const defaultTo = current ?? rows[0]!;
  const defaultFrom = rows.find((row) => row.id !== defaultTo.id) ?? defaultTo;
  const exists = (id: string) => rows.some((row) => row.id === id);
  const chosen =
    pair && exists(pair.fromId) && exists(pair.toId) ? pair : { fromId: defaultFrom.id, toId: defaultTo.id };

  return (
    <>
      {restored ? (
        <div
          role="status"
          className="mb-4 rounded-md border border-indigo-200 bg-indigo-50 px-3 py-2 text-sm text-indigo-950"
        >
          <p>
            Restore of v{restored.version} requested. It waits for{" "}
            {restored.approvalsRequired === 1 ? "an approver" : `${restored.approvalsRequired} approvers`} before any
            traffic moves: see{" "}
            <Link href="/approvals" className="font-medium underline">
              Approvals
            </Link>
            , or follow{" "}
            <Link href={`/rollbacks/${restored.rollbackId}`} className="font-medium underline">
              the rollback
            </Link>
            .
          </p>
        </div>
      ) : null}
      {!canEdit ? (
        <p className="mb-4 text-sm text-slate-700">
          Marking known-good and restoring a snapshot need the operator role; you can read the list and compare
          snapshots.
        </p>
      ) : null}
      <section aria-labelledby="snapshots-heading">
        <h2 id="snapshots-heading" className="mb-3 text-lg font-medium">
          Snapshots of {target.name}
        </h2>
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <DataTable
            label={`Snapshots of ${target.name}`}
            alignTop
            rows={rows}
            rowKey={(row) => row.id}
            columns={[
              {
                id: "version",
                header: "Version",
                rowHeader: true,
                className: "font-medium whitespace-nowrap",
                cell: (row) => (
                  <>
                    v{row.version}
                    {row.label ? <span className="block text-xs font-normal text-slate-600">{row.label}</span> : null}
                  </>
                ),
              },
              { id: "checksum", header: "Checksum", cell: (row) => <Checksum value={row.checksum} /> },
              { id: "status", header: "Status", cell: (row) => <SnapshotStatus row={row} /> },
              {
                id: "published",
                header: "Published",
                cell: (row) => (
                  <>
                    <span title={row.createdBy.email ?? undefined}>{row.createdBy.name}</span>
                    <span className="block text-xs text-slate-600">
                      <time dateTime={row.createdAt.toISOString()} title={formatDateTime(row.createdAt)}>
                        {formatAgo(row.createdAt)}
                      </time>
                    </span>
                  </>
                ),
              },
              {
                id: "actions",
                header: "Actions",
                hideHeader: true,
                cell: (row) => (
                  <div className="flex flex-wrap justify-end gap-2">
                    {canEdit && !row.isKnownGood && !row.failedAt ? (
                      <ConfirmDialog
                        trigger={
                          <Button tone="secondary" className="px-2 py-1">
                            Mark known-good<span className="sr-only"> v{row.version}</span>
                          </Button>
                        }
                        title={`Mark v${row.version} known-good?`}
                        description={
                          <p>
                            v{row.version} becomes the rollback target of {target.slug}: every rollback, automatic or
                            manual, goes to it until another snapshot is known-good.
                          </p>
                        }
                        confirmLabel="Mark known-good"
                        reason={{ label: "Why is it known-good?", required: true }}
                        reasonError={reasonError}
                        onConfirm={async (reason) => {
                          setReasonError(undefined);
                          try {
                            await mark.mutateAsync({ snapshotId: row.id, reason });
                          } catch (error) {
                            failed(error);
                          }
                          toast(`v${row.version} is known-good: rollbacks of ${target.slug} go to it`);
                          await invalidate();
                        }}
                      />
                    ) : null}
                    {canEdit && row.isKnownGood ? (
                      <ConfirmDialog
                        trigger={
                          <Button tone="secondary" className="px-2 py-1">
                            Unmark<span className="sr-only"> v{row.version} as known-good</span>
                          </Button>
                        }
                        title={`Remove the known-good mark of v${row.version}?`}
                        tone="danger"
                        description={
                          <p>
                            {row.isRollbackTarget
                              ? `Rollbacks of ${target.slug} then go to the previous known-good snapshot; with none, no rollback can run until a snapshot is known-good again.`
                              : `v${row.version} is not the rollback target, so rollbacks are unaffected.`}
                          </p>
                        }
                        confirmLabel="Remove the mark"
                        reason={{ label: "Why is it no longer known-good?", required: true }}
                        reasonError={reasonError}
                        onConfirm={async (reason) => {
                          setReasonError(undefined);
                          try {
                            await unmark.mutateAsync({ snapshotId: row.id, reason });
                          } catch (error) {
                            failed(error);
                          }
                          toast(`v${row.version} is no longer known-good`);
                          await invalidate();
                        }}
                      />
                    ) : null}
                    {canEdit && !row.isCurrent && !row.failedAt ? (
                      <ConfirmDialog
                        trigger={
                          <Button tone="secondary" className="px-2 py-1">
                            Restore<span className="sr-only"> v{row.version}</span>
                          </Button>
                        }
                        title={`Restore v${row.version} of ${target.slug}?`}
                        description={
                          <div className="space-y-2">
                            <p>
                              This requests a manual rollback from{" "}
                              {current ? `v${current.version}` : "the current snapshot"} to v{row.version}. Nothing
                              changes yet: an approver must approve it in Approvals, then traffic moves back in the
                              policy’s steps.
                            </p>
                            {!row.isKnownGood ? (
                              <p className="font-medium">v{row.version} is not marked known-good.</p>
                            ) : null}
                          </div>
                        }
                        confirmLabel="Request the rollback"
                        reason={{ label: "Reason", required: true }}
                        reasonError={reasonError}
                        onConfirm={async (reason) => {
                          setReasonError(undefined);
                          let rollback;
                          try {
                            rollback = await restore.mutateAsync({
                              targetId: target.id,
                              toSnapshotId: row.id,
                              reason,
                            });
                          } catch (error) {
                            failed(error);
                          }
                          setRestored({
                            rollbackId: rollback.id,
                            version: row.version,
                            approvalsRequired: rollback.approvalsRequired,
                          });
                          toast(`Rollback to v${row.version} requested: it needs approval`);
                        }}
                      />
                    ) : null}
                  </div>
                ),
              },
            ]}
          />
        </div>
      </section>
      {rows.length > 1 ? (
        <SnapshotDiff
          targetId={target.id}
          options={rows.map((row) => ({
            id: row.id,
            version: row.version,
            label: row.label,
            isCurrent: row.isCurrent,
          }))}
          fromId={chosen.fromId}
          toId={chosen.toId}
          onChange={setPair}
        />
      ) : (
        <p className="mt-6 text-sm text-slate-700">Publish a second snapshot to compare two versions.</p>
      )}
    </>
  );
}

function Checksum({ value }: { value: string }) {
  const toast = useToast();
  return (
    <span className="flex items-center gap-2">
      <code className="font-mono text-xs" title={value}>
        {shortChecksum(value)}
      </code>
      <button
        type="button"
        className="rounded border border-slate-300 px-1.5 py-0.5 text-xs text-slate-700 hover:bg-slate-100"
        onClick={() =>
          void navigator.clipboard.writeText(value).then(
            () => toast("Checksum copied"),
            () => toast("Could not copy: select the checksum in its tooltip instead", "error"),
          )
        }
      >
        Copy<span className="sr-only"> full checksum {value}</span>
      </button>
    </span>
  );
}

function isPast(date: Date): boolean {
  return date.getTime() <= Date.now();
}

function SnapshotStatus({ row }: { row: SnapshotRow }) {
  const badges = [];
  if (row.isCurrent)
    badges.push(
      <Badge key="current" tone="info">
        Current
      </Badge>,
    );
  if (row.isRollbackTarget)
    badges.push(
      <Badge key="target" tone="good">
        Known-good · rollback target
      </Badge>,
    );
  else if (row.isKnownGood)
    badges.push(
      <Badge key="good" tone="good">
        Known-good
      </Badge>,
    );
  if (row.failedAt)
    badges.push(
      <Badge key="failed" tone="bad">
        Failed
      </Badge>,
    );
  let detail: string | null = null;
  if (row.failedAt) detail = `Failed ${formatDateTime(row.failedAt)}${row.failedReason ? `: ${row.failedReason}` : ""}`;
  else if (row.bake?.state === "BAKING") {
    badges.push(
      <Badge key="baking" tone="warning">
        Baking
      </Badge>,
    );
    detail = isPast(row.bake.readyAt)
      ? "Bake time over: known-good once a healthy verdict is recorded"
      : `Known-good from ${formatDateTime(row.bake.readyAt)} if it stays healthy`;
  } else if (row.bake?.state === "BAKED") {
    badges.push(
      <Badge key="baked" tone="good">
        Baked
      </Badge>,
    );
    detail = "Becomes known-good at the next monitoring cycle";
  } else if (row.knownGoodAt) detail = `Known-good since ${formatDateTime(row.knownGoodAt)}`;
  else if (!row.isCurrent)
    badges.push(
      <Badge key="unproven" tone="neutral">
        Not proven
      </Badge>,
    );
  return (
    <div>
      <div className="flex flex-wrap gap-1">{badges}</div>
      {detail ? <p className="mt-1 text-xs text-slate-700">{detail}</p> : null}
    </div>
  );
}
