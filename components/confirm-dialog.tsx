"use client";
// The one way to ask before a destructive or consequential action: a modal (Radix Dialog: focus trap,
// Escape, labelled) that can require a typed confirmation word and a reason.
import * as Dialog from "@radix-ui/react-dialog";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { Button, FieldError, inputClass } from "./ui";

export interface ConfirmDialogProps {
  /** The element that opens the dialog, e.g. a <Button>. */
  trigger: ReactNode;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  tone?: "primary" | "danger";
  /** When set, the confirm button stays disabled until this exact word is typed. */
  typedConfirmation?: string;
  /** Ask for a reason (required) or a comment (optional); its text is passed to onConfirm. */
  reason?: { label: string; required: boolean };
  /** Resolve to close the dialog; throw (or reject) to keep it open — show the error yourself via a toast. */
  onConfirm: (reason: string) => Promise<unknown> | void;
  /** Field error from the server, shown under the reason. */
  reasonError?: string | undefined;
}

export function ConfirmDialog({
  trigger,
  title,
  description,
  confirmLabel,
  tone = "primary",
  typedConfirmation,
  reason,
  onConfirm,
  reasonError,
}: ConfirmDialogProps) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const ids = { typed: useId(), reason: useId(), reasonError: useId() };
  const ready =
    (!typedConfirmation || typed.trim() === typedConfirmation) && (!reason?.required || text.trim().length > 0);

  function reset(next: boolean) {
    setOpen(next);
    if (!next) {
      setTyped("");
      setText("");
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!ready || busy) return;
    setBusy(true);
    try {
      await onConfirm(text.trim());
      reset(false);
    } catch {
      // The caller reported the error; keep the dialog open so the user can correct and retry.
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog.Root open={open} onOpenChange={reset}>
      <Dialog.Trigger asChild>{trigger}</Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-slate-900/40" />
        <Dialog.Content className="fixed top-1/2 left-1/2 z-50 w-[min(32rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 rounded-lg bg-white p-6 shadow-xl focus:outline-none">
          <Dialog.Title className="text-lg font-semibold">{title}</Dialog.Title>
          <Dialog.Description asChild>
            <div className="mt-2 text-sm text-slate-700">{description}</div>
          </Dialog.Description>
          <form onSubmit={(event) => void submit(event)} className="mt-4 space-y-4">
            {reason ? (
              <div>
                <label htmlFor={ids.reason} className="block text-sm font-medium">
                  {reason.label}
                  {reason.required ? "" : " (optional)"}
                </label>
                <textarea
                  id={ids.reason}
                  value={text}
                  onChange={(event) => setText(event.target.value)}
                  required={reason.required}
                  rows={3}
                  maxLength={500}
                  aria-invalid={reasonError ? true : undefined}
                  aria-describedby={reasonError ? ids.reasonError : undefined}
                  className={`mt-1 ${inputClass}`}
                />
                <FieldError id={ids.reasonError} message={reasonError} />
              </div>
            ) : null}
            {typedConfirmation ? (
              <div>
                <label htmlFor={ids.typed} className="block text-sm font-medium">
                  Type <span className="font-mono font-semibold">{typedConfirmation}</span> to confirm
                </label>
                <input
                  id={ids.typed}
                  value={typed}
                  onChange={(event) => setTyped(event.target.value)}
                  autoComplete="off"
                  className={`mt-1 ${inputClass}`}
                />
              </div>
            ) : null}
            <div className="flex justify-end gap-2">
              <Dialog.Close asChild>
                <Button tone="secondary">Cancel</Button>
              </Dialog.Close>
              <Button type="submit" tone={tone} disabled={!ready || busy}>
                {busy ? "Working…" : confirmLabel}
              </Button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
