"use client";
// The global switches on the overview: banners while the emergency stop or a maintenance pause is on (with
// lift/resume for the roles allowed), and the emergency stop button itself.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { hasRole, type RoleName } from "@/server/domain/roles";
import { ConfirmDialog } from "../confirm-dialog";
import { issuesOf } from "../form-errors";
import { formatDateTime, formatRelative } from "../format";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Button } from "../ui";
import type { OverviewData } from "./target-card";

type SystemState = OverviewData["system"];

/** Refreshes everything that shows the switches after one of them changes. */
function useInvalidateSystem() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.dashboard.overview.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.system.state.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.flags.list.queryKey() }),
    ]);
}

/** A mutation with a reason: the toast and the reason's field error, the dialog kept open on failure. */
function useReasonMutation<Result>(
  mutateAsync: (input: { reason: string }) => Promise<Result>,
  success: (result: Result) => string,
) {
  const toast = useToast();
  const invalidate = useInvalidateSystem();
  const [reasonError, setReasonError] = useState<string | undefined>();
  const run = async (reason: string) => {
    setReasonError(undefined);
    try {
      const result = await mutateAsync({ reason });
      toast(success(result));
    } catch (error) {
      setReasonError(issuesOf(error).reason);
      toast((error as Error).message, "error");
      throw error;
    } finally {
      await invalidate();
    }
  };
  return { run, reasonError };
}

const personOf = (user: SystemState["emergencyStopBy"]) => (user ? `${user.name} (${user.email})` : "someone");

/** "on 26 Nov 2026, 21:13:24 (4 min ago)"; the server's clock is `now`, so a fresh change reads "just now". */
function whenOf(at: Date | null, now: Date) {
  if (!at) return "";
  const recent = now.getTime() - at.getTime() < 5_000;
  return `on ${formatDateTime(at)} (${recent ? "just now" : formatRelative(at, now)})`;
}

export function SystemBanners({ system, role, now }: { system: SystemState; role: RoleName; now: Date }) {
  const trpc = useTRPC();
  const lift = useMutation(trpc.system.liftEmergencyStop.mutationOptions());
  const resume = useMutation(trpc.system.resumeMonitoring.mutationOptions());
  const liftAction = useReasonMutation(
    lift.mutateAsync,
    () => "Emergency stop lifted. Kill switches stay off until someone turns them on.",
  );
  const resumeAction = useReasonMutation(resume.mutateAsync, () => "Monitoring resumed");

  return (
    <>
      {system.emergencyStopActive ? (
        <div role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900">
          <div className="flex flex-wrap items-start justify-between gap-3">
            <div className="min-w-0">
              <h2 className="text-base font-semibold">Emergency stop is active</h2>
              <p className="mt-1 text-sm">
                Activated by {personOf(system.emergencyStopBy)} {whenOf(system.emergencyStopAt, now)}
                {system.emergencyStopReason ? `: “${system.emergencyStopReason}”` : ""}.
              </p>
              <p className="mt-1 text-sm">
                Kill switches were turned off and no rollback starts on its own until an approver lifts the stop.
              </p>
            </div>
            {hasRole(role, "APPROVER") ? (
              <ConfirmDialog
                trigger={<Button tone="secondary">Lift emergency stop</Button>}
                title="Lift the emergency stop?"
                description="Automatic rollbacks resume. Kill switches stay off: turn each one on again on the Flags page when it is safe."
                confirmLabel="Lift emergency stop"
                reason={{ label: "Reason", required: true }}
                reasonError={liftAction.reasonError}
                onConfirm={liftAction.run}
              />
            ) : (
              <p className="text-sm">Lifting it needs the approver role.</p>
            )}
          </div>
        </div>
      ) : null}
      {system.monitoringPaused ? (
        <div role="status" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-amber-950">
          <div className="flex flex-wrap items-start justify-between gap-3">
            <div className="min-w-0">
              <h2 className="text-base font-semibold">Monitoring is paused</h2>
              <p className="mt-1 text-sm">
                Paused by {personOf(system.pausedBy)} {whenOf(system.pausedAt, now)}
                {system.pauseReason ? `: “${system.pauseReason}”` : ""}. No rollback starts on its own until it is
                resumed.
              </p>
            </div>
            {hasRole(role, "OPERATOR") ? (
              <ConfirmDialog
                trigger={<Button tone="secondary">Resume monitoring</Button>}
                title="Resume monitoring?"
                description="Verdicts lead to rollbacks again as the targets' policies say."
                confirmLabel="Resume monitoring"
                reason={{ label: "Reason", required: true }}
                reasonError={resumeAction.reasonError}
                onConfirm={resumeAction.run}
              />
            ) : (
              <p className="text-sm">Resuming needs the operator role.</p>
            )}
          </div>
        </div>
      ) : null}
    </>
  );
}

/** Approvers and admins only; others see why the button is not there. */
export function EmergencyStopButton({ role, active }: { role: RoleName; active: boolean }) {
  const trpc = useTRPC();
  const stop = useMutation(trpc.system.emergencyStop.mutationOptions());
  const action = useReasonMutation(stop.mutateAsync, (state) => {
    const count = state.killSwitchesTurnedOff.length;
    return `Emergency stop activated: ${count} kill switch${count === 1 ? "" : "es"} turned off`;
  });
  if (!hasRole(role, "APPROVER")) {
    return <p className="max-w-56 text-xs text-slate-600">The emergency stop needs the approver role.</p>;
  }
  if (active) return null;
  return (
    <ConfirmDialog
      trigger={<Button tone="danger">Emergency stop</Button>}
      title="Activate the emergency stop?"
      description={
        <>
          <p>Every kill-switch flag is turned off at once and no rollback starts on its own until it is lifted.</p>
          <p className="mt-2">Only a person can lift it, and kill switches stay off until someone turns them on.</p>
        </>
      }
      confirmLabel="Activate emergency stop"
      tone="danger"
      typedConfirmation="STOP"
      reason={{ label: "Reason", required: true }}
      reasonError={action.reasonError}
      onConfirm={action.run}
    />
  );
}
