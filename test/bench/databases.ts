// Fresh databases for benchmarks: a temporary SQLite file, and a new PostgreSQL database when
// BENCH_POSTGRES_URL or TEST_POSTGRES_URL names a server. Each is dropped afterwards.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { createDb, type Db } from "@/server/db";
import { migrateDeploy } from "../../scripts/lib/setup";

export interface BenchDatabase {
  name: "SQLite" | "PostgreSQL";
  url: string;
  db: Db;
  drop(): Promise<void>;
}

export function postgresServerUrl(): string | undefined {
  return process.env.BENCH_POSTGRES_URL || process.env.TEST_POSTGRES_URL || undefined;
}

export async function freshDatabases(): Promise<BenchDatabase[]> {
  const directory = mkdtempSync(path.join(tmpdir(), "rewind-bench-"));
  const sqliteUrl = `file:${path.join(directory, "bench.db")}`;
  migrateDeploy(sqliteUrl);
  const sqlite = createDb(sqliteUrl);
  const databases: BenchDatabase[] = [
    {
      name: "SQLite",
      url: sqliteUrl,
      db: sqlite,
      drop: async () => {
        await sqlite.$disconnect();
        rmSync(directory, { recursive: true, force: true });
      },
    },
  ];
  const serverUrl = postgresServerUrl();
  if (serverUrl) {
    const name = `rewind_bench_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    migrateDeploy(url.toString());
    const db = createDb(url.toString());
    databases.push({
      name: "PostgreSQL",
      url: url.toString(),
      db,
      drop: async () => {
        await db.$disconnect();
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      },
    });
  } else {
    console.error("No BENCH_POSTGRES_URL or TEST_POSTGRES_URL: PostgreSQL figures are skipped.");
  }
  return databases;
}
