// Migrations only when some are pending. `prisma migrate deploy` cannot run beside a server that holds a SQLite
// file (Prisma's JS schema engine cannot wait for SQLite's lock and fails with WASM_ERROR … SocketTimeout after
// ~10 s), and on PostgreSQL it costs ~11 s even with nothing to do (docs/DATABASES.md). So the CLIs and
// `npm start` first compare the migrations folder with `_prisma_migrations`, a plain read that works beside a
// live server, and deploy only when a migration is missing and no server holds the database.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { describeDatabase, providerOf, sqliteFilePath } from "../../server/db/url";
import { CliError } from "./cli";
import { alreadyRunning, runningServer } from "./server-record";
import { migrateDeploy, root } from "./setup";

/** The provider's migrations, oldest first, as Prisma names them (the folder names). */
export function migrationNames(databaseUrl: string): string[] {
  const folder = path.join(root, "prisma", providerOf(databaseUrl), "migrations");
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(folder, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort();
}

/**
 * Names of migrations that finished and were not rolled back. A failed one counts as not applied, so that
 * `migrate deploy` runs and reports it (P3009). None when the database or the table does not exist yet.
 */
async function appliedMigrations(databaseUrl: string): Promise<Set<string>> {
  const query =
    "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL";
  if (providerOf(databaseUrl) === "sqlite") {
    const file = sqliteFilePath(databaseUrl);
    if (!existsSync(file)) return new Set();
    let db: Database.Database;
    try {
      // A busy timeout: a writer in the server holds the lock for milliseconds at a time.
      db = new Database(file, { fileMustExist: true, timeout: 5_000 });
    } catch (error) {
      throw unreachable(databaseUrl, error);
    }
    try {
      const rows = db.prepare(query).all() as { migration_name: string }[];
      return new Set(rows.map((row) => row.migration_name));
    } catch (error) {
      if (/no such table/.test((error as Error).message)) return new Set();
      throw unreachable(databaseUrl, error);
    } finally {
      db.close();
    }
  }
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get("schema") ?? "public";
  url.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    // A database that does not exist yet is for `migrate deploy` to create.
    if ((error as { code?: string }).code === "3D000") return new Set();
    throw unreachable(databaseUrl, error);
  }
  try {
    const table = `${client.escapeIdentifier(schema)}._prisma_migrations`;
    const result = await client.query<{ migration_name: string }>(query.replace("_prisma_migrations", table));
    return new Set(result.rows.map((row) => row.migration_name));
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return new Set(); // undefined_table
    throw unreachable(databaseUrl, error);
  } finally {
    await client.end();
  }
}

function unreachable(databaseUrl: string, error: unknown): CliError {
  const message = error instanceof Error ? error.message || (error as { code?: string }).code : String(error);
  return new CliError(`Cannot reach the database (${describeDatabase(databaseUrl)}): ${message}`);
}

export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const applied = await appliedMigrations(databaseUrl);
  return migrationNames(databaseUrl).filter((name) => !applied.has(name));
}

/**
 * Applies pending migrations, if any, and returns how many there were. Refuses (one line) while `npm start`
 * serves the database, and turns Prisma's failures into one line too (its full output goes with the error
 * when it is not a lock: a migration that fails needs it).
 */
export async function applyPendingMigrations(
  databaseUrl: string,
  log: (line: string) => void = () => {},
): Promise<number> {
  const pending = await pendingMigrations(databaseUrl);
  if (pending.length === 0) return 0;
  const count = `${pending.length} database migration${pending.length === 1 ? "" : "s"}`;
  const server = runningServer(databaseUrl);
  if (server) {
    throw new CliError(
      `${alreadyRunning(server)} and ${count} ${pending.length === 1 ? "is" : "are"} pending: stop it, then run ` +
        "`npm start` (or `npm run db:deploy`) to apply them.",
    );
  }
  if (providerOf(databaseUrl) === "sqlite") {
    try {
      mkdirSync(path.dirname(sqliteFilePath(databaseUrl)), { recursive: true });
    } catch (error) {
      throw unreachable(databaseUrl, error);
    }
  }
  log(`Applying ${count} (${describeDatabase(databaseUrl)})…`);
  try {
    migrateDeploy(databaseUrl);
  } catch (error) {
    const output = error instanceof Error ? error.message : String(error);
    if (/SocketTimeout|database is locked|SQLITE_BUSY/.test(output)) {
      throw new CliError(
        `The database is busy (${describeDatabase(databaseUrl)}): another process holds it, such as a server ` +
          `started with \`next start\`. Stop it and try again: ${count} must be applied first.`,
      );
    }
    // Prisma's own account of a failed migration matters; the schema engine's stack frames do not.
    const details = output
      .split("\n")
      .filter((line) => !/^\s+(at |\d+: |with |in )/.test(line))
      .join("\n");
    throw new CliError(`Applying ${count} failed:\n${details}`);
  }
  return pending.length;
}
