// The built-in scheduler: runs the monitoring cycle every MONITOR_INTERVAL_SECONDS in this process.
// Safe with several instances and with an external cron at the same time: the lease lets one run.
import "server-only";
import { getDb } from "../db";
import { env } from "../env.js";
import { runCycleUnderLease } from "../services/monitoring/cycle-lease";
import { metricSettings } from "../settings";

let started = false;

export function startScheduler(): void {
  if (started || env.MONITOR_SCHEDULER === "off") return;
  started = true;
  const intervalMs = env.MONITOR_INTERVAL_SECONDS * 1000;
  const tick = async () => {
    try {
      const result = await runCycleUnderLease(getDb(), {
        trigger: "scheduler",
        now: () => new Date(),
        ...metricSettings,
      });
      if (result.status === "ran" && result.summary.errors.length > 0) {
        console.error(
          `[scheduler] cycle finished with ${result.summary.errors.length} error(s)`,
          result.summary.errors,
        );
      }
    } catch (error) {
      // The next tick tries again; a failed cycle leaves state the next one resumes.
      console.error("[scheduler] cycle failed:", error);
    } finally {
      setTimeout(() => void tick(), intervalMs).unref();
    }
  };
  setTimeout(() => void tick(), intervalMs).unref();
  console.log(
    `[scheduler] monitoring cycle every ${env.MONITOR_INTERVAL_SECONDS} s (MONITOR_SCHEDULER=off to disable)`,
  );
}
