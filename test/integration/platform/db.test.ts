import { describe, expect, it } from "vitest";
import { testDb, uniqueEmail } from "../helpers";

const db = testDb();

describe("database client", () => {
  it("keeps a write made outside a transaction out of that transaction's rollback", async () => {
    const inside = uniqueEmail("inside");
    const outside = uniqueEmail("outside");
    await db.loginFailure.create({ data: { email: outside } });
    let insideWritten!: () => void;
    const written = new Promise<void>((resolve) => (insideWritten = resolve));
    const transaction = db.$transaction(async (tx) => {
      await tx.loginFailure.create({ data: { email: inside } });
      insideWritten();
      // Give the outside write every chance to run while this transaction is open.
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new Error("roll back");
    });
    await written;
    // A single-statement write that Prisma sends without a transaction of its own. Prisma queries are
    // lazy: then() starts it now, while the transaction is still open.
    const outsideWrite =
      db.$executeRaw`UPDATE "LoginFailure" SET "email" = ${`${outside}.moved`} WHERE "email" = ${outside}`.then(
        (count) => count,
      );
    await expect(transaction).rejects.toThrow("roll back");
    expect(await outsideWrite).toBe(1);
    expect(await db.loginFailure.count({ where: { email: inside } })).toBe(0);
    expect(await db.loginFailure.count({ where: { email: `${outside}.moved` } })).toBe(1);
  });
});
