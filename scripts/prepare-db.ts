// `npm run db:deploy` and `npm run dev`: apply pending migrations and create the first admin.
import { describeDatabase } from "../server/db/url";
import { parseOptions, runCli } from "./lib/cli";
import { applyPendingMigrations } from "./lib/migrations";
import { bootstrapFirstAdmin, ensureAuthSecret, loadEnvironment } from "./lib/setup";

const usage = `Usage: npm run db:deploy

Applies the pending database migrations of DATABASE_URL (from the environment or .env) and creates the
first admin when there are no users (ADMIN_EMAIL, ADMIN_PASSWORD). Does nothing to an up-to-date database,
so it is safe beside a running server; with migrations pending, stop the server first.`;

runCli(async () => {
  parseOptions(usage, {});
  loadEnvironment();
  ensureAuthSecret();
  const databaseUrl = process.env.DATABASE_URL as string;
  const applied = await applyPendingMigrations(databaseUrl, (line) => console.log(line));
  console.log(`Database ready: ${describeDatabase(databaseUrl)}${applied === 0 ? " (up to date)" : ""}`);
  for (const line of await bootstrapFirstAdmin()) console.log(line);
});
