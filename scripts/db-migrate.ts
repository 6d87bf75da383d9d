// `npm run db:migrate -- --name X`: create (and apply) a migration for the provider DATABASE_URL
// selects. Existing migrations are deployed first: on SQLite the JS schema engine's `migrate dev`
// reads _prisma_migrations before creating it (P1014) on a database that has none yet.
import { loadEnvironment, migrateDeploy, runPrisma } from "./lib/setup";

loadEnvironment();
const databaseUrl = process.env.DATABASE_URL as string;
const args = process.argv.slice(2);
if (!args.includes("--name")) {
  console.error("Usage: npm run db:migrate -- --name <what_changed>");
  process.exit(2);
}
migrateDeploy(databaseUrl);
runPrisma(["migrate", "dev", ...args], databaseUrl, "inherit");
