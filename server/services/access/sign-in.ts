// Sign-in: the password check behind throttling by client and account (server/domain/sign-in-throttle.ts), in
// the same time whether or not the email names an account, and the admins' view of failed and refused attempts.
import "server-only";
import type { Db } from "../../db";
import { AppError } from "../../domain/errors";
import {
  SIGN_IN_FAILURE_WINDOW_MS,
  signInRefusal,
  UNKNOWN_CLIENT,
  type SignInRefusal,
} from "../../domain/sign-in-throttle";
import { signInSchema } from "../../domain/users";
import { parseInput } from "../platform/validation";
import { verifyNoPassword, verifyPassword } from "./passwords";
import type { SessionUser } from "./sessions";

/** A signed-in user and the session version their new token carries. */
export type AuthenticatedUser = SessionUser & { sessionVersion: number };

/**
 * Checks a sign-in from `client` (see `signInClient`). A throttled attempt is refused, and recorded as refused,
 * before the password is even looked at, so a right guess during a delay does not reveal itself. Unknown emails
 * and disabled accounts cost the same hashing as a wrong password and get the same answer.
 *
 * Parallel attempts must not all slip past the limits before any failure is recorded. An attempt the limits
 * allow is therefore recorded as a failure first and checked again counting every other row then visible: of
 * two racing attempts, the one that reads last sees the other, so no more attempts go through than the limits
 * allow (racing attempts may all be refused, none let through beyond the limits). A right password removes
 * the row again. (A serializable transaction would do the same, but on PostgreSQL each conflict raised at COMMIT
 * leaves a pool connection of Prisma's adapter-pg 6.19 checked out for good: $disconnect then never returns.)
 */
export async function authenticate(
  db: Db,
  input: unknown,
  attempt: { client: string; now: Date },
): Promise<AuthenticatedUser> {
  const { email, password } = parseInput(signInSchema, input);
  const { now } = attempt;
  const client = attempt.client || UNKNOWN_CLIENT;
  const refusal = async (exceptId?: string) => {
    const failures = await db.loginFailure.findMany({
      where: {
        throttled: false,
        createdAt: { gt: new Date(now.getTime() - SIGN_IN_FAILURE_WINDOW_MS) },
        OR: client === UNKNOWN_CLIENT ? [{ email }] : [{ email }, { client }],
        ...(exceptId ? { id: { not: exceptId } } : {}),
      },
      select: { email: true, client: true, createdAt: true },
    });
    return signInRefusal(
      { email, client, now },
      failures.map((failure) => ({ email: failure.email, client: failure.client, at: failure.createdAt })),
    );
  };
  const refuse = ({ retryAt, retryAfterSeconds }: SignInRefusal) =>
    new AppError("THROTTLED", `Too many attempts, try again in ${retryAfterSeconds} s`, { retryAt });

  const early = await refusal();
  if (early) {
    await db.loginFailure.create({ data: { email, client, throttled: true, createdAt: now } });
    throw refuse(early);
  }
  const pending = await db.loginFailure.create({ data: { email, client, createdAt: now }, select: { id: true } });
  const raced = await refusal(pending.id);
  if (raced) {
    await db.loginFailure.update({ where: { id: pending.id }, data: { throttled: true } });
    throw refuse(raced);
  }

  const user = await db.user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, role: true, disabled: true, passwordHash: true, sessionVersion: true },
  });
  const valid =
    user && !user.disabled ? await verifyPassword(password, user.passwordHash) : await verifyNoPassword(password);
  if (!user || !valid) throw new AppError("UNAUTHORIZED", "Wrong email or password");
  await db.loginFailure.delete({ where: { id: pending.id } });
  return { id: user.id, email: user.email, name: user.name, role: user.role, sessionVersion: user.sessionVersion };
}

/** Failed and refused sign-ins of the last day, one row per email and client, most recent first. */
export async function listSignInAttempts(db: Db, now: Date, limit = 100) {
  const groups = await db.loginFailure.groupBy({
    by: ["email", "client", "throttled"],
    where: { createdAt: { gt: new Date(now.getTime() - SIGN_IN_FAILURE_WINDOW_MS) } },
    _count: { _all: true },
    _max: { createdAt: true },
  });
  const rows = new Map<string, { email: string; client: string; failed: number; refused: number; lastAt: Date }>();
  for (const group of groups) {
    const key = JSON.stringify([group.email, group.client]);
    const row = rows.get(key) ?? {
      email: group.email,
      client: group.client,
      failed: 0,
      refused: 0,
      lastAt: new Date(0),
    };
    if (group.throttled) row.refused += group._count._all;
    else row.failed += group._count._all;
    const last = group._max.createdAt;
    if (last && last > row.lastAt) row.lastAt = last;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => b.lastAt.getTime() - a.lastAt.getTime()).slice(0, limit);
}
