"use client";
// Removing a notification channel's settings (Slack, PagerDuty): one confirm dialog, one toast, one refresh.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { ConfirmDialog } from "../confirm-dialog";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Button } from "../ui";

export function RemoveChannel({
  channel,
  label,
  title,
  description,
  removedMessage,
}: {
  channel: "SLACK" | "PAGERDUTY";
  label: string;
  title: string;
  description: ReactNode;
  removedMessage: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const clear = useMutation(trpc.notifications.clearChannel.mutationOptions());
  return (
    <ConfirmDialog
      trigger={<Button tone="secondary">{label}</Button>}
      title={title}
      description={description}
      confirmLabel="Remove"
      tone="danger"
      onConfirm={async () => {
        try {
          await clear.mutateAsync({ channel });
          toast(removedMessage);
        } catch (thrown) {
          toast((thrown as Error).message, "error");
          throw thrown;
        } finally {
          await queryClient.invalidateQueries({ queryKey: trpc.notifications.settings.queryKey() });
        }
      }}
    />
  );
}
