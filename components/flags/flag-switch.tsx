"use client";
// The on/off control of one flag: an accessible switch (role="switch", aria-checked). A kill switch asks first,
// since turning it off stops the feature it guards and turning it on again is a deliberate act.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId } from "react";
import { ConfirmDialog } from "../confirm-dialog";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Switch } from "../ui";

export interface SwitchableFlag {
  id: string;
  key: string;
  enabled: boolean;
  killSwitch: boolean;
  target: { name: string } | null;
}

export function FlagSwitch({
  flag,
  canEdit,
  emergencyStopActive,
}: {
  flag: SwitchableFlag;
  canEdit: boolean;
  emergencyStopActive: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const hintId = useId();
  const setEnabled = useMutation(
    trpc.flags.setEnabled.mutationOptions({
      onSuccess: (updated) => toast(`${updated.key} turned ${updated.enabled ? "on" : "off"}`),
      onError: (error) => toast(error.message, "error"),
      onSettled: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.flags.list.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.audit.list.queryKey() }),
        ]),
    }),
  );

  // The service refuses a kill switch on while the stop is active: say so rather than offer it.
  const blockedByStop = emergencyStopActive && flag.killSwitch && !flag.enabled;
  const hint = !canEdit
    ? "Changing flags needs the operator role"
    : blockedByStop
      ? "Stays off while the emergency stop is active"
      : null;
  const common = {
    checked: flag.enabled,
    busy: setEnabled.isPending,
    disabled: !canEdit || blockedByStop || setEnabled.isPending,
    "aria-label": flag.key,
    "aria-describedby": hint && canEdit ? hintId : undefined,
    title: hint ?? undefined,
  };
  const next = !flag.enabled;
  const scope = flag.target ? `target ${flag.target.name}` : "every target";

  return (
    <div>
      {flag.killSwitch && canEdit && !blockedByStop ? (
        <ConfirmDialog
          trigger={
            <Switch {...common}>
              <OnOff checked={flag.enabled} />
            </Switch>
          }
          title={next ? `Turn the kill switch ${flag.key} back on?` : `Turn the kill switch ${flag.key} off?`}
          description={
            next ? (
              <p>
                The orchestrator reads it as on at its next configuration fetch, for {scope}. The emergency stop turns
                it off again if it is activated.
              </p>
            ) : (
              <p>
                The orchestrator reads it as off at its next configuration fetch, for {scope}: whatever it guards stops.
                Only a person turns it back on.
              </p>
            )
          }
          confirmLabel={next ? "Turn on" : "Turn off"}
          tone={next ? "primary" : "danger"}
          onConfirm={() => setEnabled.mutateAsync({ id: flag.id, enabled: next })}
        />
      ) : (
        <Switch {...common} onClick={() => setEnabled.mutate({ id: flag.id, enabled: next })}>
          <OnOff checked={flag.enabled} />
        </Switch>
      )}
      {hint && canEdit ? (
        <p id={hintId} className="mt-1 text-xs text-slate-600">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

function OnOff({ checked }: { checked: boolean }) {
  return (
    <span aria-hidden="true" className="w-7 text-left">
      {checked ? "On" : "Off"}
    </span>
  );
}
