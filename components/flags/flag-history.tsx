"use client";
// Who changed one flag, and how: its events from the audit log, newest first.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { actionText, actorLabel, changedFieldTexts, timeAgo } from "../audit/audit-format";
import { formatDateTime } from "../format";
import { useTRPC } from "../trpc";
import { ListSkeleton, QueryError } from "../ui";

const SHOWN = 10;

export function FlagHistory({ flagId, flagKey }: { flagId: string; flagKey: string }) {
  const trpc = useTRPC();
  const filter = { entityType: "FeatureFlag", entityId: flagId };
  const history = useQuery(trpc.audit.list.queryOptions({ filter, limit: SHOWN }));
  const fullLog = `/audit?${new URLSearchParams(filter).toString()}`;

  return (
    <section aria-label={`History of ${flagKey}`}>
      <h3 className="mb-2 text-sm font-semibold">Who changed what</h3>
      {history.isPending ? (
        <ListSkeleton rows={2} label={`Loading the history of ${flagKey}`} />
      ) : history.isError ? (
        <QueryError error={history.error} what="the history" />
      ) : history.data.events.length === 0 ? (
        <p className="text-sm text-slate-600">No recorded change yet.</p>
      ) : (
        <ol className="space-y-2 border-l-2 border-slate-200 pl-3">
          {history.data.events.map((event) => {
            const actor = actorLabel(event);
            const changes = event.action === "flag.updated" ? changedFieldTexts(event) : [];
            return (
              <li key={event.id} className="text-sm">
                <p>
                  <span className="font-medium">{actor.name}</span>
                  {actor.detail ? <span className="text-slate-600"> ({actor.detail})</span> : null}{" "}
                  {actionText(event.action)}
                  {event.action === "flag.created" && typeof event.after === "object" && event.after
                    ? ` (${"enabled" in event.after && event.after.enabled ? "on" : "off"})`
                    : ""}
                </p>
                {changes.length > 0 ? (
                  <ul className="text-slate-700">
                    {changes.map((change) => (
                      <li key={change} className="break-words">
                        {change}
                      </li>
                    ))}
                  </ul>
                ) : null}
                {event.reason ? <p className="text-slate-700">Reason: {event.reason}</p> : null}
                <p className="text-xs text-slate-600">
                  <time dateTime={event.at.toISOString()} title={formatDateTime(event.at)}>
                    {timeAgo(event.at)}
                  </time>{" "}
                  · event #{event.sequence}
                </p>
              </li>
            );
          })}
        </ol>
      )}
      <p className="mt-3 text-sm">
        <Link href={fullLog} className="text-indigo-700 underline hover:text-indigo-900">
          {history.data?.nextCursor ? "Older changes in the audit log" : "Open in the audit log"}
        </Link>
      </p>
    </section>
  );
}
