"use client";
// Credentials shown once, right after they are created: each in a read-only field with a copy button, and a
// warning that they cannot be shown again. Focus moves to the panel so keyboard and screen-reader users
// land on it.
import { useEffect, useId, useRef } from "react";
import { useToast } from "../toast";
import { Button, inputClass } from "../ui";

export interface Secret {
  label: string;
  value: string;
}

export function SecretReveal({
  title,
  secrets,
  children,
  onDone,
}: {
  title: string;
  secrets: readonly Secret[];
  /** Where the values go (e.g. which environment variable). */
  children?: React.ReactNode;
  onDone: () => void;
}) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const id = useId();
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <section
      aria-labelledby={`${id}-heading`}
      className="rounded-lg border-2 border-amber-400 bg-amber-50 p-4 shadow-sm"
    >
      <h3 id={`${id}-heading`} ref={headingRef} tabIndex={-1} className="text-base font-semibold focus:outline-none">
        {title}
      </h3>
      <p className="mt-1 text-sm font-medium text-amber-900">
        {secrets.length > 1
          ? "Copy them now: Rewind keeps no readable copy to show, and this is the only time you see them."
          : "Copy it now: Rewind keeps no readable copy to show, and this is the only time you see it."}
      </p>
      {children ? <div className="mt-2 text-sm text-slate-700">{children}</div> : null}
      <div className="mt-3 space-y-3">
        {secrets.map((secret, index) => (
          <SecretField key={secret.label} id={`${id}-${index}`} secret={secret} />
        ))}
      </div>
      <div className="mt-4 flex justify-end">
        <Button tone="secondary" onClick={onDone}>
          I have copied {secrets.length > 1 ? "them" : "it"}
        </Button>
      </div>
    </section>
  );
}

function SecretField({ id, secret }: { id: string; secret: Secret }) {
  const toast = useToast();
  const inputRef = useRef<HTMLInputElement>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret.value);
      toast(`${secret.label} copied`);
    } catch {
      // No clipboard (a plain-http page, or permission refused): select it for Ctrl+C instead.
      inputRef.current?.select();
      toast(`Could not copy: the ${secret.label.toLowerCase()} is selected, press Ctrl+C`, "error");
    }
  }
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium">
        {secret.label}
      </label>
      <div className="flex gap-2">
        <input
          ref={inputRef}
          id={id}
          readOnly
          value={secret.value}
          onFocus={(event) => event.currentTarget.select()}
          className={`${inputClass} font-mono`}
          spellCheck={false}
        />
        <Button tone="secondary" onClick={() => void copy()} className="shrink-0">
          Copy<span className="sr-only"> {secret.label.toLowerCase()}</span>
        </Button>
      </div>
    </div>
  );
}
