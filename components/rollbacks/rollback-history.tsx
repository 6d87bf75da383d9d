"use client";
// Every rollback, filtered by target, trigger, status, actor and date range — the filters live in the URL so a
// filtered view can be shared — with its summary, cursor pages and a CSV or JSON download of the filtered list.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";
import { useId } from "react";
import {
  rollbackStatuses,
  rollbackTriggers,
  type RollbackStatus,
  type RollbackTrigger,
} from "@/server/domain/rollback";
import { isActive } from "@/server/domain/rollback";
import { type RollbackFilter } from "@/server/domain/rollback-inputs";
import { DataTable, type Column } from "../data-table";
import { formatDateTime } from "../format";
import { RollbackStatusBadge, rollbackStatusLabel } from "../status";
import { useTRPC } from "../trpc";
import { ExportLinks } from "../export-links";
import { Alert, Badge, Button, EmptyState, FieldError, ListSkeleton, QueryError } from "../ui";
import { formatDuration, personName, snapshotLabel, triggerLabels, type RollbackListItem } from "./rollback-format";
import { RollbackSummary } from "./rollback-summary";
import { ScrollArea } from "./scroll-area";

const PAGE_SIZE = 25;
const DAY = 86_400_000;
const filterKeys = ["target", "trigger", "status", "actor", "from", "to"] as const;
type FilterKey = (typeof filterKeys)[number];

/** A YYYY-MM-DD day as its UTC midnight; null when it is not one. */
function utcDay(text: string | null): Date | null {
  if (!text || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const date = new Date(`${text}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

const oneOf = <T extends string>(values: readonly T[], value: string | null): T | undefined =>
  values.includes(value as T) ? (value as T) : undefined;

const selectClass = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm shadow-sm";

export function RollbackHistory() {
  const trpc = useTRPC();
  const pathname = usePathname();
  const params = useSearchParams();
  const targets = useQuery(trpc.targets.list.queryOptions());
  const actors = useQuery(trpc.rollbacks.actors.queryOptions());

  const param = (key: FilterKey) => params.get(key) || null;
  // The History API (which Next's router follows) rather than router.replace: it updates location at once, so
  // two changes in a row each build on the other instead of on the render before both.
  const setParam = (key: FilterKey, value: string) => {
    const next = new URLSearchParams(window.location.search);
    if (value) next.set(key, value);
    else next.delete(key);
    const query = next.toString();
    window.history.replaceState(null, "", query ? `${pathname}?${query}` : pathname);
  };

  const slug = param("target");
  const target = slug ? targets.data?.find((candidate) => candidate.slug === slug) : undefined;
  const from = utcDay(param("from"));
  const toDay = utcDay(param("to"));
  const rangeError = from && toDay && toDay < from ? "The end date must not be before the start date" : undefined;
  const filter: RollbackFilter = {
    ...(target && { targetId: target.id }),
    ...(oneOf(rollbackTriggers, param("trigger")) && { trigger: oneOf(rollbackTriggers, param("trigger")) }),
    ...(oneOf(rollbackStatuses, param("status")) && { status: oneOf(rollbackStatuses, param("status")) }),
    ...(param("actor") && { actorId: param("actor")! }),
    ...(from && { from }),
    // The end date is inclusive: everything requested before the next midnight (UTC).
    ...(toDay && { to: new Date(toDay.getTime() + DAY) }),
  };
  const unknownTarget = Boolean(slug && targets.isSuccess && !target);
  const ready = !rangeError && !unknownTarget && (!slug || targets.isSuccess);
  const filtered = filterKeys.some((key) => param(key));

  const ids = {
    target: useId(),
    trigger: useId(),
    status: useId(),
    actor: useId(),
    from: useId(),
    to: useId(),
    toError: useId(),
  };

  return (
    <div className="space-y-6">
      <form
        role="search"
        aria-label="Filter rollbacks"
        onSubmit={(event) => event.preventDefault()}
        className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-3 lg:grid-cols-6"
      >
        <div>
          <label htmlFor={ids.target} className="text-sm font-medium">
            Target
          </label>
          <select
            id={ids.target}
            value={slug ?? ""}
            onChange={(event) => setParam("target", event.target.value)}
            className={selectClass}
          >
            <option value="">All targets</option>
            {slug && !target ? <option value={slug}>{slug}</option> : null}
            {targets.data?.map((candidate) => (
              <option key={candidate.id} value={candidate.slug}>
                {candidate.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.trigger} className="text-sm font-medium">
            Trigger
          </label>
          <select
            id={ids.trigger}
            value={filter.trigger ?? ""}
            onChange={(event) => setParam("trigger", event.target.value)}
            className={selectClass}
          >
            <option value="">Any trigger</option>
            {rollbackTriggers.map((trigger: RollbackTrigger) => (
              <option key={trigger} value={trigger}>
                {triggerLabels[trigger]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.status} className="text-sm font-medium">
            Status
          </label>
          <select
            id={ids.status}
            value={filter.status ?? ""}
            onChange={(event) => setParam("status", event.target.value)}
            className={selectClass}
          >
            <option value="">Any status</option>
            {rollbackStatuses.map((status: RollbackStatus) => (
              <option key={status} value={status}>
                {rollbackStatusLabel(status)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.actor} className="text-sm font-medium">
            Person
          </label>
          <select
            id={ids.actor}
            value={param("actor") ?? ""}
            onChange={(event) => setParam("actor", event.target.value)}
            aria-describedby={`${ids.actor}-hint`}
            className={selectClass}
          >
            <option value="">Anyone</option>
            {param("actor") && actors.isSuccess && !actors.data.some((actor) => actor.id === param("actor")) ? (
              <option value={param("actor")!}>Unknown person</option>
            ) : null}
            {actors.data?.map((actor) => (
              <option key={actor.id} value={actor.id}>
                {actor.name || actor.email}
              </option>
            ))}
          </select>
          <span id={`${ids.actor}-hint`} className="sr-only">
            Who requested, approved, rejected, cancelled or aborted it
          </span>
        </div>
        <div>
          <label htmlFor={ids.from} className="text-sm font-medium">
            From (UTC)
          </label>
          <input
            id={ids.from}
            type="date"
            value={param("from") ?? ""}
            onChange={(event) => setParam("from", event.target.value)}
            className={selectClass}
          />
        </div>
        <div>
          <label htmlFor={ids.to} className="text-sm font-medium">
            To (UTC, inclusive)
          </label>
          <input
            id={ids.to}
            type="date"
            value={param("to") ?? ""}
            onChange={(event) => setParam("to", event.target.value)}
            aria-invalid={rangeError ? true : undefined}
            aria-describedby={rangeError ? ids.toError : undefined}
            className={`${selectClass} aria-[invalid=true]:border-red-500`}
          />
          <FieldError id={ids.toError} message={rangeError} />
        </div>
        {filtered ? (
          <div className="sm:col-span-3 lg:col-span-6">
            <Link href={pathname} scroll={false} className="text-sm text-indigo-700 underline hover:text-indigo-900">
              Clear filters
            </Link>
          </div>
        ) : null}
      </form>

      {unknownTarget ? <Alert>No target has the slug “{slug}”: choose one from the list.</Alert> : null}
      <QueryError error={targets.error} what="targets" />
      {ready ? (
        <>
          <RollbackSummary filter={filter} />
          <RollbackTable filter={filter} filtered={filtered} />
        </>
      ) : null}
    </div>
  );
}

function RollbackTable({ filter, filtered }: { filter: RollbackFilter; filtered: boolean }) {
  const trpc = useTRPC();
  const list = useInfiniteQuery(
    trpc.rollbacks.list.infiniteQueryOptions(
      { ...filter, limit: PAGE_SIZE },
      { getNextPageParam: (page) => page.nextCursor ?? undefined, refetchInterval: 30_000 },
    ),
  );
  if (list.isPending) return <ListSkeleton rows={5} label="Loading rollbacks" />;
  if (list.isError) return <QueryError error={list.error} what="rollbacks" />;
  const items = list.data.pages.flatMap((page) => page.items);
  if (items.length === 0) {
    return filtered ? (
      <EmptyState title="No rollback matches these filters">
        Widen the date range or clear a filter; every rollback Rewind proposed, started or was asked for is kept here.
      </EmptyState>
    ) : (
      <EmptyState title="No rollbacks yet">
        Rewind proposes a rollback when a target breaches its SLO (waiting in{" "}
        <Link href="/approvals" className="text-indigo-700 underline hover:text-indigo-900">
          Approvals
        </Link>
        ), starts one on its own under an automatic policy, and operators can ask for one by hand. Each shows up here.
      </EmptyState>
    );
  }
  return (
    <section aria-labelledby="history-heading" className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="history-heading" className="text-lg font-medium">
          History
        </h2>
        <ExportButtons filter={filter} />
      </div>
      <ScrollArea label="Rollbacks" className="rounded-lg border border-slate-200 bg-white">
        <DataTable
          className="min-w-[60rem]"
          caption="Rollbacks"
          alignTop
          rows={items}
          rowKey={(item) => item.id}
          rowHref={(item) => `/rollbacks/${item.id}`}
          columns={historyColumns}
        />
      </ScrollArea>
      <div className="flex flex-wrap items-center gap-3 text-sm text-slate-600">
        <span aria-live="polite">
          Showing {items.length} rollback{items.length === 1 ? "" : "s"}
          {list.hasNextPage ? "; older ones follow" : ""}.
        </span>
        {list.hasNextPage ? (
          <Button tone="secondary" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            {list.isFetchingNextPage ? "Loading…" : `Load ${PAGE_SIZE} older`}
          </Button>
        ) : null}
      </div>
    </section>
  );
}

const verificationText: Record<string, { label: string; tone: "good" | "bad" | "warning" | "info" }> = {
  EFFECTIVE: { label: "Effective", tone: "good" },
  INEFFECTIVE: { label: "Ineffective", tone: "bad" },
  INCONCLUSIVE: { label: "Inconclusive: too little traffic", tone: "warning" },
  PENDING: { label: "Watching", tone: "info" },
};

const historyColumns: Column<RollbackListItem>[] = [
  {
    id: "requested",
    header: "Requested",
    rowHeader: true,
    className: "whitespace-nowrap",
    cell: (item) => formatDateTime(item.requestedAt),
  },
  {
    id: "target",
    header: "Target",
    cell: (item) => (
      <Link href={`/targets/${item.target.slug}`} className="text-indigo-700 underline hover:text-indigo-900">
        {item.target.name}
      </Link>
    ),
  },
  { id: "trigger", header: "Trigger", className: "whitespace-nowrap", cell: (item) => triggerLabels[item.trigger] },
  {
    id: "status",
    header: "Status",
    cell: (item) => (
      <>
        <span className="flex flex-wrap gap-1 whitespace-nowrap">
          <RollbackStatusBadge status={item.status} />
          {item.aborted ? <Badge tone="warning">Aborted</Badge> : null}
        </span>
        {item.status === "IN_PROGRESS" ? (
          <span className="mt-1 block text-xs text-slate-600">{item.trafficPercent}% on the known-good snapshot</span>
        ) : null}
      </>
    ),
  },
  {
    id: "snapshots",
    header: "Snapshots",
    className: "whitespace-nowrap",
    cell: (item) => `${snapshotLabel(item.fromSnapshot)} → ${snapshotLabel(item.toSnapshot)}`,
  },
  { id: "requestedBy", header: "Requested by", cell: (item) => personName(item.requestedBy) },
  {
    id: "timeToAction",
    header: "Breach to action",
    className: "whitespace-nowrap tabular-nums",
    cell: (item) =>
      item.timeToActionMs === null ? (
        <span className="text-slate-600">No traffic moved</span>
      ) : (
        formatDuration(item.timeToActionMs)
      ),
  },
  {
    id: "verification",
    header: "Verification",
    cell: (item) => {
      const verification = item.verification ? verificationText[item.verification] : undefined;
      return verification ? (
        <Badge tone={verification.tone}>{verification.label}</Badge>
      ) : (
        <span className="text-slate-600">—</span>
      );
    },
  },
  {
    id: "report",
    header: "Report",
    cell: (item) =>
      isActive(item.status) ? null : (
        <Link href={`/rollbacks/${item.id}/report`} className="text-indigo-700 underline hover:text-indigo-900">
          Report
          <span className="sr-only">
            {" "}
            on the rollback of {item.target.name} requested {formatDateTime(item.requestedAt)}
          </span>
        </Link>
      ),
  },
];

/** Links to GET /api/export/rollbacks with the list's filter: the server streams the file. */
function ExportButtons({ filter }: { filter: RollbackFilter }) {
  return (
    <div className="flex gap-2" role="group" aria-label="Download the filtered list">
      <ExportLinks what="rollbacks" filter={filter} />
    </div>
  );
}
