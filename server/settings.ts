// Settings that services take as options, derived once from the environment for routers and jobs.
import "server-only";
import { env } from "./env.js";

export const metricSettings = {
  bucketWidthMs: env.METRIC_BUCKET_SECONDS * 1000,
  /** How far back metrics are kept (as rollups) and accepted by ingestion. */
  retentionMs: env.METRIC_RETENTION_DAYS * 86_400_000,
  /** How far back the 10 s buckets themselves are kept. */
  rawRetentionMs: (env.METRIC_RAW_RETENTION_DAYS ?? env.METRIC_RETENTION_DAYS) * 86_400_000,
};

/** How cycles are triggered on this instance, for the scheduler status page. */
export const schedulerSettings = {
  /** The built-in scheduler runs in this server (MONITOR_SCHEDULER=on). */
  enabled: env.MONITOR_SCHEDULER === "on",
  intervalSeconds: env.MONITOR_INTERVAL_SECONDS,
  /** CRON_SECRET is set, so /api/cron/monitor accepts calls. */
  cronEnabled: env.CRON_SECRET !== undefined,
};
