// `npm run db:migrate -- --name X`: create (and apply) a migration for the provider DATABASE_URL selects.
// Existing migrations are deployed first: on SQLite the JS schema engine's `migrate dev` reads
// _prisma_migrations before creating it (P1014) on a database that has none yet.
import { CliError, parseOptions, runCli, usageError } from "./lib/cli";
import { applyPendingMigrations } from "./lib/migrations";
import { alreadyRunning, runningServer } from "./lib/server-record";
import { loadEnvironment, runPrisma } from "./lib/setup";

const usage = `Usage: npm run db:migrate -- --name WHAT_CHANGED [--create-only]

  --name NAME       the migration's name, e.g. add_target_owner (required)
  --create-only     write the migration without applying it
  -h, --help        this help

Creates a migration from the changes to prisma/models/*.prisma for the database DATABASE_URL selects; run it
once with a SQLite DATABASE_URL and once with a PostgreSQL one (docs/DATABASES.md). Not beside a running server.`;

runCli(async () => {
  const values = parseOptions(usage, { name: { type: "string" }, "create-only": { type: "boolean", default: false } });
  if (!values.name) usageError(usage, "--name is required");
  loadEnvironment();
  const databaseUrl = process.env.DATABASE_URL as string;
  const server = runningServer(databaseUrl);
  if (server) throw new CliError(`${alreadyRunning(server)}: stop it before creating a migration.`);
  await applyPendingMigrations(databaseUrl, (line) => console.log(line));
  try {
    runPrisma(
      ["migrate", "dev", "--name", values.name, ...(values["create-only"] ? ["--create-only"] : [])],
      databaseUrl,
      "inherit",
    );
  } catch {
    // Prisma printed why.
    throw new CliError("prisma migrate dev failed (see above)");
  }
});
