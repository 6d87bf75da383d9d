"use client";
// Every saved version of a target's policy, newest first: who saved it and when, and for any one of them
// what differs from the current version (and, for operators, loading it into the editor to restore it).
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { Policy } from "@/server/domain/policy";
import { formatDateTime, formatAgo } from "../format";
import { useTRPC } from "../trpc";
import { Button, ListSkeleton, QueryError } from "../ui";
import { PolicyDiffTable } from "./policy-diff";
import { diffPolicies, formatPolicyValue, policyFields, valueAt } from "./policy-fields";

export function PolicyHistory({
  targetId,
  current,
  canEdit,
  onLoad,
}: {
  targetId: string;
  current: { version: number | null; policy: Policy };
  canEdit: boolean;
  onLoad: (version: number, policy: Policy) => void;
}) {
  const trpc = useTRPC();
  const history = useQuery(trpc.policies.history.queryOptions({ targetId }, { refetchInterval: 30_000 }));
  const [viewing, setViewing] = useState<number | null>(null);

  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading" className="mb-3 text-lg font-medium">
        Version history
      </h2>
      {history.isPending ? (
        <ListSkeleton rows={3} label="Loading the version history" />
      ) : history.isError ? (
        <QueryError error={history.error} what="the version history" />
      ) : history.data.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-4 text-sm text-slate-700">
          No version saved yet: the target runs on the default policy. The first save creates version 1.
        </p>
      ) : (
        <ol className="space-y-2">
          {history.data.map((entry) => {
            const isCurrent = entry.version === current.version;
            const open = viewing === entry.version;
            const changes = diffPolicies(entry.policy, current.policy);
            const panelId = `policy-version-${entry.version}`;
            return (
              <li key={entry.version} className="rounded-lg border border-slate-200 bg-white p-3">
                <div className="flex flex-wrap items-start justify-between gap-2">
                  <div className="text-sm">
                    <p className="font-medium">
                      Version {entry.version}
                      {isCurrent ? <span className="ml-2 text-xs font-normal text-slate-600">(current)</span> : null}
                    </p>
                    <p className="text-slate-700">
                      {entry.createdBy ? entry.createdBy.name : "Rewind"} ·{" "}
                      <time dateTime={entry.createdAt?.toISOString()} title={formatDateTime(entry.createdAt)}>
                        {formatAgo(entry.createdAt)}
                      </time>
                    </p>
                  </div>
                  <Button
                    tone="secondary"
                    className="px-2 py-1"
                    aria-expanded={open}
                    aria-controls={panelId}
                    onClick={() => setViewing(open ? null : (entry.version ?? null))}
                  >
                    {open ? "Hide" : "View"}
                    <span className="sr-only"> version {entry.version}</span>
                  </Button>
                </div>
                {open ? (
                  <div id={panelId} className="mt-3 space-y-3 border-t border-slate-100 pt-3">
                    {isCurrent ? (
                      <p className="text-sm text-slate-700">This is the current version.</p>
                    ) : changes.length === 0 ? (
                      <p className="text-sm text-slate-700">Same values as the current version.</p>
                    ) : (
                      <>
                        <h3 className="text-sm font-medium">
                          Version {entry.version} → current (version {current.version})
                        </h3>
                        <PolicyDiffTable
                          changes={changes}
                          caption={`Differences from version ${entry.version} to the current version`}
                          beforeLabel={`Version ${entry.version}`}
                          afterLabel="Current"
                        />
                      </>
                    )}
                    <details>
                      <summary className="cursor-pointer text-sm text-indigo-800">
                        All values of version {entry.version}
                      </summary>
                      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
                        {policyFields.map((field) => (
                          <div key={field.path} className="contents">
                            <dt className="text-slate-700">{field.label}</dt>
                            <dd>{formatPolicyValue(field, valueAt(entry.policy, field.path))}</dd>
                          </div>
                        ))}
                      </dl>
                    </details>
                    {canEdit && !isCurrent && changes.length > 0 ? (
                      <Button tone="secondary" onClick={() => onLoad(entry.version ?? 0, entry.policy)}>
                        Load version {entry.version} into the editor
                      </Button>
                    ) : null}
                  </div>
                ) : null}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
