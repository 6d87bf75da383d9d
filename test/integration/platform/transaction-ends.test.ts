// Transactions that lose a conflict must not cost the process its database connections: on PostgreSQL a
// Serializable transaction's serialization failure surfaces at COMMIT, and Prisma 6.19's adapter-pg kept that
// connection checked out for good (server/db/postgres-adapter.ts); on SQLite transactions take turns.
import { afterAll, describe, expect, inject, it } from "vitest";
import Database from "better-sqlite3";
import { createDb, Prisma } from "@/server/db";
import { PrismaClient as PostgresClient } from "@/server/db/generated/postgresql/client";
import { postgresAdapter } from "@/server/db/postgres-adapter";
import { providerOf, sqliteFilePath } from "@/server/db/url";
import { isWriteConflict, retryOnConflict } from "@/server/services/platform/retry";

const url = inject("databaseUrl");
const serializable = { isolationLevel: Prisma.TransactionIsolationLevel.Serializable };

/** Resolves once `parties` callers wait on it: every transaction has read before any writes. */
function barrier(parties: number) {
  let waiting = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    waiting += 1;
    if (waiting === parties) open();
    return opened;
  };
}

describe("transactions that lose a conflict", () => {
  if (providerOf(url) === "postgresql") {
    it("give their connection back when PostgreSQL refuses them at COMMIT (write skew, a pool of 2)", async () => {
      const db = new PostgresClient({
        adapter: postgresAdapter({ connectionString: url, max: 2 }),
        transactionOptions: { maxWait: 5_000, timeout: 10_000 },
      });
      afterAll(() => db.$disconnect());
      await db.$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS "WriteSkewProbe" (round INT NOT NULL, side INT NOT NULL)`);

      const failures: unknown[] = [];
      // Each round: both read the round's rows, then both insert one. Serializable lets only one commit; the other
      // fails, at COMMIT when PostgreSQL finds the cycle there. Five rounds would leak more connections than the pool has.
      for (let round = 0; round < 5; round++) {
        const bothRead = barrier(2);
        const outcomes = await Promise.allSettled(
          [0, 1].map((side) =>
            db.$transaction(async (tx) => {
              await tx.$queryRawUnsafe(`SELECT count(*) FROM "WriteSkewProbe" WHERE round = ${round}`);
              await bothRead();
              await tx.$executeRawUnsafe(`INSERT INTO "WriteSkewProbe" (round, side) VALUES (${round}, ${side})`);
            }, serializable),
          ),
        );
        expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
        for (const outcome of outcomes) if (outcome.status === "rejected") failures.push(outcome.reason);
      }
      expect(failures).toHaveLength(5);
      // Each a conflict the services retry (a serialization failure, raised at the INSERT or at COMMIT).
      expect(failures.filter((failure) => !isWriteConflict(failure))).toEqual([]);

      // Both connections are back: two transactions can hold one each at once.
      const bothIn = barrier(2);
      const rounds = await Promise.all(
        [0, 1].map(() =>
          db.$transaction(async (tx) => {
            await bothIn();
            return tx.$queryRawUnsafe<{ rounds: bigint }[]>(
              `SELECT count(DISTINCT round) AS rounds FROM "WriteSkewProbe"`,
            );
          }),
        ),
      );
      expect(rounds.map(([row]) => Number(row?.rounds))).toEqual([5, 5]);
    });
  } else {
    it("take turns on SQLite, so concurrent read-then-write transactions all commit and lose no write", async () => {
      const db = createDb(url);
      afterAll(() => db.$disconnect());
      await db.$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS "WriteSkewProbe" (round INT NOT NULL, side INT NOT NULL)`);
      await Promise.all(
        [0, 1, 2, 3, 4].map((side) =>
          db.$transaction(async (tx) => {
            const [row] = await tx.$queryRawUnsafe<{ seen: bigint }[]>(`SELECT count(*) AS seen FROM "WriteSkewProbe"`);
            await tx.$executeRawUnsafe(
              `INSERT INTO "WriteSkewProbe" (round, side) VALUES (${Number(row?.seen)}, ${side})`,
            );
          }, serializable),
        ),
      );
      const rows = await db.$queryRawUnsafe<{ round: bigint }[]>(`SELECT round FROM "WriteSkewProbe" ORDER BY round`);
      // Each saw every insert before it: rounds 0..4, no two the same.
      expect(rows.map((row) => Number(row.round))).toEqual([0, 1, 2, 3, 4]);
    });

    it("retry a model write whose read went stale under another process's commit (a command beside the server)", async () => {
      const db = createDb(url);
      afterAll(() => db.$disconnect());
      const key = `stale-read-${Date.now()}`;
      let attempts = 0;
      const failures: unknown[] = [];
      await retryOnConflict(async () => {
        attempts += 1;
        try {
          await db.$transaction(async (tx) => {
            await tx.$queryRaw`SELECT COUNT(*) FROM "Setting"`;
            // Another process commits between this transaction's read and its write, on the first attempt only.
            if (attempts === 1) {
              const other = new Database(sqliteFilePath(url));
              other.exec(
                `INSERT INTO "Setting" ("key", "value", "updatedAt") VALUES ('${key}-other', '1', '2026-01-01')`,
              );
              other.close();
            }
            await tx.setting.create({ data: { key, value: "1" } });
          });
        } catch (error) {
          failures.push(error);
          throw error;
        }
      });
      expect(attempts).toBe(2);
      expect(failures).toHaveLength(1);
      expect(failures.filter((failure) => !isWriteConflict(failure))).toEqual([]);
      expect(await db.setting.count({ where: { key: { startsWith: key } } })).toBe(2);
    });
  }
});
