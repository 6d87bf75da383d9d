"use client";
// The overview page's live part: the system switches, a count of every target by group, and the targets a search
// and group pick, group by group and worst first, a page of cards at a time, refreshed every 5 s. The view lives in
// the address. A card whose target has a proposal waiting carries the approvals queue's view of it, to decide on
// the spot.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { overviewGroupLabels, overviewGroups, type OverviewGroup } from "@/server/domain/overview";
import type { RoleName } from "@/server/domain/roles";
import type { RollbackView, Viewer } from "../rollbacks/rollback-format";
import { useTRPC } from "../trpc";
import { Alert, Button, EmptyState, inputClass, QueryError, Skeleton } from "../ui";
import { overviewViewQuery, type OverviewViewState } from "./overview-params";
import { EmergencyStopButton, SystemBanners } from "./system-controls";
import { TargetCard, type OverviewData, type OverviewTarget } from "./target-card";

export const OVERVIEW_REFRESH_MS = 5_000;
/** Typing settles this long before the search is sent. */
const SEARCH_DELAY_MS = 250;

const NO_PENDING = new Map<string, RollbackView>();
const awaitsApproval = (target: OverviewTarget) => target.activeRollback?.status === "PENDING_APPROVAL";
const count = (n: number) => n.toLocaleString("en-US");

export function Overview({
  viewer,
  initialView = { search: "", group: null, page: 1 },
}: {
  viewer: Viewer;
  /** From the address (app/(console)/page.tsx reads it): a shared link opens on the same view. */
  initialView?: OverviewViewState;
}) {
  const { role } = viewer;
  const trpc = useTRPC();
  const [view, setView] = useState(initialView);
  const [searchText, setSearchText] = useState(initialView.search);
  const resultsHeading = useRef<HTMLHeadingElement>(null);

  // The address follows the view (replaced, not pushed: a search is not worth a Back step per keystroke).
  useEffect(() => {
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${overviewViewQuery(view)}`);
  }, [view]);
  useEffect(() => {
    const search = searchText.trim();
    if (search === view.search) return;
    const timer = setTimeout(() => setView((current) => ({ ...current, search, page: 1 })), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [searchText, view.search]);

  const overview = useQuery(
    trpc.dashboard.overview.queryOptions(
      { search: view.search, page: view.page, ...(view.group && { group: view.group }) },
      // A new search or page keeps the cards on screen until its answer comes.
      { refetchInterval: OVERVIEW_REFRESH_MS, placeholderData: keepPreviousData },
    ),
  );
  // The queue is read only while some card has a proposal: the decision needs its approvals and deadline.
  const anyPending = overview.data?.targets.some(awaitsApproval) ?? false;
  const pending = useQuery(
    trpc.rollbacks.pending.queryOptions(undefined, { refetchInterval: OVERVIEW_REFRESH_MS, enabled: anyPending }),
  );
  const pendingByTarget = useMemo(
    () => (pending.data ? new Map(pending.data.map((rollback) => [rollback.target.id, rollback])) : NO_PENDING),
    [pending.data],
  );

  if (overview.isPending) return <OverviewSkeleton role={role} />;
  // A failed refresh keeps the last figures on screen, with the error above them.
  if (!overview.data) return <QueryError error={overview.error} what="the overview" />;
  const { system, counts, generatedAt } = overview.data;
  const choose = (change: Partial<OverviewViewState>, focus = false) => {
    setView((current) => ({ ...current, page: 1, ...change }));
    // After a page change, keyboard and screen reader users land on the results rather than at the pager.
    if (focus) resultsHeading.current?.focus();
  };
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <Summary counts={counts} />
        <EmergencyStopButton role={role} active={system.emergencyStopActive} />
      </div>
      <SystemBanners system={system} role={role} now={generatedAt} />
      {overview.error ? (
        <Alert>
          Could not refresh: {overview.error.message}. Showing the figures from{" "}
          {generatedAt.toLocaleTimeString("en-GB")}.
        </Alert>
      ) : null}
      {counts.total === 0 ? (
        <NoTargets />
      ) : (
        <section aria-labelledby="targets-heading" className="space-y-4">
          <h2 id="targets-heading" ref={resultsHeading} tabIndex={-1} className="sr-only">
            Targets, worst first
          </h2>
          <ViewControls
            data={overview.data}
            searchText={searchText}
            onSearch={setSearchText}
            onGroup={(group) => choose({ group })}
          />
          <Results
            data={overview.data}
            viewer={viewer}
            pendingByTarget={pendingByTarget}
            onClearSearch={() => {
              setSearchText("");
              choose({ search: "", group: null });
            }}
          />
          <Pager data={overview.data} onPage={(page) => choose({ page }, true)} />
        </section>
      )}
    </div>
  );
}

function Summary({ counts }: { counts: OverviewData["counts"] }) {
  if (counts.total === 0) return <span />;
  const labels: Record<OverviewGroup, (n: number) => string> = {
    BREACHING: (n) =>
      `${count(n)} breaching or violating${counts.emergencies ? ` (${count(counts.emergencies)} in emergency)` : ""}`,
    AWAITING_APPROVAL: (n) => `${count(n)} awaiting approval`,
    ROLLING_BACK: (n) => `${count(n)} rolling back`,
    NO_DATA: (n) => `${count(n)} without data`,
    HEALTHY: (n) => `${count(n)} healthy`,
  };
  const parts = overviewGroups.flatMap((group) => (counts[group] ? [labels[group](counts[group])] : []));
  return (
    <p className="text-sm text-slate-700">
      {count(counts.total)} target{counts.total === 1 ? "" : "s"}: {parts.join(" · ")}
    </p>
  );
}

/** The search box and the group to show, each choice with how many of the search's matches it holds. */
function ViewControls({
  data,
  searchText,
  onSearch,
  onGroup,
}: {
  data: OverviewData;
  searchText: string;
  onSearch: (text: string) => void;
  onGroup: (group: OverviewGroup | null) => void;
}) {
  const searchId = useId();
  const { matched, view } = data;
  const choices: { group: OverviewGroup | null; label: string; n: number }[] = [
    { group: null, label: "All", n: matched.total },
    ...overviewGroups.map((group) => ({ group, label: overviewGroupLabels[group], n: matched[group] })),
  ];
  return (
    <div className="flex flex-wrap items-end gap-4">
      <form role="search" aria-label="Targets" onSubmit={(event) => event.preventDefault()} className="w-full sm:w-72">
        <label htmlFor={searchId} className="text-sm font-medium">
          Search targets
        </label>
        <input
          id={searchId}
          type="search"
          value={searchText}
          onChange={(event) => onSearch(event.target.value)}
          placeholder="Slug or name"
          autoComplete="off"
          maxLength={200}
          className={`mt-1 ${inputClass}`}
        />
      </form>
      <div role="group" aria-label="Show" className="flex flex-wrap gap-2">
        {choices.map(({ group, label, n }) => {
          const active = view.group === group;
          return (
            <button
              key={group ?? "ALL"}
              type="button"
              aria-pressed={active}
              onClick={() => onGroup(group)}
              className={`rounded-full border px-3 py-1 text-sm ${
                active
                  ? "border-indigo-700 bg-indigo-700 text-white"
                  : "border-slate-300 bg-white text-slate-800 hover:bg-slate-100"
              }`}
            >
              {label} <span className={active ? "text-indigo-100" : "text-slate-600"}>({count(n)})</span>
            </button>
          );
        })}
      </div>
    </div>
  );
}

/** The page's cards under their groups' headings; a heading counts the whole group, not just this page. */
function Results({
  data,
  viewer,
  pendingByTarget,
  onClearSearch,
}: {
  data: OverviewData;
  viewer: Viewer;
  pendingByTarget: Map<string, RollbackView>;
  onClearSearch: () => void;
}) {
  const { targets, matched, view, generatedAt } = data;
  if (targets.length === 0) {
    const group = view.group && `“${overviewGroupLabels[view.group]}”`;
    return (
      <EmptyState title="No target matches">
        <p>
          {view.search && group
            ? `No target in ${group} has “${view.search}” in its slug or name.`
            : view.search
              ? `No target's slug or name holds “${view.search}”.`
              : `No target is in ${group ?? "this group"}.`}
        </p>
        <Button tone="secondary" className="mt-3" onClick={onClearSearch}>
          Show every target
        </Button>
      </EmptyState>
    );
  }
  const groups = overviewGroups.filter((group) => targets.some((target) => target.group === group));
  return groups.map((group) => {
    const cards = targets.filter((target) => target.group === group);
    const headingId = `overview-group-${group}`;
    return (
      <section key={group} aria-labelledby={headingId} className="space-y-3">
        <h3 id={headingId} className="text-base font-semibold text-slate-900">
          {overviewGroupLabels[group]} <span className="font-normal text-slate-600">({count(matched[group])})</span>
        </h3>
        <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
          {cards.map((target) => (
            <TargetCard
              key={target.id}
              target={target}
              now={generatedAt}
              viewer={viewer}
              pending={awaitsApproval(target) ? pendingByTarget.get(target.id) : undefined}
            />
          ))}
        </div>
      </section>
    );
  });
}

function Pager({ data, onPage }: { data: OverviewData; onPage: (page: number) => void }) {
  const { view, shown, targets } = data;
  if (shown === 0) return null;
  const first = (view.page - 1) * view.pageSize + 1;
  return (
    <nav aria-label="Pages of targets" className="flex flex-wrap items-center justify-between gap-3 text-sm">
      <p aria-live="polite" className="text-slate-700">
        Showing {count(first)}–{count(first + targets.length - 1)} of {count(shown)} target{shown === 1 ? "" : "s"}
        {view.pageCount > 1 ? ` · page ${count(view.page)} of ${count(view.pageCount)}` : ""}
      </p>
      {view.pageCount > 1 ? (
        <div className="flex gap-2">
          <Button tone="secondary" disabled={view.page <= 1} onClick={() => onPage(view.page - 1)}>
            Previous page
          </Button>
          <Button tone="secondary" disabled={view.page >= view.pageCount} onClick={() => onPage(view.page + 1)}>
            Next page
          </Button>
        </div>
      ) : null}
    </nav>
  );
}

function NoTargets() {
  return (
    <EmptyState title="No targets yet">
      <p>
        A target is something whose configuration Rewind can roll back: an LLM route, a provider or a model deployment.
        Create one and send it traffic from your orchestrator with an API key (Settings → API keys, or{" "}
        <code className="font-mono">npm run apikey:create</code>):
      </p>
      <ol className="mx-auto mt-3 list-decimal space-y-1 pl-6 text-left">
        <li>
          Create the target: <code className="font-mono">PUT /api/v1/targets/&#123;slug&#125;</code> (scope{" "}
          <code className="font-mono">policies:write</code>).
        </li>
        <li>
          Send metrics: <code className="font-mono">POST /api/v1/ingest</code> (scope{" "}
          <code className="font-mono">ingest</code>), per request or pre-aggregated.
        </li>
        <li>
          Or try it with simulated traffic: <code className="font-mono">npm run simulate -- --scenario emergency</code>.
        </li>
      </ol>
      <p className="mt-3">
        Every endpoint, with curl examples and signatures, is in <code className="font-mono">docs/API.md</code>.
      </p>
    </EmptyState>
  );
}

function OverviewSkeleton({ role }: { role: RoleName }) {
  return (
    <div className="space-y-6" aria-busy="true">
      <div className="flex items-center justify-between gap-3">
        <Skeleton className="h-5 w-64" label="Loading the overview" />
        {role === "VIEWER" || role === "OPERATOR" ? null : <Skeleton className="h-9 w-36" />}
      </div>
      <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
        {Array.from({ length: 6 }, (_, index) => (
          <Skeleton key={index} className="h-72 w-full rounded-lg" />
        ))}
      </div>
    </div>
  );
}
