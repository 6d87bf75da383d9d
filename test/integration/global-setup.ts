// One fresh database per run of the integration project: a temporary SQLite file by default, or a
// new PostgreSQL database on TEST_POSTGRES_URL's server when TEST_DATABASE=postgresql. Dropped after.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrateDeploy } from "../../scripts/lib/setup";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE === "postgresql") {
    const serverUrl = process.env.TEST_POSTGRES_URL;
    if (!serverUrl) throw new Error("TEST_DATABASE=postgresql needs TEST_POSTGRES_URL");
    const name = `rewind_test_${Date.now()}_${randomBytes(3).toString("hex")}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    migrateDeploy(url.toString());
    project.provide("databaseUrl", url.toString());
    return async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    };
  }
  const directory = mkdtempSync(path.join(tmpdir(), "rewind-test-"));
  const url = `file:${path.join(directory, "test.db")}`;
  migrateDeploy(url);
  project.provide("databaseUrl", url);
  return () => rmSync(directory, { recursive: true, force: true });
}
