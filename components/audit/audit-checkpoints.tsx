"use client";
// The newest signed checkpoints of the chain (audit.checkpoints): what each vouched for, where it was sent, and
// its line to copy somewhere safe, the way the checkpoint file and the webhook payload carry it.
import { useQuery } from "@tanstack/react-query";
import { formatDateTime } from "../format";
import { useTRPC } from "../trpc";
import { QueryError } from "../ui";

function deliveryText(dispatched: boolean, deliveries: readonly { channel: string; status: string }[]): string {
  if (!dispatched) return "queued for the notification channels";
  if (deliveries.length === 0) return "no channel takes it (subscribe a webhook to audit.checkpoint)";
  const counts = new Map<string, number>();
  for (const { channel, status } of deliveries) {
    const key = `${channel.toLowerCase()} ${status.toLowerCase()}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => (count === 1 ? key : `${key} ×${count}`)).join(", ");
}

export function AuditCheckpoints() {
  const trpc = useTRPC();
  const checkpoints = useQuery(trpc.audit.checkpoints.queryOptions(undefined, { staleTime: 60_000 }));
  const rows = checkpoints.data ?? [];

  return (
    <details className="rounded-lg border border-slate-200 bg-white p-4 text-sm">
      <summary className="cursor-pointer font-medium">
        Checkpoints{rows.length > 0 ? ` (newest: event #${rows[0]?.sequence}, ${formatDateTime(rows[0]?.at)})` : ""}
      </summary>
      <div className="mt-2 space-y-3">
        <p className="text-slate-700">
          Each checkpoint is the chain&apos;s head (event number and hash) at a time, signed with the chain key and sent
          outside the database: to webhooks subscribed to <code>audit.checkpoint</code>, to the checkpoint file when one
          is set, and in the JSON export. Keep them: checked against one, Rewind shows whether events up to it were
          later deleted or rewritten.
        </p>
        <QueryError error={checkpoints.error} what="the checkpoints" />
        {checkpoints.isSuccess && rows.length === 0 ? <p>No checkpoint yet.</p> : null}
        <ol className="space-y-2">
          {rows.map((checkpoint) => (
            <li key={checkpoint.id} className="rounded-md border border-slate-200 p-2">
              <p>
                <span className="font-medium">Event #{checkpoint.sequence.toLocaleString("en")}</span>, signed{" "}
                {formatDateTime(checkpoint.at)}: {deliveryText(checkpoint.dispatched, checkpoint.deliveries)};{" "}
                {checkpoint.file ? `file ${checkpoint.file}` : "no checkpoint file (AUDIT_CHECKPOINT_FILE)"}
                {checkpoint.fileError ? ` (not written: ${checkpoint.fileError})` : ""}.
              </p>
              <pre
                role="region"
                aria-label={`Checkpoint of event ${checkpoint.sequence}, as JSON`}
                tabIndex={0}
                className="mt-1 overflow-x-auto rounded bg-slate-900 p-2 font-mono text-xs text-slate-100"
              >
                {checkpoint.line}
              </pre>
            </li>
          ))}
        </ol>
      </div>
    </details>
  );
}
