// postinstall and build: generate the Prisma clients for SQLite and PostgreSQL.
import { parseOptions } from "./lib/cli";
import { generateClients } from "./lib/setup";

parseOptions(
  "Usage: tsx scripts/generate.ts\n\nGenerates the Prisma clients of both databases (run by npm install and npm run build).",
  {},
);
generateClients();
