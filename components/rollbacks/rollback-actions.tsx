"use client";
// What a person can do to an active rollback — approve, reject, cancel, abort — each asked first in a dialog,
// and, for everyone else, why the button is not there.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { usePathname } from "next/navigation";
import { useState } from "react";
import { approvalRefusal, canTransition, isActive } from "@/server/domain/rollback";
import { hasRole } from "@/server/domain/roles";
import { ConfirmDialog } from "../confirm-dialog";
import { issuesOf } from "../form-errors";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Button } from "../ui";
import { personName, roleWithArticle, snapshotLabel, type RollbackView, type Viewer } from "./rollback-format";

type ActionRollback = Pick<
  RollbackView,
  | "id"
  | "status"
  | "target"
  | "approvalsRequired"
  | "approvalCount"
  | "approvals"
  | "requestedBy"
  | "steps"
  | "fromSnapshot"
  | "toSnapshot"
  | "trafficPercent"
>;

/** Who approved so far, for texts: "Ana and Bo". */
function approverNames(rollback: ActionRollback): string[] {
  return rollback.approvals
    .filter((approval) => approval.decision === "APPROVE")
    .map((approval) => personName(approval.user, "a deleted user"));
}

/**
 * The approval rule where it matters: two approvals from different people, and whether the requester may give
 * one (docs/ROLLBACKS.md, Approvals).
 */
export function ApprovalRule({ rollback, viewer }: { rollback: ActionRollback; viewer: Viewer }) {
  if (rollback.status !== "PENDING_APPROVAL") return null;
  const names = approverNames(rollback);
  const requester = rollback.requestedBy;
  const you = (user: { id: string } | null) => user?.id === viewer.id;
  const requesterName = you(requester) ? "you" : personName(requester);
  const progress = `${rollback.approvalCount} of ${rollback.approvalsRequired} so far${names.length > 0 ? `: ${names.join(" and ")}` : ""}`;
  if (rollback.approvalsRequired === 2) {
    return (
      <p className="text-sm text-slate-700">
        <strong className="font-medium">Needs 2 approvals from different approvers</strong> ({progress}).{" "}
        {requester
          ? `It was requested by ${requesterName}, who cannot approve it: two other approvers must.`
          : "Rewind proposed it, so any two approvers can approve it."}
      </p>
    );
  }
  return (
    <p className="text-sm text-slate-700">
      <strong className="font-medium">Needs 1 approval</strong> ({progress}).{" "}
      {requester
        ? `Requested by ${requesterName}. With one approval required, the requester's own counts: an approver who asked for a rollback may approve it too, as a second, deliberate step.`
        : "Any approver can approve it."}
    </p>
  );
}

export function RollbackActions({
  rollback,
  viewer,
  layout = "row",
  only = "all",
}: {
  rollback: ActionRollback;
  viewer: Viewer;
  layout?: "row" | "column";
  /** "decision": approve and reject only, where space is short (an overview card); the rollback page has the rest. */
  only?: "all" | "decision";
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const pathname = usePathname();
  const [issue, setIssue] = useState<{ action: string; message: string } | null>(null);
  // The overview and the target page show the rollback too: they follow at once rather than at their next poll.
  const settle = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.rollbacks.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.dashboard.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() }),
    ]);
  const approve = useMutation(trpc.rollbacks.approve.mutationOptions({ onSettled: settle }));
  const reject = useMutation(trpc.rollbacks.reject.mutationOptions({ onSettled: settle }));
  const cancel = useMutation(trpc.rollbacks.cancel.mutationOptions({ onSettled: settle }));
  const abort = useMutation(trpc.rollbacks.abort.mutationOptions({ onSettled: settle }));

  if (!isActive(rollback.status)) return null;
  const target = rollback.target.slug;
  const from = snapshotLabel(rollback.fromSnapshot);
  const to = snapshotLabel(rollback.toSnapshot);

  if (!hasRole(viewer.role, "APPROVER")) {
    const verb =
      rollback.status === "IN_PROGRESS" ? "Aborting" : rollback.status === "APPROVED" ? "Cancelling" : "Approving";
    return (
      <p className="text-sm text-slate-600">
        {verb} needs the approver role; you are {roleWithArticle(viewer.role)}.
      </p>
    );
  }

  // After a decision the rollback leaves the queue (or this card): the toast leads to it, except on its own page.
  const rollbackHref = `/rollbacks/${rollback.id}`;
  const link = pathname === rollbackHref ? undefined : { href: rollbackHref, label: "Open the rollback" };
  /** Runs a mutation for a dialog: success toasts and closes; failure toasts, shows field issues, stays open. */
  const run =
    (action: string, field: "comment" | "reason", work: (text: string) => Promise<unknown>, done: string) =>
    async (text: string) => {
      setIssue(null);
      try {
        await work(text);
        toast(done, "success", link);
      } catch (error) {
        const message = issuesOf(error)[field];
        if (message) setIssue({ action, message });
        toast((error as Error).message, "error");
        throw error;
      }
    };
  const issueFor = (action: string) => (issue?.action === action ? issue.message : undefined);
  const refusal = approvalRefusal(
    {
      approvalsRequired: rollback.approvalsRequired,
      requestedById: rollback.requestedBy?.id ?? null,
      approverIds: rollback.approvals.filter((a) => a.decision === "APPROVE").map((a) => a.user?.id ?? ""),
    },
    viewer.id,
  );
  const last = rollback.approvalCount + 1 >= rollback.approvalsRequired;

  return (
    <div className={`flex gap-2 ${layout === "column" ? "flex-col items-stretch" : "flex-wrap items-center"}`}>
      {rollback.status === "PENDING_APPROVAL" ? (
        <>
          {refusal ? (
            <p className="text-sm text-slate-700">{refusal.message}.</p>
          ) : (
            <ConfirmDialog
              trigger={<Button>Approve</Button>}
              title={`Approve the rollback of ${target}?`}
              description={
                last
                  ? `${rollback.approvalsRequired === 2 ? "Yours is the second approval it needs" : "Your approval is the one it needs"}: the next monitoring cycle starts moving traffic from ${from} to ${to} in steps of ${rollback.steps.join("/")}%.`
                  : "Yours is the first of two approvals: it waits for another approver before any traffic moves."
              }
              confirmLabel="Approve"
              reason={{ label: "Comment", required: false }}
              reasonError={issueFor("approve")}
              onConfirm={run(
                "approve",
                "comment",
                (comment) => approve.mutateAsync({ rollbackId: rollback.id, ...(comment && { comment }) }),
                last ? `Approved the rollback of ${target}` : `Added your approval to the rollback of ${target}`,
              )}
            />
          )}
          <ConfirmDialog
            trigger={<Button tone="secondary">Reject</Button>}
            title={`Reject the rollback of ${target}?`}
            description={`A rejection ends it at once, even after a first approval: ${from} stays current. Say why, for the audit history and whoever is paged next.`}
            confirmLabel="Reject"
            tone="danger"
            reason={{ label: "Comment", required: true }}
            reasonError={issueFor("reject")}
            onConfirm={run(
              "reject",
              "comment",
              (comment) => reject.mutateAsync({ rollbackId: rollback.id, comment }),
              `Rejected the rollback of ${target}`,
            )}
          />
        </>
      ) : null}
      {only === "all" && canTransition(rollback.status, "CANCEL") ? (
        <ConfirmDialog
          trigger={<Button tone="secondary">Cancel rollback</Button>}
          title={`Cancel the rollback of ${target}?`}
          description={`No traffic has moved yet; ${from} stays current. Cancel when the rollback is no longer needed (for example, the incident was fixed upstream).`}
          confirmLabel="Cancel rollback"
          tone="danger"
          reason={{ label: "Reason", required: true }}
          reasonError={issueFor("cancel")}
          onConfirm={run(
            "cancel",
            "reason",
            (reason) => cancel.mutateAsync({ rollbackId: rollback.id, reason }),
            `Cancelled the rollback of ${target}`,
          )}
        />
      ) : null}
      {only === "all" && canTransition(rollback.status, "ABORT") ? (
        <ConfirmDialog
          // Never the page's primary action: the dialog that follows is the one in red.
          trigger={
            <Button tone="secondary" className="text-red-800">
              Abort rollback
            </Button>
          }
          title={`Abort the rollback of ${target}?`}
          description={`All traffic goes back to ${from}, the configuration from before the rollback (${rollback.trafficPercent}% is on ${to} now). Abort when the known-good snapshot itself makes things worse.`}
          confirmLabel="Abort rollback"
          tone="danger"
          reason={{ label: "Reason", required: true }}
          reasonError={issueFor("abort")}
          onConfirm={run(
            "abort",
            "reason",
            (reason) => abort.mutateAsync({ rollbackId: rollback.id, reason }),
            `Aborted the rollback of ${target}: traffic is back on ${from}`,
          )}
        />
      ) : null}
    </div>
  );
}
