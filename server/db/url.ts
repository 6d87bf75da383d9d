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

/**
 * A PostgreSQL URL as the pg pool takes it: `schema` (the Prisma convention) and `connection_limit` (the pool's
 * size, Prisma's name for it; pg's default is 10 per process) are Rewind's to read, not the server's, so they
 * leave the connection string.
 */
export function postgresPoolOptions(databaseUrl: string): { connectionString: string; schema?: string; max?: number } {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get("schema") ?? undefined;
  const limit = url.searchParams.get("connection_limit");
  url.searchParams.delete("schema");
  url.searchParams.delete("connection_limit");
  const max = limit === null ? undefined : Number(limit);
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
    throw new Error(`DATABASE_URL: connection_limit must be a whole number of at least 1 (got "${limit}")`);
  }
  return { connectionString: url.toString(), ...(schema && { schema }), ...(max && { max }) };
}
