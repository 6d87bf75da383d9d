// Fresh databases for benchmarks: a temporary SQLite file, and a new PostgreSQL database when
// BENCH_POSTGRES_URL or TEST_POSTGRES_URL names a server. Each is dropped afterwards.
import { createDb, type Db } from "@/server/db";
import { createTestDatabase } from "../test-database";

export interface BenchDatabase {
  name: "SQLite" | "PostgreSQL";
  /** For benchmarks that seed with raw SQL on their own connection. */
  url: string;
  db: Db;
  drop(): Promise<void>;
}

async function open(name: BenchDatabase["name"], postgresServerUrl?: string): Promise<BenchDatabase> {
  const database = await createTestDatabase(postgresServerUrl ? { postgresServerUrl } : {});
  const db = createDb(database.url);
  return {
    name,
    url: database.url,
    db,
    drop: async () => {
      await db.$disconnect();
      await database.drop();
    },
  };
}

export async function freshDatabases(): Promise<BenchDatabase[]> {
  const databases = [await open("SQLite")];
  const serverUrl = process.env.BENCH_POSTGRES_URL || process.env.TEST_POSTGRES_URL;
  if (serverUrl) databases.push(await open("PostgreSQL", serverUrl));
  else console.error("No BENCH_POSTGRES_URL or TEST_POSTGRES_URL: PostgreSQL figures are skipped.");
  return databases;
}
