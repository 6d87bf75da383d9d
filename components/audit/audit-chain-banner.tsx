"use client";
// The result of walking the whole hash chain (audit.verify): green when every stored event is intact, red with a
// link to the first broken event otherwise.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTime } from "../format";
import { useTRPC } from "../trpc";
import { Button } from "../ui";

const explanations: Record<string, string> = {
  "sequence gap": "an event before it is missing (deleted) or the events are out of order",
  "previous hash mismatch": "the event before it was rewritten with a recomputed hash, or events were renumbered",
  "hash mismatch": "this event was changed after it was recorded",
};

/** Where the audit page shows one event: the page that starts at it, with it expanded. */
export function auditEventHref(sequence: number): string {
  return `/audit?before=${sequence + 1}&event=${sequence}`;
}

export function AuditChainBanner() {
  const trpc = useTRPC();
  // Walking the chain hashes every event: once a minute at most, or on demand.
  const verify = useQuery(trpc.audit.verify.queryOptions(undefined, { staleTime: 60_000 }));
  const tone =
    verify.data?.ok === true
      ? "border-emerald-300 bg-emerald-50 text-emerald-900"
      : verify.data?.ok === false || verify.isError
        ? "border-red-300 bg-red-50 text-red-900"
        : "border-slate-200 bg-white text-slate-700";

  return (
    <section aria-label="Audit chain verification" className={`rounded-lg border p-4 text-sm ${tone}`}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div aria-live="polite" className="min-w-0 flex-1">
          {verify.isPending ? (
            <p>Verifying the audit chain…</p>
          ) : verify.isError ? (
            <p className="font-medium">Could not verify the audit chain: {verify.error.message}</p>
          ) : verify.data.ok ? (
            <>
              <p className="font-medium">
                <span aria-hidden="true">✓ </span>The audit chain verifies: {verify.data.checked.toLocaleString("en")}{" "}
                {verify.data.checked === 1 ? "event" : "events"}, unbroken.
              </p>
              <p className="mt-1 text-emerald-900">
                No stored event was changed, removed or reordered. Keep exports to compare the latest event number
                against: the chain cannot tell whether newer events were removed.
              </p>
            </>
          ) : (
            <>
              <p className="font-medium">
                <span aria-hidden="true">✗ </span>The chain breaks at event #{verify.data.brokenAt.sequence} (
                <span className="font-mono break-all">{verify.data.brokenAt.id}</span>,{" "}
                {formatDateTime(verify.data.brokenAt.at)}): {verify.data.brokenAt.reason}.
              </p>
              <p className="mt-1">
                It means {explanations[verify.data.brokenAt.reason] ?? "the stored event does not match its hash"}. The{" "}
                {verify.data.checked.toLocaleString("en")} events before it verify.{" "}
                <Link
                  href={auditEventHref(verify.data.brokenAt.sequence)}
                  className="font-medium underline hover:text-red-700"
                >
                  Show event #{verify.data.brokenAt.sequence}
                </Link>
              </p>
            </>
          )}
        </div>
        <Button
          tone="secondary"
          disabled={verify.isFetching}
          onClick={() => void verify.refetch()}
          className="shrink-0"
        >
          {verify.isFetching ? "Verifying…" : "Verify again"}
        </Button>
      </div>
    </section>
  );
}
