"use client";
// The audit page: the chain's verification and checkpoints, the filters (kept in the URL), the events newest first in pages of
// 50 with their details, and the export of what the filters match.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import type { AuditFilter } from "@/server/domain/audit";
import { DataTable } from "../data-table";
import { formatDateTime, formatRelative } from "../format";
import { useTRPC } from "../trpc";
import { Alert, Button, EmptyState, ListSkeleton, QueryError } from "../ui";
import { AuditChainBanner } from "./audit-chain-banner";
import { AuditCheckpoints } from "./audit-checkpoints";
import { AuditExport } from "./audit-export";
import { AuditFilters } from "./audit-filters";
import { actorLabel, detailsJson, type AuditEventView } from "./audit-format";
import { hasFilter, paramsFromView, viewFromParams, type AuditView } from "./audit-params";

const PAGE_SIZE = 50;

/** `isAdmin` shows the admin actions (full re-verification, a checkpoint now); the procedures check again. */
export function AuditLog({ isAdmin = false }: { isAdmin?: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const query = searchParams.toString();
  const { view, error } = useMemo(() => viewFromParams(new URLSearchParams(query)), [query]);
  const firstPage = view.cursor === undefined && view.newerThan === undefined;

  const facets = useQuery(trpc.audit.facets.queryOptions(undefined, { staleTime: 60_000 }));
  const targets = useQuery(trpc.targets.list.queryOptions(undefined, { staleTime: 60_000 }));
  const list = useQuery(
    trpc.audit.list.queryOptions(
      {
        filter: view.filter,
        limit: PAGE_SIZE,
        ...(view.cursor !== undefined && { cursor: view.cursor }),
        ...(view.newerThan !== undefined && { newerThan: view.newerThan }),
      },
      // The newest page follows new events; older pages hold still.
      { placeholderData: keepPreviousData, refetchInterval: firstPage ? 10_000 : false },
    ),
  );

  const go = (next: AuditView) => {
    const params = paramsFromView(next).toString();
    router.push(params ? `${pathname}?${params}` : pathname, { scroll: false });
  };
  const keyNames = useMemo(
    () => new Map((facets.data?.actors ?? []).flatMap((actor) => (actor.name ? [[actor.id, actor.name]] : []))),
    [facets.data],
  );
  const targetNames = useMemo(
    () => new Map((targets.data ?? []).map((target) => [target.id, target.name])),
    [targets.data],
  );
  const filtered = hasFilter(view.filter);
  const events = list.data?.events ?? [];

  return (
    <div className="space-y-4">
      <AuditChainBanner isAdmin={isAdmin} />
      <AuditCheckpoints />
      {error ? <Alert>{error}</Alert> : null}
      <AuditFilters
        key={`${query}|${facets.isSuccess}|${targets.isSuccess}`}
        filter={view.filter}
        facets={facets.data}
        targets={targets.data ?? []}
        onApply={(filter: AuditFilter) => go({ filter })}
        onClear={() => go({ filter: {} })}
      />
      <QueryError error={facets.error} what="the filter choices" />

      <section aria-labelledby="audit-events-heading" className="space-y-3">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h2 id="audit-events-heading" className="text-lg font-medium">
            Events
            {events.length > 0 ? (
              <span className="ml-2 text-sm font-normal text-slate-600">
                {events.length === 1
                  ? `#${events[0]?.sequence}`
                  : `#${events.at(-1)?.sequence} – #${events[0]?.sequence}, newest first`}
              </span>
            ) : null}
          </h2>
          <AuditExport filter={view.filter} filtered={filtered} />
        </div>

        {list.isPending ? (
          <ListSkeleton rows={6} label="Loading audit events" />
        ) : list.isError ? (
          <QueryError error={list.error} what="the audit log" />
        ) : events.length === 0 ? (
          filtered ? (
            <EmptyState title="No event matches these filters">
              <p>Widen the time range, or choose another action, actor or target.</p>
              <Button tone="secondary" className="mt-3" onClick={() => go({ filter: {} })}>
                Clear the filters
              </Button>
            </EmptyState>
          ) : (
            <EmptyState title="No audit events yet">
              Every change made in Rewind (a user, a target, a policy, a snapshot, a flag, a rollback) is recorded here
              with who made it, hash-chained so that any later edit shows. Make a change and it appears at once.
            </EmptyState>
          )
        ) : (
          <AuditTable
            key={view.highlight ?? ""}
            events={events}
            highlight={view.highlight}
            keyNames={keyNames}
            targetNames={targetNames}
            busy={list.isPlaceholderData}
          />
        )}

        {list.data && (list.data.newerCursor !== null || list.data.nextCursor !== null || !firstPage) ? (
          <nav aria-label="Audit log pages" className="flex flex-wrap items-center justify-between gap-2">
            <div className="flex gap-2">
              <Button tone="secondary" disabled={firstPage} onClick={() => go({ filter: view.filter })}>
                Newest
              </Button>
              <Button
                tone="secondary"
                disabled={list.data.newerCursor === null}
                onClick={() =>
                  list.data.newerCursor !== null && go({ filter: view.filter, newerThan: list.data.newerCursor })
                }
              >
                ← Newer
              </Button>
            </div>
            <Button
              tone="secondary"
              disabled={list.data.nextCursor === null}
              onClick={() => list.data.nextCursor !== null && go({ filter: view.filter, cursor: list.data.nextCursor })}
            >
              Older →
            </Button>
          </nav>
        ) : null}
      </section>
    </div>
  );
}

function AuditTable({
  events,
  highlight,
  keyNames,
  targetNames,
  busy,
}: {
  events: readonly AuditEventView[];
  highlight: number | undefined;
  keyNames: ReadonlyMap<string, string>;
  targetNames: ReadonlyMap<string, string>;
  busy: boolean;
}) {
  const [open, setOpen] = useState<ReadonlySet<number>>(() => new Set(highlight === undefined ? [] : [highlight]));
  const toggle = (sequence: number) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(sequence)) next.delete(sequence);
      else next.add(sequence);
      return next;
    });

  // Scrolls once the linked event is on the page (the previous page stays shown while the new one loads).
  const highlightShown = events.some((event) => event.sequence === highlight);
  useEffect(() => {
    if (highlightShown) document.getElementById(`event-${highlight}`)?.scrollIntoView({ block: "center" });
  }, [highlight, highlightShown]);

  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" aria-busy={busy || undefined}>
      <DataTable
        className="min-w-[42rem]"
        caption="Audit events, newest first"
        alignTop
        rows={events}
        rowKey={(event) => event.id}
        rowProps={(event) => ({
          id: `event-${event.sequence}`,
          className:
            event.sequence === highlight ? "bg-amber-50 outline-2 -outline-offset-2 outline-amber-500" : undefined,
        })}
        details={(event) =>
          open.has(event.sequence)
            ? {
                id: `event-details-${event.sequence}`,
                content: (
                  <div className="grid gap-4 md:grid-cols-[16rem_minmax(0,1fr)]">
                    <div className="space-y-2 text-xs">
                      <dl className="space-y-1">
                        <div>
                          <dt className="inline font-medium">Event id: </dt>
                          <dd className="inline font-mono break-all">{event.id}</dd>
                        </div>
                        <div>
                          <dt className="inline font-medium">Actor: </dt>
                          <dd className="inline break-all">
                            {event.actorType}
                            {event.actorId ? ` ${event.actorId}` : ""}
                          </dd>
                        </div>
                        {event.reason ? (
                          <div>
                            <dt className="inline font-medium">Reason: </dt>
                            <dd className="inline">{event.reason}</dd>
                          </div>
                        ) : null}
                      </dl>
                      <Link
                        href={`/audit?${new URLSearchParams({ entityType: event.entityType, entityId: event.entityId }).toString()}`}
                        className="inline-block text-indigo-700 underline hover:text-indigo-900"
                      >
                        Every event of this {event.entityType}
                      </Link>
                    </div>
                    <pre
                      role="region"
                      aria-label={`Event ${event.sequence} before, after and reason, as JSON`}
                      tabIndex={0}
                      className="max-h-80 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100"
                    >
                      {detailsJson(event)}
                    </pre>
                  </div>
                ),
              }
            : null
        }
        columns={[
          {
            id: "event",
            header: "Event",
            rowHeader: true,
            className: "font-medium whitespace-nowrap",
            cell: (event) => {
              const expanded = open.has(event.sequence);
              return (
                <button
                  type="button"
                  aria-expanded={expanded}
                  aria-controls={`event-details-${event.sequence}`}
                  onClick={() => toggle(event.sequence)}
                  className="inline-flex items-center gap-1 rounded-md border border-slate-300 px-2 py-1 font-mono hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-600"
                >
                  <span aria-hidden="true">{expanded ? "▾" : "▸"}</span>#{event.sequence}
                  <span className="sr-only"> details</span>
                </button>
              );
            },
          },
          {
            id: "time",
            header: "Time",
            className: "whitespace-nowrap",
            cell: (event) => (
              <time dateTime={event.at.toISOString()} title={formatRelative(event.at)}>
                {formatDateTime(event.at)
                  .split(", ")
                  .map((part, index) => (
                    <span key={index} className={index === 0 ? "block" : "block text-xs text-slate-600"}>
                      {part}
                    </span>
                  ))}
              </time>
            ),
          },
          {
            id: "actor",
            header: "Actor",
            cell: (event) => {
              const actor = actorLabel(event, keyNames);
              return (
                <>
                  {actor.name}
                  {actor.detail ? <span className="block text-xs break-all text-slate-600">{actor.detail}</span> : null}
                </>
              );
            },
          },
          {
            id: "action",
            header: "Action",
            className: "font-mono text-xs whitespace-nowrap",
            cell: (event) => event.action,
          },
          {
            id: "entity",
            header: "Entity",
            cell: (event) => (
              <>
                {event.entityType}
                <span className="block max-w-[10rem] truncate font-mono text-xs text-slate-600" title={event.entityId}>
                  {event.entityId}
                </span>
              </>
            ),
          },
          {
            id: "target",
            header: "Target",
            cell: (event) =>
              event.targetId
                ? (targetNames.get(event.targetId) ?? <span className="font-mono text-xs">{event.targetId}</span>)
                : "—",
          },
        ]}
      />
    </div>
  );
}
