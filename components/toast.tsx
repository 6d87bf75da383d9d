"use client";
// Short confirmations after mutations, announced to screen readers through a live region. A toast may carry a
// link to what the action changed (the rollback just approved): it stays longer, and while hovered or focused.
import Link from "next/link";
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";

export type ToastLink = { href: string; label: string };
type Toast = { id: number; message: string; tone: "success" | "error"; link?: ToastLink | undefined };
type ShowToast = (message: string, tone?: Toast["tone"], link?: ToastLink) => void;
const ToastContext = createContext<ShowToast>(() => undefined);

const TOAST_MS = 5_000;
/** Long enough to reach the link, by mouse or by keyboard. */
const TOAST_WITH_LINK_MS = 10_000;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const show = useCallback<ShowToast>((message, tone = "success", link) => {
    const id = Date.now() + Math.random();
    setToasts((current) => [...current, { id, message, tone, link }]);
  }, []);
  const dismiss = useCallback((id: number) => setToasts((current) => current.filter((toast) => toast.id !== id)), []);
  return (
    <ToastContext.Provider value={show}>
      {children}
      <div role="status" aria-live="polite" className="fixed right-4 bottom-4 z-50 flex flex-col gap-2">
        {toasts.map((toast) => (
          <ToastItem key={toast.id} toast={toast} onDismiss={dismiss} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss: (id: number) => void }) {
  const [held, setHeld] = useState(false);
  useEffect(() => {
    if (held) return;
    const timer = setTimeout(() => onDismiss(toast.id), toast.link ? TOAST_WITH_LINK_MS : TOAST_MS);
    return () => clearTimeout(timer);
  }, [held, toast, onDismiss]);
  return (
    <div
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
      className={`rounded-md px-4 py-2 text-sm text-white shadow-lg ${toast.tone === "success" ? "bg-emerald-700" : "bg-red-700"}`}
    >
      {toast.message}
      {toast.link ? (
        <>
          {" "}
          <Link href={toast.link.href} className="font-medium underline underline-offset-2 hover:no-underline">
            {toast.link.label}
          </Link>
        </>
      ) : null}
    </div>
  );
}

export function useToast() {
  return useContext(ToastContext);
}
