"use client";
// The flags page's re-enablement section: kill switches an emergency rollback turned off whose rollback was
// verified effective (with a form to start turning them back on in steps), and the running plans.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import type { AwaitingReenablementDto } from "@/server/services/config/flag-reenablement";
import { defaultReenablementSteps, parseStepsText, reenablementStepsSchema } from "@/server/domain/flag-reenablement";
import { ConfirmDialog } from "../confirm-dialog";
import { DataTable } from "../data-table";
import { formatDateTime } from "../format";
import { issuesOf, type Issues } from "../form-errors";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Badge, Button, FieldError, inputClass } from "../ui";

/** A check in the plan's terms: its outcomes are named for rollback arms (server/domain/step-gate.ts). */
const checkLabels = { ADVANCE: "Not worse", HOLD: "Holding", FAST_FORWARD: "Worse", ABORT: "Worse" } as const;

export function FlagReenablements({ canStart, canCancel }: { canStart: boolean; canCancel: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const overview = useQuery(trpc.flagReenablements.overview.queryOptions(undefined, { refetchInterval: 10_000 }));
  const cancel = useMutation(trpc.flagReenablements.cancel.mutationOptions());
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.flagReenablements.overview.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.flags.list.queryKey() }),
    ]);
  const data = overview.data;
  if (!data || (data.awaiting.length === 0 && data.running.length === 0)) return null;

  return (
    <section aria-labelledby="reenablement-heading" className="mb-6 space-y-4">
      <h2 id="reenablement-heading" className="text-base font-semibold">
        Re-enabling kill switches after a rollback
      </h2>
      {data.awaiting.length > 0 ? (
        <DataTable
          caption="Awaiting re-enablement (rollback verified effective)"
          captionVisible
          rows={data.awaiting}
          rowKey={(row) => row.rollbackId}
          columns={[
            { id: "target", header: "Target", rowHeader: true, cell: (row) => row.target.name },
            { id: "flags", header: "Switches off", cell: (row) => row.flagKeys.join(", ") },
            {
              id: "verified",
              header: "Verified",
              cell: (row) => (row.verifiedAt ? formatDateTime(row.verifiedAt) : "—"),
            },
            {
              id: "start",
              header: "Re-enable",
              cell: (row) => (canStart ? <StartForm row={row} onStarted={refresh} /> : "Operators start it"),
            },
          ]}
        />
      ) : null}
      {data.running.length > 0 ? (
        <DataTable
          caption="Running re-enablements"
          captionVisible
          rows={data.running}
          rowKey={(row) => row.id}
          alignTop
          columns={[
            { id: "target", header: "Target", rowHeader: true, cell: (row) => row.target.name },
            { id: "flags", header: "Switches", cell: (row) => row.flagKeys.join(", ") },
            {
              id: "percent",
              header: "On for",
              cell: (row) => (
                <>
                  <strong>{row.percent}%</strong>{" "}
                  <span className="text-slate-700">
                    step {row.currentStep + 1} of {row.steps.length} ({row.steps.join("/")}%)
                  </span>
                </>
              ),
            },
            {
              id: "check",
              header: "Last check",
              cell: (row) =>
                row.lastCheck ? (
                  <>
                    <Badge tone={row.lastCheck.outcome === "ADVANCE" ? "good" : "warning"}>
                      {checkLabels[row.lastCheck.outcome]}
                    </Badge>{" "}
                    <span className="text-slate-700">{row.lastCheck.explanation}</span>
                  </>
                ) : (
                  <span className="text-slate-700">First check {formatDateTime(row.nextCheckAt)}</span>
                ),
            },
            {
              id: "cancel",
              header: "Cancel",
              cell: (row) =>
                canCancel ? (
                  <ConfirmDialog
                    trigger={<Button tone="secondary">Cancel</Button>}
                    title={`Stop re-enabling ${row.flagKeys.join(", ")}?`}
                    description={<p>The switches stay where they are now ({row.percent}%); nothing turns them off.</p>}
                    confirmLabel="Cancel the plan"
                    tone="danger"
                    reason={{ label: "Reason", required: true }}
                    onConfirm={async (reason) => {
                      await cancel.mutateAsync({ planId: row.id, reason });
                      toast("Re-enablement cancelled");
                      await refresh();
                    }}
                  />
                ) : (
                  "Approvers cancel"
                ),
            },
          ]}
        />
      ) : null}
    </section>
  );
}

function StartForm({ row, onStarted }: { row: AwaitingReenablementDto; onStarted: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const id = useId();
  const [issues, setIssues] = useState<Issues>({});
  const start = useMutation(trpc.flagReenablements.start.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const text = new FormData(event.currentTarget).get("steps");
    const parsed = reenablementStepsSchema.safeParse(parseStepsText(typeof text === "string" ? text : ""));
    if (!parsed.success) {
      setIssues({ steps: parsed.error.issues[0]?.message ?? "Invalid steps" });
      return;
    }
    setIssues({});
    try {
      await start.mutateAsync({ rollbackId: row.rollbackId, steps: parsed.data });
      toast(`Re-enabling ${row.flagKeys.join(", ")} at ${parsed.data[0] ?? 100}%`);
      await onStarted();
    } catch (error) {
      const fieldIssues = issuesOf(error);
      setIssues(Object.keys(fieldIssues).length ? fieldIssues : { _: (error as Error).message });
    }
  }

  return (
    <form noValidate onSubmit={(event) => void onSubmit(event)} className="flex flex-wrap items-start gap-2">
      {issues._ ? <Alert>{issues._}</Alert> : null}
      <div>
        <label htmlFor={id} className="sr-only">
          Steps in percent for {row.target.name}
        </label>
        <input
          id={id}
          name="steps"
          defaultValue={defaultReenablementSteps.join(", ")}
          className={`${inputClass} w-36`}
          aria-invalid={Boolean(issues.steps)}
          aria-describedby={issues.steps ? `${id}-error` : undefined}
        />
        <FieldError id={`${id}-error`} message={issues.steps} />
      </div>
      <Button type="submit" disabled={start.isPending}>
        Start re-enablement
      </Button>
    </form>
  );
}
