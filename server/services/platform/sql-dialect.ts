// The few places where raw SQL differs between SQLite and PostgreSQL, for queries that Prisma's model API cannot
// express (sums over rollups and buckets together, chart steps).
import "server-only";
import { Prisma, type Db } from "../../db";

/** The client's provider. Prisma keeps it on every client, extended ones included, but does not type it. */
export function dialectOf(db: Db): "sqlite" | "postgresql" {
  const provider = (db as unknown as { _activeProvider?: unknown })._activeProvider;
  if (provider === "sqlite" || provider === "postgresql") return provider;
  throw new Error(`Unknown database provider: ${String(provider)}`);
}

/**
 * `"column" IN (ids)` with the ids bound as one parameter (a PostgreSQL array, a SQLite JSON array), so that
 * 10,000 targets stay within SQLite's bound-parameter limit and both databases still seek the index per id.
 */
export function columnIn(db: Db, column: string, ids: readonly string[]): Prisma.Sql {
  const quoted = Prisma.raw(`"${column}"`);
  return dialectOf(db) === "postgresql"
    ? Prisma.sql`${quoted} = ANY(${[...ids]}::text[])`
    : Prisma.sql`${quoted} IN (SELECT "value" FROM json_each(${JSON.stringify(ids)}))`;
}
