// The only place a Prisma client is constructed. Both providers' clients are generated (their model
// API is identical); DATABASE_URL's scheme picks one at runtime, typed as the SQLite one so that
// code written against it stays provider-neutral.
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/sqlite/client";
import { PrismaClient as PostgresClient } from "./generated/postgresql/client";
import { env } from "../env.js";
import { providerOf, sqliteFilePath } from "./url";

export { Prisma, Role } from "./generated/sqlite/client";
export type { User } from "./generated/sqlite/client";
export type Db = PrismaClient;
/** The client inside an interactive transaction. */
export type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

export function createDb(databaseUrl: string): Db {
  if (providerOf(databaseUrl) === "sqlite") {
    // A busy timeout lets concurrent writers (cycle, ingestion, requests) queue instead of failing.
    return new PrismaClient({
      adapter: new PrismaBetterSQLite3({ url: sqliteFilePath(databaseUrl), timeout: 10_000 }),
    });
  }
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get("schema") ?? undefined;
  url.searchParams.delete("schema");
  const client = new PostgresClient({
    adapter: new PrismaPg({ connectionString: url.toString() }, schema ? { schema } : undefined),
  });
  return client as unknown as Db;
}

const globalForDb = globalThis as unknown as { rewindDb?: Db };

/** The process-wide client for DATABASE_URL (reused across Next.js hot reloads). */
export function getDb(): Db {
  globalForDb.rewindDb ??= createDb(env.DATABASE_URL);
  return globalForDb.rewindDb;
}
