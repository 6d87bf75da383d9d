"use client";
// The monitoring cycle's health: how this server triggers it, the last run and its outcome, when the next one
// is due, who holds the lease, and the recent runs. Refreshed every few seconds.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { formatUnit } from "@/server/domain/slo";
import { DataTable } from "../data-table";
import { formatDateTime, formatRelative } from "../format";
import { useToast } from "../toast";
import { useTRPC } from "../trpc";
import { Alert, Badge, Button, Card, EmptyState, ListSkeleton, Skeleton } from "../ui";

/** What the recorded summary (MonitoringCycleSummary, stored as JSON) is read for here. */
interface StoredSummary {
  targetsEvaluated?: number;
  /** Targets without traffic skipped since their INSUFFICIENT_DATA verdict (absent before they were skipped). */
  targetsIdle?: number;
  verdicts?: Record<string, number>;
  actions?: Record<string, number>;
  errors?: { targetSlug?: string; rollbackId?: string; message: string }[];
  monitoringPaused?: boolean;
  emergencyStopActive?: boolean;
}

function readSummary(summary: unknown): StoredSummary {
  return summary && typeof summary === "object" ? summary : {};
}

/** " + 40 idle (no traffic, skipped)": the targets a cycle left at their last verdict besides those it judged. */
function describeIdle(summary: StoredSummary): string {
  return summary.targetsIdle ? ` + ${summary.targetsIdle} idle (no traffic, skipped)` : "";
}

/** "2 proposed, 1 advanced": the actions a cycle took, or "no action". */
function describeActions(actions: Record<string, number> | undefined): string {
  const taken = Object.entries(actions ?? {}).filter(([, count]) => count > 0);
  return taken.length === 0 ? "no action" : taken.map(([action, count]) => `${count} ${action}`).join(", ");
}

const triggerLabels: Record<string, string> = {
  scheduler: "Scheduler",
  cron: "Cron",
  manual: "Manual",
  ingest: "Ingestion",
};

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{term}</dt>
      <dd className="mt-1 text-sm">{children}</dd>
    </div>
  );
}

export function SchedulerStatus() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const status = useQuery({ ...trpc.cycle.status.queryOptions(), refetchInterval: 5_000 });
  const run = useMutation(
    trpc.cycle.run.mutationOptions({
      onSuccess: (result) =>
        result.status === "ran"
          ? toast(`Cycle ran in ${formatUnit("ms", result.summary.durationMs)}`)
          : toast(`Another cycle is running (${result.holder}, since ${formatDateTime(result.since)})`, "error"),
      onError: (error) => toast(error.message, "error"),
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.cycle.status.queryKey() }),
    }),
  );

  if (status.isPending) {
    return (
      <div className="space-y-4">
        <Skeleton className="h-28 w-full" label="Loading the scheduler status" />
        <ListSkeleton rows={4} label="Loading recent cycles" />
      </div>
    );
  }
  if (status.isError) return <Alert>Could not load the scheduler status: {status.error.message}</Alert>;

  const { runs, lease, scheduler, now } = status.data;
  const last = runs[0];
  const lastSummary = readSummary(last?.summary);
  const lastScheduled = runs.find((candidate) => candidate.trigger === "scheduler");
  // The scheduler waits its interval after each of its runs; another instance's scheduler may come sooner.
  const nextRun =
    scheduler.enabled && lastScheduled
      ? new Date(new Date(lastScheduled.finishedAt).getTime() + scheduler.intervalSeconds * 1000)
      : null;
  const leaseHeld = lease !== null && new Date(lease.expiresAt) > new Date(now);

  return (
    <div className="space-y-6">
      <Card>
        <dl className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          <Fact term="Built-in scheduler">
            {scheduler.enabled ? (
              <>
                <Badge tone="good">On</Badge> every {scheduler.intervalSeconds} s in this server
              </>
            ) : (
              <>
                <Badge tone="neutral">Off</Badge> (MONITOR_SCHEDULER=off)
              </>
            )}
          </Fact>
          <Fact term="Cron route">
            {scheduler.cronEnabled ? (
              <>
                <Badge tone="good">Enabled</Badge> <code className="text-xs">/api/cron/monitor</code>
              </>
            ) : (
              <>
                <Badge tone="neutral">Disabled</Badge> (no CRON_SECRET)
              </>
            )}
          </Fact>
          <Fact term="Next run">
            {nextRun ? (
              nextRun > new Date(now) ? (
                <time dateTime={nextRun.toISOString()} title={formatDateTime(nextRun)}>
                  About {formatRelative(nextRun, new Date(now))}
                </time>
              ) : (
                "Due now"
              )
            ) : scheduler.enabled ? (
              `Within ${scheduler.intervalSeconds} s of the server starting`
            ) : scheduler.cronEnabled ? (
              "When the cron calls /api/cron/monitor"
            ) : (
              <span className="text-red-800">
                Never: turn the scheduler on or set CRON_SECRET and call the cron route
              </span>
            )}
          </Fact>
          <Fact term="Last cycle">
            {last ? (
              <>
                <time dateTime={new Date(last.startedAt).toISOString()} title={formatDateTime(last.startedAt)}>
                  {formatRelative(last.startedAt, new Date(now))}
                </time>{" "}
                ({triggerLabels[last.trigger] ?? last.trigger}, {formatUnit("ms", last.durationMs)})
              </>
            ) : (
              "None yet"
            )}
          </Fact>
          <Fact term="Lease">
            {leaseHeld && lease ? (
              <>
                Held by <span className="font-mono text-xs break-all">{lease.holder}</span> until{" "}
                {formatDateTime(lease.expiresAt)}
              </>
            ) : (
              <>Free{lease ? <span className="text-slate-600"> (last holder {lease.holder})</span> : null}</>
            )}
          </Fact>
          <Fact term="Last outcome">
            {last ? (
              <>
                {lastSummary.targetsEvaluated ?? 0} targets evaluated{describeIdle(lastSummary)};{" "}
                {describeActions(lastSummary.actions)}
                {lastSummary.emergencyStopActive ? " · emergency stop active" : ""}
                {lastSummary.monitoringPaused ? " · monitoring paused" : ""}
              </>
            ) : (
              "—"
            )}
          </Fact>
        </dl>
        <div className="mt-4 flex flex-wrap items-center gap-3 border-t border-slate-100 pt-4">
          <Button tone="secondary" disabled={run.isPending} onClick={() => run.mutate()}>
            {run.isPending ? "Running…" : "Run a cycle now"}
          </Button>
          <span className="text-xs text-slate-600">
            Runs under the same lease as the scheduler: if another instance is mid-cycle, nothing runs.
          </span>
        </div>
      </Card>

      {last && lastSummary.errors && lastSummary.errors.length > 0 ? (
        <Alert>
          The last cycle reported {lastSummary.errors.length} error{lastSummary.errors.length === 1 ? "" : "s"}:{" "}
          {lastSummary.errors
            .slice(0, 3)
            .map((error) => `${error.targetSlug ? `${error.targetSlug}: ` : ""}${error.message}`)
            .join("; ")}
        </Alert>
      ) : null}

      <section aria-labelledby="recent-cycles-heading">
        <h2 id="recent-cycles-heading" className="mb-3 text-lg font-medium">
          Recent cycles
        </h2>
        {runs.length === 0 ? (
          <EmptyState title="No cycle has run yet">
            {scheduler.enabled
              ? `The built-in scheduler runs the first one within ${scheduler.intervalSeconds} s of the server starting. `
              : "The built-in scheduler is off: a cron must call /api/cron/monitor. "}
            You can also run one now with the button above.
          </EmptyState>
        ) : (
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <DataTable
              caption="Recent monitoring cycles, newest first"
              alignTop
              rows={runs}
              rowKey={(cycle) => cycle.id}
              columns={[
                {
                  id: "started",
                  header: "Started",
                  className: "whitespace-nowrap",
                  cell: (cycle) => formatDateTime(cycle.startedAt),
                },
                { id: "trigger", header: "Trigger", cell: (cycle) => triggerLabels[cycle.trigger] ?? cycle.trigger },
                {
                  id: "duration",
                  header: "Duration",
                  className: "whitespace-nowrap",
                  unit: "ms",
                  value: (cycle) => cycle.durationMs,
                },
                {
                  id: "outcome",
                  header: "Outcome",
                  cell: (cycle) => {
                    const summary = readSummary(cycle.summary);
                    const errors = summary.errors?.length ?? 0;
                    return (
                      <>
                        {summary.targetsEvaluated ?? 0} targets{describeIdle(summary)};{" "}
                        {describeActions(summary.actions)}
                        {errors > 0 ? (
                          <>
                            {" "}
                            <Badge tone="bad">
                              {errors} error{errors === 1 ? "" : "s"}
                            </Badge>
                          </>
                        ) : null}
                      </>
                    );
                  },
                },
                {
                  id: "instance",
                  header: "Instance",
                  className: "font-mono text-xs break-all text-slate-600",
                  cell: (cycle) => cycle.holder,
                },
              ]}
            />
          </div>
        )}
      </section>
    </div>
  );
}
