// Settings that services take as options, derived once from the environment for routers and jobs.
import { env } from "./env.js";

export const metricSettings = {
  bucketWidthMs: env.METRIC_BUCKET_SECONDS * 1000,
  retentionMs: env.METRIC_RETENTION_DAYS * 86_400_000,
};
