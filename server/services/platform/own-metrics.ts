// Rewind's own metrics in the Prometheus text format (GET /api/metrics). Everything but the ingestion
// counter is read from the database, so every instance reports the same cluster-wide state; the counter
// is per process, as Prometheus counters are (one for both copies of this module: process-wide.ts).
import "server-only";
import type { Db } from "../../db";
import { CYCLE_LEASE } from "./lease";
import { processWide } from "./process-wide";

const ingested = processWide("ingestedCounters", () => ({ events: 0, windows: 0 }));

export function countIngested(stored: { events: number; windows: number }): void {
  ingested.events += stored.events;
  ingested.windows += stored.windows;
}

type Sample = { labels?: Record<string, string>; value: number };

function family(name: string, type: "gauge" | "counter", help: string, samples: Sample[]): string {
  const escape = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  const lines = samples.map(({ labels, value }) => {
    const text = labels
      ? `{${Object.entries(labels)
          .map(([key, label]) => `${key}="${escape(label)}"`)
          .join(",")}}`
      : "";
    return `${name}${text} ${value}`;
  });
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines].join("\n");
}

/** `showLeaseHolder: false` for unauthenticated scrapes: the holder names a host and a process id. */
export async function renderOwnMetrics(
  db: Db,
  now: Date,
  options: { showLeaseHolder: boolean } = { showLeaseHolder: true },
): Promise<string> {
  const [lastRun, runs, rollbacks, outbox, lease] = await Promise.all([
    db.cycleRun.findFirst({
      orderBy: { startedAt: "desc" },
      select: { startedAt: true, durationMs: true, summary: true },
    }),
    db.cycleRun.groupBy({ by: ["trigger"], _count: { _all: true } }),
    db.rollback.groupBy({ by: ["trigger", "status"], _count: { _all: true } }),
    db.notificationDelivery.groupBy({ by: ["channel", "status"], _count: { _all: true } }),
    db.lease.findUnique({ where: { name: CYCLE_LEASE }, select: { holder: true, expiresAt: true } }),
  ]);
  const verdicts = (lastRun?.summary as { verdicts?: Record<string, number> } | undefined)?.verdicts ?? {};
  return (
    [
      family("rewind_cycle_duration_seconds", "gauge", "Duration of the last monitoring cycle.", [
        { value: (lastRun?.durationMs ?? 0) / 1000 },
      ]),
      family("rewind_cycle_last_run_timestamp_seconds", "gauge", "Start of the last monitoring cycle (Unix time).", [
        { value: lastRun ? lastRun.startedAt.getTime() / 1000 : 0 },
      ]),
      family(
        // A gauge despite its name: retention deletes runs older than a day (platform/retention.ts).
        "rewind_cycle_runs_total",
        "gauge",
        "Monitoring cycles recorded in the last 24 hours (at least the newest 10), by trigger.",
        runs.map((row) => ({ labels: { trigger: row.trigger }, value: row._count._all })),
      ),
      family("rewind_ingested_events_total", "counter", "Events ingested by this process.", [
        { value: ingested.events },
      ]),
      family("rewind_ingested_windows_total", "counter", "Pre-aggregated windows ingested by this process.", [
        { value: ingested.windows },
      ]),
      family(
        "rewind_verdicts",
        "gauge",
        "Targets by verdict in the last monitoring cycle.",
        Object.entries(verdicts).map(([status, value]) => ({ labels: { status }, value })),
      ),
      family(
        "rewind_rollbacks_total",
        "counter",
        "Rollbacks by trigger and current status.",
        rollbacks.map((row) => ({ labels: { trigger: row.trigger, status: row.status }, value: row._count._all })),
      ),
      family(
        "rewind_outbox_notifications",
        "gauge",
        "Notification deliveries (one per notification and channel) by channel and status; PENDING is the backlog.",
        outbox.map((row) => ({
          labels: { channel: row.channel.toLowerCase(), status: row.status },
          value: row._count._all,
        })),
      ),
      family(
        "rewind_cycle_lease_held",
        "gauge",
        "1 while an instance holds the monitoring-cycle lease, labelled with the holder.",
        lease && lease.expiresAt > now
          ? [{ ...(options.showLeaseHolder && { labels: { holder: lease.holder } }), value: 1 }]
          : [{ value: 0 }],
      ),
    ].join("\n\n") + "\n"
  );
}
