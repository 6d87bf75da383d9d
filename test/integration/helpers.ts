// Shared setup for integration tests: the run's real database, users with unique emails, and
// tRPC callers acting as a given user.
import { randomBytes } from "node:crypto";
import { afterAll, inject } from "vitest";
import { createCaller } from "@/server/api/root";
import { createContext, type Clock } from "@/server/api/trpc";
import { createDb, type Db } from "@/server/db";
import type { RoleName } from "@/server/domain/roles";
import { createUser } from "@/server/services/users";

/** A client for this run's database, disconnected after the calling file's tests. */
export function testDb(): Db {
  const db = createDb(inject("databaseUrl"));
  afterAll(() => db.$disconnect());
  return db;
}

export const testPassword = "correct horse battery staple";

export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}@example.test`;
}

export function makeUser(db: Db, role: RoleName) {
  return createUser(db, {
    email: uniqueEmail(role.toLowerCase()),
    name: `Test ${role.toLowerCase()}`,
    role,
    password: testPassword,
  });
}

export async function callerFor(db: Db, userId: string | null, clock?: Clock) {
  return createCaller(await createContext({ db, userId, ...(clock ? { clock } : {}) }));
}
