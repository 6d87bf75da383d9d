// The PostgreSQL adapter's repair (server/db/postgres-adapter.ts), driven with a stand-in transaction shaped as
// adapter-pg's: its connection is released by commit()/rollback() only, never by the COMMIT query.
import { describe, expect, it } from "vitest";
import { releasingAfterFailedEnd } from "@/server/db/postgres-adapter";

type Started = Awaited<ReturnType<Parameters<typeof releasingAfterFailedEnd>[0]["startTransaction"]>>;

function standIn(failing: RegExp | null) {
  const released: string[] = [];
  const transaction = {
    options: { usePhantomQuery: false },
    executeRaw: (query: { sql: string }) =>
      failing?.test(query.sql)
        ? Promise.reject(new Error("could not serialize access due to read/write dependencies"))
        : Promise.resolve(1),
    commit: () => {
      released.push("commit");
      return Promise.resolve();
    },
    rollback: () => {
      released.push("rollback");
      return Promise.resolve();
    },
  };
  const adapter = releasingAfterFailedEnd({
    startTransaction: () => Promise.resolve(transaction as unknown as Started),
  });
  return { adapter, released };
}

const query = (sql: string) => ({ sql, args: [], argTypes: [] });

describe("a transaction whose COMMIT or ROLLBACK query fails", () => {
  it("releases its connection once and passes the error on", async () => {
    for (const sql of ["COMMIT", "ROLLBACK"]) {
      const { adapter, released } = standIn(new RegExp(`^${sql}$`));
      const transaction = await adapter.startTransaction();
      await expect(transaction.executeRaw(query(sql))).rejects.toThrow(/could not serialize/);
      expect(released).toEqual(["rollback"]);
    }
  });

  it("leaves other failures and successful ends to Prisma", async () => {
    const failingInsert = standIn(/^INSERT/);
    const transaction = await failingInsert.adapter.startTransaction();
    await expect(transaction.executeRaw(query("INSERT INTO t VALUES (1)"))).rejects.toThrow();
    expect(failingInsert.released).toEqual([]);

    const healthy = standIn(null);
    const committed = await healthy.adapter.startTransaction();
    expect(await committed.executeRaw(query("COMMIT"))).toBe(1);
    expect(healthy.released).toEqual([]);
  });
});
