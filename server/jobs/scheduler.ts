// The built-in scheduler: runs the monitoring cycle every MONITOR_INTERVAL_SECONDS in this process.
// Safe with several instances and with an external cron at the same time: the lease lets one run.
import "server-only";
import { getDb } from "../db";
import { env } from "../env.js";
import { runCycleUnderLease } from "../services/monitoring/cycle-lease";
import { log } from "../services/platform/log";
import { metricSettings } from "../settings";

let started = false;

export function startScheduler(): void {
  if (started || env.MONITOR_SCHEDULER === "off") return;
  started = true;
  const intervalMs = env.MONITOR_INTERVAL_SECONDS * 1000;
  const tick = async () => {
    try {
      // The cycle logs its errors and summary itself (cycle-lease.ts), whoever triggers it.
      await runCycleUnderLease(getDb(), {
        trigger: "scheduler",
        now: () => new Date(),
        ...metricSettings,
      });
    } catch (error) {
      // The next tick tries again; a failed cycle leaves state the next one resumes.
      log.error("cycle.failed", { trigger: "scheduler", error });
    } finally {
      setTimeout(() => void tick(), intervalMs).unref();
    }
  };
  setTimeout(() => void tick(), intervalMs).unref();
  log.info("scheduler.started", { intervalSeconds: env.MONITOR_INTERVAL_SECONDS });
}
