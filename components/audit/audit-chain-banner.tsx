"use client";
// The chain's verification (audit.verify): green when the events since the last verified stretch hash intact and
// the newest checkpoint agrees, red naming the first broken event or the checkpoint that disagrees. Anyone can
// check the chain against a checkpoint kept outside Rewind; admins can re-verify in full and make a checkpoint.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useId, useState, type FormEvent } from "react";
import type { AppRouter } from "@/server/api/root";
import { issuesOf } from "../form-errors";
import { formatDateTime } from "../format";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Button, FieldError, inputClass } from "../ui";

type Report = inferRouterOutputs<AppRouter>["audit"]["verify"];
type Check = Report["checkpoints"][number];

const explanations: Record<string, string> = {
  "sequence gap": "an event before it is missing (deleted) or the events are out of order",
  "previous hash mismatch": "the event before it was rewritten with a recomputed hash, or events were renumbered",
  "hash mismatch": "this event was changed after it was recorded, or its hash was recomputed without the chain key",
  "legacy hash after keyed events":
    "it carries an unkeyed hash after keyed events: someone without the chain key wrote or rewrote it",
  "retired key": "it was hashed with a chain key the log had already rotated away from",
  "unknown hash scheme": "its hash scheme is not one Rewind writes",
  "verified event changed":
    "the last event of the stretch verified before is gone or no longer has the hash it had then: history up to it was rewritten or cut back (a full re-verification tells which)",
};

/** Where the audit page shows one event: the page that starts at it, with it expanded. */
export function auditEventHref(sequence: number): string {
  return `/audit?before=${sequence + 1}&event=${sequence}`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString("en")} ${count === 1 ? one : many}`;
}

/** One sentence per checkpoint checked: what it vouched for and whether the chain still holds it. */
function checkpointText(check: Check, head: Report["head"], newest: boolean): string {
  const name =
    check.source === "supplied" ? "Your checkpoint" : newest ? "The newest stored checkpoint" : "Stored checkpoint";
  const which = `${name} (event #${check.sequence}, signed ${formatDateTime(check.at)})`;
  switch (check.status) {
    case "matches":
      return `${which} matches: no event up to #${check.sequence} was deleted or rewritten since.`;
    case "truncated": {
      const end = head?.sequence ?? 0;
      const lost =
        end + 1 === check.sequence ? `event #${check.sequence} was` : `events #${end + 1}–#${check.sequence} were`;
      return `${which} does not match: the chain ends at #${end}, so ${lost} deleted.`;
    }
    case "rewritten":
      return `${which} does not match: event #${check.sequence} no longer has the hash it signed, so history up to it was rewritten.`;
    case "bad signature":
      return `${which} is not genuine: its signature does not verify under the chain key (forged or altered).`;
  }
}

/** A full verification checks every stored checkpoint: failures are listed (the first few), matches counted. */
const FAILURES_SHOWN = 5;

function ReportText({ report }: { report: Report }) {
  const total = report.head?.sequence ?? 0;
  const newestStored = report.checkpoints.find((check) => check.source === "stored");
  const text = (check: Check) => checkpointText(check, report.head, check === newestStored);
  const failed = report.checkpoints.filter((check) => check.status !== "matches");
  const matched = report.checkpoints.filter((check) => check.status === "matches");
  const matchedStored = matched.filter((check) => check.source === "stored");
  const broken = report.brokenAt;
  const through = report.resumedFrom?.through ?? 0;
  return (
    <>
      {broken ? (
        <>
          <p className="font-medium">
            <span aria-hidden="true">✗ </span>The chain breaks at event #{broken.sequence}
            {broken.id ? (
              <>
                {" "}
                (<span className="font-mono break-all">{broken.id}</span>
                {broken.at ? `, ${formatDateTime(broken.at)}` : ""})
              </>
            ) : null}
            : {broken.reason}.
          </p>
          <p className="mt-1">
            It means {explanations[broken.reason] ?? "the stored event does not match its hash"}.{" "}
            {report.mode === "incremental" && report.checked === 0
              ? ""
              : `The ${plural(report.checked, "event")} hashed before it verify. `}
            {broken.id ? (
              <Link href={auditEventHref(broken.sequence)} className="font-medium underline hover:text-red-700">
                Show event #{broken.sequence}
              </Link>
            ) : null}
          </p>
        </>
      ) : failed.length === 0 ? (
        <p className="font-medium">
          <span aria-hidden="true">✓ </span>The audit chain verifies: {plural(total, "event")}, unbroken.
        </p>
      ) : (
        <p className="font-medium">
          <span aria-hidden="true">✗ </span>The chain itself is unbroken, but a checkpoint check failed.
        </p>
      )}
      {failed.slice(0, FAILURES_SHOWN).map((check) => (
        <p key={`${check.source}-${check.id ?? check.sequence}`} className="mt-1 font-medium">
          {text(check)}
        </p>
      ))}
      {failed.length > FAILURES_SHOWN ? (
        <p className="mt-1 font-medium">…and {plural(failed.length - FAILURES_SHOWN, "more checkpoint")} that fail.</p>
      ) : null}
      <ul className="mt-1 list-none space-y-0.5">
        {matched
          .filter((check) => check.source === "supplied" || matchedStored.length === 1)
          .map((check) => (
            <li key={`${check.source}-${check.id ?? check.sequence}`}>{text(check)}</li>
          ))}
        {matchedStored.length > 1 ? (
          <li>
            {failed.length === 0 ? "All " : ""}
            {plural(matchedStored.length, "stored checkpoint")} match, the newest of event #{matchedStored[0]?.sequence}{" "}
            (signed {formatDateTime(matchedStored[0]?.at)}).
          </li>
        ) : null}
        {report.checkpoints.length === 0 ? (
          <li>
            No checkpoint yet: nothing outside the database vouches for the newest events, so deleting them would not
            show. The monitoring cycle makes one hourly; an admin can make one now.
          </li>
        ) : null}
        {!broken ? (
          <li>
            {report.mode === "full"
              ? `Every event was hashed again (${plural(report.checked, "event")}).`
              : report.resumedFrom
                ? `${plural(report.checked, "new event")} hashed; ${
                    through === 1 ? "event 1 was" : `events 1–${through.toLocaleString("en")} were`
                  } verified ${formatDateTime(report.resumedFrom.verifiedAt)}.`
                : `${plural(report.checked, "event")} hashed.`}
          </li>
        ) : null}
        {report.legacyThrough !== null ? (
          <li>
            Events 1–{report.legacyThrough.toLocaleString("en")} use the unkeyed legacy hash (written before the keyed
            chain); the keyed events after them protect them.
          </li>
        ) : null}
        {report.keySource === "test key" ? <li>Keyed with the public test key: not for real use.</li> : null}
      </ul>
    </>
  );
}

export function AuditChainBanner({ isAdmin = false }: { isAdmin?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  // Verification hashes only the events since the last run: on every visit, at most once a minute meanwhile.
  const verify = useQuery(trpc.audit.verify.queryOptions(undefined, { staleTime: 60_000 }));
  // The answer against a pasted checkpoint, shown instead of the plain one until the next check.
  const [suppliedReport, setSuppliedReport] = useState<Report | null>(null);
  const reverify = useMutation(trpc.audit.reverify.mutationOptions());
  const createCheckpoint = useMutation(trpc.audit.createCheckpoint.mutationOptions());
  const report = suppliedReport ?? verify.data;
  const failed = report ? !report.ok : verify.isError;
  const tone =
    report?.ok === true
      ? "border-emerald-300 bg-emerald-50 text-emerald-900"
      : failed
        ? "border-red-300 bg-red-50 text-red-900"
        : "border-slate-200 bg-white text-slate-700";

  async function fullVerification() {
    try {
      const full = await reverify.mutateAsync(undefined);
      setSuppliedReport(null);
      queryClient.setQueryData(trpc.audit.verify.queryKey(), full);
    } catch (error) {
      toast(`Full verification failed: ${(error as Error).message}`, "error");
    }
  }

  async function checkpointNow() {
    try {
      const checkpoint = await createCheckpoint.mutateAsync();
      toast(`Checkpoint of event #${checkpoint.sequence} signed and sent`);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: trpc.audit.checkpoints.queryKey() }),
        queryClient.invalidateQueries({ queryKey: trpc.audit.verify.queryKey() }),
        queryClient.invalidateQueries({ queryKey: trpc.audit.list.queryKey() }),
      ]);
    } catch (error) {
      toast(`Checkpoint failed: ${(error as Error).message}`, "error");
    }
  }

  return (
    <section aria-label="Audit chain verification" className={`rounded-lg border p-4 text-sm ${tone}`}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div aria-live="polite" className="min-w-0 flex-1">
          {report ? (
            <>
              {suppliedReport ? <p className="mb-1 text-xs font-medium uppercase">Against your checkpoint</p> : null}
              <ReportText report={report} />
            </>
          ) : verify.isError ? (
            <p className="font-medium">Could not verify the audit chain: {verify.error.message}</p>
          ) : (
            <p>Verifying the audit chain…</p>
          )}
        </div>
        <div className="flex shrink-0 flex-wrap gap-2">
          <Button
            tone="secondary"
            disabled={verify.isFetching}
            onClick={() => {
              setSuppliedReport(null);
              void verify.refetch();
            }}
          >
            {verify.isFetching ? "Verifying…" : "Verify again"}
          </Button>
          {isAdmin ? (
            <>
              <Button tone="secondary" disabled={reverify.isPending} onClick={() => void fullVerification()}>
                {reverify.isPending ? "Verifying every event…" : "Verify in full"}
              </Button>
              <Button tone="secondary" disabled={createCheckpoint.isPending} onClick={() => void checkpointNow()}>
                {createCheckpoint.isPending ? "Signing…" : "Create checkpoint"}
              </Button>
            </>
          ) : null}
        </div>
      </div>
      <CheckpointCheckForm onChecked={setSuppliedReport} />
    </section>
  );
}

/** Pasting a checkpoint kept elsewhere (a line of the file, a webhook body, the export's) checks the chain against it. */
function CheckpointCheckForm({ onChecked }: { onChecked: (report: Report) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ids = { text: useId(), error: useId() };
  const [text, setText] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy || text.trim() === "") return;
    setBusy(true);
    setError(undefined);
    try {
      const options = trpc.audit.verify.queryOptions({ checkpoint: text }, { staleTime: 0, gcTime: 0 });
      onChecked(await queryClient.fetchQuery(options));
    } catch (failure) {
      setError(issuesOf(failure).checkpoint ?? (failure as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <details className="mt-3 text-slate-900">
      <summary className="cursor-pointer font-medium">Check against a checkpoint kept outside Rewind</summary>
      <form onSubmit={(event) => void submit(event)} className="mt-2 space-y-2">
        <label htmlFor={ids.text} className="block">
          Paste a line of the checkpoint file, an <code>audit.checkpoint</code> webhook body or a checkpoint from an
          export. Its signature is checked, then the chain must still reach it with the same hash.
        </label>
        <textarea
          id={ids.text}
          rows={3}
          value={text}
          onChange={(event) => setText(event.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? ids.error : undefined}
          className={`${inputClass} font-mono text-xs`}
          placeholder='{"type":"rewind.audit.checkpoint","sequence":…,"hash":"…","at":"…","signature":"…"}'
        />
        <FieldError id={ids.error} message={error} />
        <Button type="submit" tone="secondary" disabled={busy || text.trim() === ""}>
          {busy ? "Checking…" : "Check checkpoint"}
        </Button>
      </form>
    </details>
  );
}
