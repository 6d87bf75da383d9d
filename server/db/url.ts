// DATABASE_URL decides the provider: file: → SQLite (embedded), postgres(ql):// → PostgreSQL.
import path from "node:path";

export type DatabaseProvider = "sqlite" | "postgresql";

export function providerOf(databaseUrl: string): DatabaseProvider {
  if (databaseUrl.startsWith("file:")) return "sqlite";
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return "postgresql";
  throw new Error(`DATABASE_URL must start with file: or postgresql:// (got "${databaseUrl.split(":")[0]}:")`);
}

/** Absolute path of a SQLite file URL; relative paths are relative to the working directory. */
export function sqliteFilePath(databaseUrl: string): string {
  const raw = databaseUrl.slice("file:".length).split("?")[0] ?? "";
  return path.resolve(raw.replace(/^\/\//, ""));
}

/** A URL that is safe to print: the password of a PostgreSQL URL is masked. */
export function describeDatabase(databaseUrl: string): string {
  if (providerOf(databaseUrl) === "sqlite") return `SQLite ${sqliteFilePath(databaseUrl)}`;
  const url = new URL(databaseUrl);
  if (url.password) url.password = "****";
  return `PostgreSQL ${url.toString()}`;
}
