// Driver adapters for the Prisma CLI (migrate, diff) only, with fixes for upstream bugs of
// Prisma 6.19.3's JS schema engine (see docs/DATABASES.md). The app itself uses plain adapters.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { sqliteFilePath } from "./url";

type SqlAdapter = Awaited<ReturnType<PrismaBetterSQLite3["connect"]>>;

/**
 * The schema engine replays a whole migration file through executeRaw, but better-sqlite3's
 * prepare() takes one statement (P1014/P3006). Parameterless scripts go to executeScript instead.
 */
function acceptScripts(adapter: SqlAdapter): SqlAdapter {
  return new Proxy(adapter, {
    get(target, property, receiver) {
      if (property === "executeRaw") {
        return async (query: Parameters<SqlAdapter["executeRaw"]>[0]) => {
          if (query.args.length === 0 && hasSeveralStatements(query.sql)) {
            await target.executeScript(query.sql);
            return 0;
          }
          return target.executeRaw(query);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function hasSeveralStatements(sql: string): boolean {
  return sql.trim().replace(/;\s*$/, "").includes(";");
}

export function sqliteMigrateAdapter(databaseUrl: string): SqlMigrationAwareDriverAdapterFactory {
  const file = sqliteFilePath(databaseUrl);
  mkdirSync(path.dirname(file), { recursive: true });
  const factory = new PrismaBetterSQLite3({ url: file });
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => acceptScripts(await factory.connect()),
    connectToShadowDb: async () => acceptScripts(await factory.connectToShadowDb()),
  };
}

// adapter-pg 6.19.3 cannot deserialize the `name` type (prisma/orm#27403): report it as text.
const typeRewrites = new Map([
  [19, 25], // name → text
  [1003, 1009], // name[] → text[]
  [18, 25], // "char" → text
]);

function rewriteFieldTypes(result: unknown): unknown {
  const results = Array.isArray(result) ? result : [result];
  for (const one of results as ({ fields?: { dataTypeID: number }[] } | undefined)[]) {
    for (const field of one?.fields ?? []) {
      field.dataTypeID = typeRewrites.get(field.dataTypeID) ?? field.dataTypeID;
    }
  }
  return result;
}

type AnyQuery = (...args: unknown[]) => unknown;

class NameAsTextClient extends pg.Client {
  // pg's query has many overloads; both the callback and the promise form are rewritten.
  override query(...args: unknown[]): never {
    const superQuery = super.query.bind(this) as AnyQuery;
    const last = args[args.length - 1];
    if (typeof last === "function") {
      const callback = last as (error: unknown, result: unknown) => void;
      args[args.length - 1] = (error: unknown, result: unknown) =>
        callback(error, error ? result : rewriteFieldTypes(result));
      return superQuery(...args) as never;
    }
    const returned = superQuery(...args);
    if (returned instanceof Promise) return returned.then(rewriteFieldTypes) as never;
    return returned as never;
  }
}

export function postgresMigrateAdapter(databaseUrl: string): SqlMigrationAwareDriverAdapterFactory {
  const url = new URL(databaseUrl);
  // The shadow pool is derived from pool.options, where a connectionString would win over the
  // shadow database's name, and pg-pool hides the password: pass the fields separately.
  const pool = new pg.Pool({
    host: url.hostname,
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username),
    database: decodeURIComponent(url.pathname.slice(1)),
    Client: NameAsTextClient,
    // One use per connection lets the shadow database be dropped afterwards.
    maxUses: 1,
  });
  Object.defineProperty(pool.options, "password", {
    value: decodeURIComponent(url.password),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  const schema = url.searchParams.get("schema") ?? undefined;
  return new PrismaPg(pool, schema ? { schema } : undefined);
}
