// Shared setup for integration tests: the run's real database, users with unique emails, and
// tRPC callers acting as a given user.
import { TRPCError } from "@trpc/server";
import { randomBytes } from "node:crypto";
import { afterAll, expect, inject } from "vitest";
import { createCaller } from "@/server/api/root";
import { createContext, type Clock } from "@/server/api/trpc";
import { createDb, type Db } from "@/server/db";
import type { RoleName } from "@/server/domain/roles";
import { systemActor } from "@/server/services/audit/audit-log";
import type { SessionClaim } from "@/server/services/access/sessions";
import { createUser } from "@/server/services/access/users";

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
  return createUser(
    db,
    {
      actor: systemActor,
      email: uniqueEmail(role.toLowerCase()),
      name: `Test ${role.toLowerCase()}`,
      role,
      password: testPassword,
    },
    new Date(),
  );
}

/** The session a sign-in of this user would start now (null for null: not signed in). */
export async function sessionOf(db: Db, userId: string | null): Promise<SessionClaim | null> {
  if (!userId) return null;
  const user = await db.user.findUnique({ where: { id: userId }, select: { sessionVersion: true } });
  return { userId, sessionVersion: user?.sessionVersion ?? 0 };
}

/** A caller acting as the user, signed in just now; its context, and so its user, is read once. */
export async function callerFor(db: Db, userId: string | null, clock?: Clock) {
  return createCaller(await createContext({ db, session: await sessionOf(db, userId), ...(clock ? { clock } : {}) }));
}

export function uniqueSlug(prefix = "target"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

export function makeTarget(db: Db, overrides: { knownGoodSnapshotId?: string; currentSnapshotId?: string } = {}) {
  const slug = uniqueSlug();
  return db.target.create({ data: { slug, name: `Target ${slug}`, ...overrides } });
}

export const BUCKET_MS = 10_000;

/**
 * `perSecond` requests a second over [from, from + seconds s): every `errorEvery`-th fails (0: none),
 * latencies cycle through 100 ms steps up to `latencyMs`.
 */
export function traffic(
  from: number,
  seconds: number,
  options: {
    perSecond?: number;
    errorEvery?: number;
    latencyMs?: number;
    costUsd?: number;
    provider?: string;
    model?: string;
  } = {},
) {
  const { perSecond = 1, errorEvery = 0, latencyMs = 1_000, costUsd = 0.001, provider, model } = options;
  return Array.from({ length: seconds * perSecond }, (_, i) => ({
    ts: from + Math.floor((i * 1000) / perSecond),
    latencyMs: 100 + ((i * 100) % latencyMs),
    ok: errorEvery === 0 || i % errorEvery !== 0,
    costUsd,
    inputTokens: 10,
    outputTokens: 20,
    ...(provider && { provider }),
    ...(model && { model }),
  }));
}

/** The TRPCError a call fails with; fails the test when the call succeeds or throws something else. */
export async function rejection(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}
