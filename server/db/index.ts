// The only place a Prisma client is constructed. Both providers' clients are generated (their model
// API is identical); DATABASE_URL's scheme picks one at runtime, typed as the SQLite one so that
// code written against it stays provider-neutral.
import "server-only";
import { PrismaClient } from "./generated/sqlite/client";
import { PrismaClient as PostgresClient } from "./generated/postgresql/client";
import { env } from "../env.js";
import { postgresAdapter } from "./postgres-adapter";
import { sqliteAdapter } from "./sqlite-adapter";
import { postgresPoolOptions, providerOf, sqliteFilePath } from "./url";

export { Prisma, Role } from "./generated/sqlite/client";
export type { User } from "./generated/sqlite/client";
export type Db = PrismaClient;
/** The client inside an interactive transaction. */
export type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/**
 * On SQLite transactions take turns (sqlite-adapter.ts), so waiting for one to start can take longer
 * than Prisma's 2 s default under load.
 */
const transactionOptions = { maxWait: 10_000, timeout: 15_000 };

export function createDb(databaseUrl: string): Db {
  if (providerOf(databaseUrl) === "sqlite") {
    return new PrismaClient({ adapter: sqliteAdapter(sqliteFilePath(databaseUrl)), transactionOptions });
  }
  const { schema, ...pool } = postgresPoolOptions(databaseUrl);
  const client = new PostgresClient({
    adapter: postgresAdapter(pool, schema ? { schema } : undefined),
    transactionOptions,
  });
  return client as unknown as Db;
}

const globalForDb = globalThis as unknown as { rewindDb?: Db };

/** The process-wide client for DATABASE_URL (reused across Next.js hot reloads). */
export function getDb(): Db {
  globalForDb.rewindDb ??= createDb(env.DATABASE_URL);
  return globalForDb.rewindDb;
}
