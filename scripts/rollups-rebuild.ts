// `npm run rollups:rebuild`: fills in the 1- and 10-minute rollups of the metrics stored before rollups existed.
// The upgrade that added them leaves that history to this command: until it runs, charts read those windows from
// the 10 s buckets, as before (slower, and gone once the buckets' retention passes). Works beside a running server.
import { parseOptions, runCli } from "./lib/cli";
import { applyPendingMigrations } from "./lib/migrations";
import { loadEnvironment } from "./lib/setup";

const usage = `Usage: npm run rollups:rebuild

  -h, --help    this help

Rebuilds the 1- and 10-minute rollups of the metrics stored before rollups existed, newest first, 6 hours at a
time. Charts read each rebuilt part from rollups as soon as it is done; stopped, it resumes where it left off.
Works while Rewind is running on the same database. Nothing to do on a database that had no metrics then.`;

runCli(async () => {
  parseOptions(usage, {});
  loadEnvironment();
  await applyPendingMigrations(process.env.DATABASE_URL as string, (line) => console.log(line));
  const { getDb } = await import("../server/db");
  const { metricSettings } = await import("../server/settings");
  const { rebuildRollupHistory } = await import("../server/services/metrics/rollups");
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  const started = Date.now();
  let rows = 0;
  const rebuilt = await rebuildRollupHistory(getDb(), {
    bucketWidthMs: metricSettings.bucketWidthMs,
    onProgress: ({ from, to, oldest, targets, rollups }) => {
      rows += rollups;
      console.log(
        `${day(from)} → ${day(to)} UTC: ${targets} target${targets === 1 ? "" : "s"}, ` +
          `${rollups.toLocaleString("en-US")} rollups (the oldest metrics are from ${day(oldest)})`,
      );
    },
  });
  console.log(
    rebuilt
      ? `Rollups complete: ${rows.toLocaleString("en-US")} written in ${Math.round((Date.now() - started) / 1000)} s. Charts read all history from rollups.`
      : "Nothing to rebuild: every stored metric already has its rollups.",
  );
});
