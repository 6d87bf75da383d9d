"use client";
// The feature flags page: every flag with its switch, who changed it last, its history and edit form; a form for
// new flags; and the emergency stop's banner, since the stop turns every kill switch off.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { DataTable } from "../data-table";
import { formatDateTime } from "../format";
import { timeAgo } from "../audit/audit-format";
import { useTRPC } from "../trpc";
import { Badge, Button, EmptyState, inputClass, ListSkeleton, QueryError } from "../ui";
import { FlagCreateForm } from "./flag-create-form";
import { FlagEditForm } from "./flag-edit-form";
import { FlagHistory } from "./flag-history";
import { FlagSwitch } from "./flag-switch";

const GLOBAL = "global";

type UpdatedBy =
  | { type: "USER"; name: string; email: string }
  | { type: "API_KEY"; name: string }
  | { type: "SYSTEM" }
  | { type: "UNKNOWN" };

function updatedByText(by: UpdatedBy): { name: string; title?: string } {
  switch (by.type) {
    case "USER":
      return { name: by.name, title: by.email };
    case "API_KEY":
      return { name: `API key “${by.name}”` };
    case "SYSTEM":
      return { name: "Rewind", title: "Changed automatically" };
    case "UNKNOWN":
      return { name: "Unknown actor" };
  }
}

export function FlagsConsole({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const flags = useQuery(trpc.flags.list.queryOptions({}, { refetchInterval: 10_000 }));
  const targets = useQuery(trpc.targets.list.queryOptions(undefined, { staleTime: 60_000 }));
  const system = useQuery(trpc.system.state.queryOptions(undefined, { refetchInterval: 10_000 }));
  const [search, setSearch] = useState("");
  const [killSwitchesOnly, setKillSwitchesOnly] = useState(false);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());

  // The scope lives in the URL (?target=<slug> or ?target=global) so other pages can link to a target's flags.
  const scopeParam = searchParams.get("target") ?? "";
  const scopeTarget = targets.data?.find((target) => target.slug === scopeParam);
  const setScope = (value: string) => {
    const params = new URLSearchParams(searchParams.toString());
    if (value) params.set("target", value);
    else params.delete("target");
    const query = params.toString();
    router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
  };

  const emergencyStopActive = system.data?.emergencyStopActive ?? false;
  const all = flags.data ?? [];
  const needle = search.trim().toLowerCase();
  const shown = all.filter(
    (flag) =>
      (scopeParam === "" || (scopeParam === GLOBAL ? flag.targetId === null : flag.target?.slug === scopeParam)) &&
      (!killSwitchesOnly || flag.killSwitch) &&
      (needle === "" || flag.key.includes(needle) || flag.description.toLowerCase().includes(needle)),
  );
  const filtered = scopeParam !== "" || killSwitchesOnly || needle !== "";
  const toggle = (id: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div className="space-y-6">
      {system.data?.emergencyStopActive ? (
        <section
          aria-label="Emergency stop"
          className="rounded-lg border border-red-300 bg-red-50 p-4 text-sm text-red-900"
        >
          <h2 className="text-base font-semibold">The emergency stop is active</h2>
          <p className="mt-1">
            Since {formatDateTime(system.data.emergencyStopAt)}
            {system.data.emergencyStopBy ? `, by ${system.data.emergencyStopBy.name}` : ""}
            {system.data.emergencyStopReason ? `: ${system.data.emergencyStopReason}` : ""}.
          </p>
          <p className="mt-1">
            Every kill switch was turned off and none can be turned back on until an approver lifts the stop on the{" "}
            <Link href="/" className="font-medium underline hover:text-red-700">
              Overview
            </Link>
            . After that, a person turns each kill switch on again, one by one.
          </p>
        </section>
      ) : null}
      <QueryError error={system.error} what="the emergency stop's state" />

      <div className="grid gap-8 lg:grid-cols-[minmax(0,1fr)_20rem]">
        <section aria-labelledby="flags-heading" className="min-w-0">
          <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
            <h2 id="flags-heading" className="text-lg font-medium">
              Flags
              {flags.data ? (
                <span className="ml-2 text-sm font-normal text-slate-600">
                  {filtered ? `${shown.length} of ${all.length}` : all.length} ·{" "}
                  {all.filter((flag) => flag.enabled).length} on
                </span>
              ) : null}
            </h2>
          </div>
          <div role="search" aria-label="Filter flags" className="mb-3 flex flex-wrap items-end gap-3">
            <div>
              <label htmlFor="flags-scope" className="mb-1 block text-sm font-medium">
                Target
              </label>
              <select
                id="flags-scope"
                value={scopeParam === GLOBAL || scopeTarget || scopeParam === "" ? scopeParam : ""}
                onChange={(event) => setScope(event.target.value)}
                className={`${inputClass} w-56`}
              >
                <option value="">All flags</option>
                <option value={GLOBAL}>Global flags only</option>
                {(targets.data ?? []).map((target) => (
                  <option key={target.id} value={target.slug}>
                    {target.name}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label htmlFor="flags-search" className="mb-1 block text-sm font-medium">
                Search
              </label>
              <input
                id="flags-search"
                type="search"
                value={search}
                onChange={(event) => setSearch(event.target.value)}
                placeholder="Key or description"
                className={`${inputClass} w-56`}
              />
            </div>
            <label className="flex items-center gap-2 pb-2 text-sm">
              <input
                type="checkbox"
                checked={killSwitchesOnly}
                onChange={(event) => setKillSwitchesOnly(event.target.checked)}
                className="h-4 w-4 rounded border-slate-400"
              />
              Kill switches only
            </label>
          </div>

          {flags.isPending ? (
            <ListSkeleton rows={4} label="Loading flags" />
          ) : flags.isError ? (
            <QueryError error={flags.error} what="flags" />
          ) : all.length === 0 ? (
            <EmptyState title="No feature flags yet">
              <p>
                Flags are switches the orchestrator reads with each target&apos;s effective configuration: a global flag
                applies to every target, a target&apos;s flag to that target only. Turn a feature on or off here without
                a deploy, and see who did it and when.
              </p>
              <p className="mt-2">
                Mark a flag as a <strong>kill switch</strong> when off is its safe state: the emergency stop turns every
                kill switch off at once.
              </p>
              <p className="mt-2">
                {canEdit
                  ? "Create the first one with the New flag form."
                  : "Operators create flags; ask one if you need a flag."}
              </p>
            </EmptyState>
          ) : shown.length === 0 ? (
            <EmptyState title="No flag matches these filters">
              <Button
                tone="secondary"
                onClick={() => {
                  setSearch("");
                  setKillSwitchesOnly(false);
                  setScope("");
                }}
              >
                Show all flags
              </Button>
            </EmptyState>
          ) : (
            <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
              <DataTable
                className="min-w-[44rem]"
                caption="Feature flags"
                alignTop
                rows={shown}
                rowKey={(flag) => flag.id}
                details={(flag) =>
                  expanded.has(flag.id)
                    ? {
                        id: `flag-details-${flag.id}`,
                        className: "px-3 py-4",
                        content: (
                          <div className={`grid gap-6 ${canEdit ? "md:grid-cols-2" : ""}`}>
                            {canEdit ? (
                              <FlagEditForm
                                key={`${flag.description}\u0000${flag.killSwitch}`}
                                flag={flag}
                                emergencyStopActive={emergencyStopActive}
                              />
                            ) : null}
                            <FlagHistory flagId={flag.id} flagKey={flag.key} />
                          </div>
                        ),
                      }
                    : null
                }
                columns={[
                  {
                    id: "flag",
                    header: "Flag",
                    rowHeader: true,
                    cell: (flag) => (
                      <>
                        <span className="font-mono font-medium break-all">{flag.key}</span>
                        {flag.killSwitch ? (
                          <span className="ml-2 align-middle">
                            <Badge tone="bad">Kill switch</Badge>
                          </span>
                        ) : null}
                        {flag.description ? <p className="mt-0.5 text-slate-600">{flag.description}</p> : null}
                      </>
                    ),
                  },
                  {
                    id: "scope",
                    header: "Applies to",
                    cell: (flag) =>
                      flag.target ? flag.target.name : <span className="text-slate-700">Every target</span>,
                  },
                  {
                    id: "state",
                    header: "State",
                    cell: (flag) => (
                      <span className="inline-flex items-center gap-2">
                        <FlagSwitch flag={flag} canEdit={canEdit} emergencyStopActive={emergencyStopActive} />
                        {flag.percent < 100 ? (
                          <span title="Share of traffic the flag is on for">{flag.percent}%</span>
                        ) : null}
                      </span>
                    ),
                  },
                  {
                    id: "change",
                    header: "Last change",
                    cell: (flag) => {
                      const by = updatedByText(flag.updatedBy);
                      return (
                        <>
                          <span title={by.title}>{by.name}</span>
                          <br />
                          <time
                            dateTime={flag.updatedAt.toISOString()}
                            title={formatDateTime(flag.updatedAt)}
                            className="text-xs text-slate-600"
                          >
                            {timeAgo(flag.updatedAt)}
                          </time>
                        </>
                      );
                    },
                  },
                  {
                    id: "details",
                    header: "Details",
                    hideHeader: true,
                    className: "text-right",
                    cell: (flag) => {
                      const open = expanded.has(flag.id);
                      return (
                        <Button
                          tone="secondary"
                          aria-expanded={open}
                          aria-controls={`flag-details-${flag.id}`}
                          onClick={() => toggle(flag.id)}
                          className="whitespace-nowrap"
                        >
                          {open ? "Hide" : canEdit ? "Edit & history" : "History"}
                          <span className="sr-only"> of {flag.key}</span>
                        </Button>
                      );
                    },
                  },
                ]}
              />
            </div>
          )}
        </section>

        <aside className="space-y-6">
          {canEdit ? (
            <FlagCreateForm
              targets={targets.data ?? []}
              emergencyStopActive={emergencyStopActive}
              onCreated={() => {
                setSearch("");
                setKillSwitchesOnly(false);
              }}
            />
          ) : (
            <p className="rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-700">
              Creating, editing and switching flags needs the operator role. You can read every flag and its history.
            </p>
          )}
          <section
            aria-labelledby="kill-switch-help"
            className="rounded-lg border border-slate-200 bg-white p-4 text-sm"
          >
            <h2 id="kill-switch-help" className="font-medium">
              Kill switches
            </h2>
            <p className="mt-1 text-slate-700">
              A flag marked <Badge tone="bad">Kill switch</Badge> is turned off by the emergency stop, with every other
              kill switch, in one step. It stays off until a person turns it back on: never Rewind or an API key.
            </p>
          </section>
        </aside>
      </div>
    </div>
  );
}
