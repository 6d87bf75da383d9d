"use client";
// Chooses the target a page shows; the choice lives in the URL (?target=<slug>) so it survives reloads and links.
import { useQuery } from "@tanstack/react-query";
import { usePathname, useRouter } from "next/navigation";
import type { ReactNode } from "react";
import { useTRPC } from "../trpc";
import { EmptyState, QueryError, Skeleton } from "../ui";

export interface SelectedTarget {
  id: string;
  slug: string;
  name: string;
  currentSnapshotId: string | null;
  knownGoodSnapshotId: string | null;
}

/**
 * Renders the select, then `children` with the chosen target (the first one when the URL names none or an
 * unknown one). With no targets at all it shows `empty` instead.
 */
export function TargetScope({
  slug,
  empty,
  children,
}: {
  slug: string | undefined;
  empty: ReactNode;
  children: (target: SelectedTarget) => ReactNode;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const targets = useQuery(trpc.targets.list.queryOptions(undefined, { refetchInterval: 30_000 }));

  if (targets.isPending) return <Skeleton className="h-10 w-72" label="Loading targets" />;
  if (targets.isError) return <QueryError error={targets.error} what="targets" />;
  if (targets.data.length === 0) return <>{empty}</>;

  const chosen = targets.data.find((target) => target.slug === slug) ?? targets.data[0]!;
  return (
    <>
      <div className="mb-6 flex flex-wrap items-center gap-3">
        <label htmlFor="target-select" className="text-sm font-medium">
          Target
        </label>
        <select
          id="target-select"
          value={chosen.slug}
          onChange={(event) =>
            router.replace(`${pathname}?target=${encodeURIComponent(event.target.value)}`, { scroll: false })
          }
          className="min-w-64 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm"
        >
          {targets.data.map((target) => (
            <option key={target.id} value={target.slug}>
              {target.name} ({target.slug})
            </option>
          ))}
        </select>
        {slug && slug !== chosen.slug ? (
          <p className="text-sm text-slate-600" role="status">
            No target “{slug}”: showing {chosen.slug}.
          </p>
        ) : null}
      </div>
      {children(chosen)}
    </>
  );
}

export function NoTargets() {
  return (
    <EmptyState title="No targets yet">
      A target is an LLM route, provider or model deployment that Rewind watches. Create one with{" "}
      <code>{"PUT /api/v1/targets/{slug}"}</code> (docs/API.md), or run <code>npm run simulate</code> to create three
      demo targets with traffic.
    </EmptyState>
  );
}
