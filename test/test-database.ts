// A fresh database for one test or benchmark run: a temporary SQLite file, or a new PostgreSQL database
// on a server. By default TEST_DATABASE and TEST_POSTGRES_URL choose. Migrated; `drop` deletes it.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { migrateDeploy } from "../scripts/lib/setup";

export async function createTestDatabase(
  options: { postgresServerUrl?: string } = process.env.TEST_DATABASE === "postgresql"
    ? { postgresServerUrl: process.env.TEST_POSTGRES_URL ?? "" }
    : {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (options.postgresServerUrl !== undefined) {
    const serverUrl = options.postgresServerUrl;
    if (!serverUrl) throw new Error("TEST_DATABASE=postgresql needs TEST_POSTGRES_URL");
    const name = `rewind_test_${Date.now()}_${randomBytes(3).toString("hex")}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    migrateDeploy(url.toString());
    return {
      url: url.toString(),
      drop: async () => {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const directory = mkdtempSync(path.join(tmpdir(), "rewind-test-"));
  const url = `file:${path.join(directory, "test.db")}`;
  migrateDeploy(url);
  return { url, drop: () => Promise.resolve(rmSync(directory, { recursive: true, force: true })) };
}
