// Prisma CLI configuration: the provider (and its schema folder, migrations and adapter) follows
// DATABASE_URL's scheme. The JS schema engine runs Migrate over driver adapters, so no engine
// binary is ever downloaded.
import { existsSync } from "node:fs";
import { defineConfig } from "prisma/config";
import { postgresMigrateAdapter, sqliteMigrateAdapter } from "./server/db/migrate-adapters";
import { providerOf } from "./server/db/url";

// A prisma.config.ts turns off Prisma's own .env loading.
if (existsSync(".env")) process.loadEnvFile(".env");
process.env.DATABASE_URL ||= "file:./data/rewind.db";
const databaseUrl = process.env.DATABASE_URL;
const provider = providerOf(databaseUrl);

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: `prisma/${provider}`,
  migrations: { path: `prisma/${provider}/migrations` },
  adapter: () =>
    Promise.resolve(provider === "sqlite" ? sqliteMigrateAdapter(databaseUrl) : postgresMigrateAdapter(databaseUrl)),
});
