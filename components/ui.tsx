// Small shared building blocks so every page looks and behaves alike.
import type { ButtonHTMLAttributes, ComponentPropsWithRef, ReactNode } from "react";

const buttonTones = {
  primary: "bg-indigo-600 text-white hover:bg-indigo-700 disabled:bg-indigo-300",
  secondary: "border border-slate-300 bg-white text-slate-800 hover:bg-slate-100 disabled:text-slate-400",
  danger: "bg-red-600 text-white hover:bg-red-700 disabled:bg-red-300",
} as const;

/** A button's look, for links that act as one (a download). */
export function buttonClass(tone: keyof typeof buttonTones = "primary"): string {
  return `inline-flex items-center justify-center rounded-md px-3 py-2 text-sm font-medium transition-colors disabled:cursor-not-allowed ${buttonTones[tone]}`;
}

export function Button({
  tone = "primary",
  className = "",
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { tone?: keyof typeof buttonTones }) {
  return <button type="button" className={`${buttonClass(tone)} ${className}`} {...props} />;
}

export const inputClass =
  "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm aria-[invalid=true]:border-red-500";

export function FieldError({ id, message }: { id: string; message?: string | undefined }) {
  if (!message) return null;
  return (
    <p id={id} className="mt-1 text-sm text-red-700">
      {message}
    </p>
  );
}

export function PageHeader({ title, description }: { title: string; description?: string }) {
  return (
    <header className="mb-6">
      <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
      {description ? <p className="mt-1 text-sm text-slate-600">{description}</p> : null}
    </header>
  );
}

export function EmptyState({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center">
      <h2 className="text-base font-medium">{title}</h2>
      <div className="mx-auto mt-2 max-w-prose text-sm text-slate-600">{children}</div>
    </section>
  );
}

export function Alert({ children }: { children: ReactNode }) {
  return (
    <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
      {children}
    </div>
  );
}

export function Card({ children, className = "" }: { children: ReactNode; className?: string }) {
  return (
    <section className={`rounded-lg border border-slate-200 bg-white p-4 shadow-sm ${className}`}>{children}</section>
  );
}

/** A grey placeholder block shown while data loads; screen readers hear the label once. */
export function Skeleton({ className = "h-4 w-full", label }: { className?: string; label?: string }) {
  return (
    <div
      className={`animate-pulse rounded bg-slate-200 ${className}`}
      role={label ? "status" : undefined}
      aria-label={label}
    />
  );
}

/** Rows of skeleton lines for a list or table that is loading. */
export function ListSkeleton({ rows = 3, label = "Loading" }: { rows?: number; label?: string }) {
  return (
    <div role="status" aria-label={label} className="space-y-3">
      {Array.from({ length: rows }, (_, index) => (
        <div key={index} className="h-10 animate-pulse rounded bg-slate-200" />
      ))}
    </div>
  );
}

/** The message of a failed query or mutation, as an alert the user can read. */
export function QueryError({ error, what }: { error: { message: string } | null; what: string }) {
  if (!error) return null;
  return (
    <Alert>
      Could not load {what}: {error.message}
    </Alert>
  );
}

const statusTones = {
  good: "bg-emerald-100 text-emerald-900 ring-emerald-600/30",
  warning: "bg-amber-100 text-amber-900 ring-amber-600/30",
  bad: "bg-red-100 text-red-900 ring-red-600/30",
  critical: "bg-red-700 text-white ring-red-800",
  neutral: "bg-slate-100 text-slate-800 ring-slate-500/30",
  info: "bg-indigo-100 text-indigo-900 ring-indigo-600/30",
} as const;
export type StatusTone = keyof typeof statusTones;

export function Badge({ tone = "neutral", children }: { tone?: StatusTone; children: ReactNode }) {
  return (
    <span
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${statusTones[tone]}`}
    >
      {children}
    </span>
  );
}

/** A labelled progress bar: `value` of `max`, with the text read to screen readers. */
export function ProgressBar({
  value,
  max = 1,
  label,
  tone = "info",
}: {
  value: number;
  max?: number;
  label: string;
  tone?: "info" | "good" | "bad";
}) {
  const share = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  const fill = { info: "bg-indigo-600", good: "bg-emerald-600", bad: "bg-red-600" }[tone];
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value}
      className="h-2.5 w-full overflow-hidden rounded-full bg-slate-200"
    >
      <div className={`h-full ${fill} transition-[width]`} style={{ width: `${share * 100}%` }} />
    </div>
  );
}

/**
 * An on/off switch (role="switch", aria-checked); `children` is its visible label. Other props reach the
 * button, `ref` included, so a dialog trigger can wrap it.
 */
export function Switch({
  checked,
  busy = false,
  children,
  className = "",
  ...props
}: Omit<ComponentPropsWithRef<"button">, "role"> & { checked: boolean; busy?: boolean }) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-busy={busy || undefined}
      className={`group inline-flex items-center gap-2 rounded-full text-sm font-medium text-slate-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed disabled:text-slate-600 ${className}`}
      {...props}
    >
      <span
        aria-hidden="true"
        className={`relative inline-flex h-6 w-11 shrink-0 items-center rounded-full transition-colors ${
          checked ? "bg-emerald-600 group-disabled:bg-emerald-600/50" : "bg-slate-400 group-disabled:bg-slate-300"
        } ${busy ? "animate-pulse" : ""}`}
      >
        <span
          className={`inline-block h-5 w-5 rounded-full bg-white shadow transition-transform ${
            checked ? "translate-x-5" : "translate-x-0.5"
          }`}
        />
      </span>
      {children}
    </button>
  );
}
