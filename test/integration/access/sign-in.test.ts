// Sign-in (server/services/access/sign-in.ts): throttling by client and account with growing delays, equal work
// for unknown emails, and the admins' record of failed and refused attempts. scrypt is counted, never timed.
import { randomInt } from "node:crypto";
import type * as Crypto from "node:crypto";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { SIGN_IN_LIMITS } from "@/server/domain/sign-in-throttle";
import { authenticate } from "@/server/services/access/sign-in";
import { callerFor, makeUser, testDb, testPassword, uniqueEmail } from "../helpers";

/** The cost parameters of every scrypt call made since the last reset. */
const scryptCalls = vi.hoisted(() => [] as { N?: number; r?: number; p?: number }[]);
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof Crypto>();
  const scrypt = (...args: Parameters<typeof actual.scrypt>) => {
    scryptCalls.push(typeof args[3] === "object" ? { ...args[3] } : {});
    return actual.scrypt(...args);
  };
  return { ...actual, default: { ...actual, scrypt }, scrypt };
});

const db = testDb();
const T = Date.parse("2026-06-01T10:00:00Z");
const at = (seconds: number) => new Date(T + seconds * 1000);
/** A client address no other test uses. */
const newClient = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const wrong = "not the password at all";

/** The outcome of one attempt: the signed-in user's id, or the refusal's code and message. */
function attempt(email: string, password: string, client: string, now: Date) {
  return authenticate(db, { email, password }, { client, now }).then(
    (user) => user.id,
    (error: { code: string; message: string }) => `${error.code}: ${error.message}`,
  );
}

beforeEach(() => {
  scryptCalls.length = 0;
});

describe("sign-in throttling", () => {
  it("gives a client free attempts on an account, then delays that double after each failure", async () => {
    const user = await makeUser(db, "APPROVER");
    const client = newClient();
    const { free } = SIGN_IN_LIMITS.accountFromClient;
    for (let i = 0; i < free; i++) {
      expect(await attempt(user.email, wrong, client, at(i))).toBe("UNAUTHORIZED: Wrong email or password");
    }
    // 1 s after the fifth failure, then 2 s after the sixth: a wait, not a lock.
    expect(await attempt(user.email, wrong, client, at(free - 1))).toBe(
      "THROTTLED: Too many attempts, try again in 1 s",
    );
    expect(await attempt(user.email, wrong, client, at(free))).toBe("UNAUTHORIZED: Wrong email or password");
    expect(await attempt(user.email, testPassword, client, at(free + 1))).toBe(
      "THROTTLED: Too many attempts, try again in 1 s",
    );
    expect(await attempt(user.email, testPassword, client, at(free + 2))).toBe(user.id);
  });

  it("refuses a throttled attempt without checking its password, and records it as refused", async () => {
    const user = await makeUser(db, "VIEWER");
    const client = newClient();
    for (let i = 0; i < SIGN_IN_LIMITS.accountFromClient.free; i++) await attempt(user.email, wrong, client, at(0));
    scryptCalls.length = 0;
    expect(await attempt(user.email, testPassword, client, at(0))).toMatch(/^THROTTLED/);
    expect(scryptCalls).toHaveLength(0);
    const rows = await db.loginFailure.findMany({
      where: { email: user.email },
      select: { client: true, throttled: true },
    });
    expect(rows.filter((row) => row.throttled)).toEqual([{ client, throttled: true }]);
    expect(rows.filter((row) => !row.throttled)).toHaveLength(SIGN_IN_LIMITS.accountFromClient.free);
  });

  it("does not keep the owner out when an attacker fails from another client", async () => {
    const owner = await makeUser(db, "APPROVER");
    const attacker = newClient();
    for (let i = 0; i < 12; i++) await attempt(owner.email, wrong, attacker, at(i));
    expect(await attempt(owner.email, testPassword, attacker, at(12))).toMatch(/^THROTTLED/);
    // Under the old rule, five failures for the email locked it for everyone for 15 minutes.
    expect(await attempt(owner.email, testPassword, newClient(), at(12))).toBe(owner.id);
  });

  it("holds every client back only past the much higher account-wide ceiling, for at most a minute", async () => {
    const owner = await makeUser(db, "APPROVER");
    const { free, maxDelayMs } = SIGN_IN_LIMITS.account;
    // Many clients, each within its own free attempts: only the account-wide count grows.
    const rows = Array.from({ length: free + 10 }, (_, i) => ({
      email: owner.email,
      client: `192.0.2.${i % 250}`,
      createdAt: at(i),
    }));
    await db.loginFailure.createMany({ data: rows });
    const last = free + 9;
    expect(await attempt(owner.email, testPassword, newClient(), at(last + 1))).toBe(
      `THROTTLED: Too many attempts, try again in ${maxDelayMs / 1000 - 1} s`,
    );
    expect(await attempt(owner.email, testPassword, newClient(), at(last + maxDelayMs / 1000))).toBe(owner.id);
  });

  it("limits one client trying many accounts", async () => {
    const client = newClient();
    const { free } = SIGN_IN_LIMITS.client;
    for (let i = 0; i < free; i++) {
      expect(await attempt(uniqueEmail("sprayed"), wrong, client, at(0))).toBe("UNAUTHORIZED: Wrong email or password");
    }
    const user = await makeUser(db, "VIEWER");
    expect(await attempt(user.email, testPassword, client, at(0))).toMatch(/^THROTTLED/);
    expect(await attempt(user.email, testPassword, newClient(), at(0))).toBe(user.id);
  });

  it("lets no burst of parallel attempts past the free ones", async () => {
    const user = await makeUser(db, "VIEWER");
    const client = newClient();
    scryptCalls.length = 0;
    const results = await Promise.all(Array.from({ length: 12 }, () => attempt(user.email, wrong, client, at(0))));
    // Racing attempts may refuse more than needed (all of them, when each sees the others), never check more
    // passwords than the free attempts.
    const checked = results.filter((result) => result.startsWith("UNAUTHORIZED")).length;
    expect(checked).toBeLessThanOrEqual(SIGN_IN_LIMITS.accountFromClient.free);
    expect(results.filter((result) => result.startsWith("THROTTLED"))).toHaveLength(12 - checked);
    expect(scryptCalls).toHaveLength(checked);
    // Every attempt is on record: the checked ones as failures, the others as refused.
    const count = (throttled: boolean) => db.loginFailure.count({ where: { email: user.email, throttled } });
    expect([await count(false), await count(true)]).toEqual([checked, 12 - checked]);
  });

  it("keeps counting across a restart and forgets nothing on success: the record stays for admins", async () => {
    const user = await makeUser(db, "VIEWER");
    const client = newClient();
    await attempt(user.email, wrong, client, at(0));
    expect(await attempt(user.email, testPassword, client, at(1))).toBe(user.id);
    const restarted = testDb();
    expect(await restarted.loginFailure.count({ where: { email: user.email, client, throttled: false } })).toBe(1);
  });
});

describe("sign-in for unknown emails and disabled accounts", () => {
  const cost = { N: 2 ** 15, r: 8, p: 1 };

  it("hashes once, with the parameters of real password hashes, whatever the email names", async () => {
    const user = await makeUser(db, "VIEWER");
    const disabled = await makeUser(db, "VIEWER");
    await db.user.update({ where: { id: disabled.id }, data: { disabled: true } });
    const cases = [
      [user.email, wrong],
      [uniqueEmail("nobody"), wrong],
      [disabled.email, wrong],
      [disabled.email, testPassword],
    ] as const;
    for (const [email, password] of cases) {
      scryptCalls.length = 0;
      // The same answer for each: it must not tell which emails have an account, or which are disabled.
      expect(await attempt(email, password, newClient(), at(0))).toBe("UNAUTHORIZED: Wrong email or password");
      expect(scryptCalls).toEqual([expect.objectContaining(cost)]);
    }
  });

  it("records failures for unknown emails like any other", async () => {
    const email = uniqueEmail("nobody");
    const client = newClient();
    for (let i = 0; i < SIGN_IN_LIMITS.accountFromClient.free; i++) await attempt(email, wrong, client, at(0));
    expect(await attempt(email, wrong, client, at(0))).toMatch(/^THROTTLED/);
  });
});

describe("the admins' record of sign-in attempts", () => {
  it("groups failed and refused attempts by email and client, newest first", async () => {
    const admin = await makeUser(db, "ADMIN");
    const user = await makeUser(db, "VIEWER");
    const [attacker, owner] = [newClient(), newClient()];
    const now = new Date();
    const minus = (seconds: number) => new Date(now.getTime() - seconds * 1000);
    for (let i = 0; i < 7; i++) await attempt(user.email, wrong, attacker, minus(30));
    await attempt(user.email, wrong, owner, minus(10));
    await attempt(user.email, testPassword, owner, minus(5));

    const rows = await (await callerFor(db, admin.id)).users.signInAttempts();
    expect(rows.filter((row) => row.email === user.email)).toEqual([
      { email: user.email, client: owner, failed: 1, refused: 0, lastAt: minus(10) },
      { email: user.email, client: attacker, failed: 5, refused: 2, lastAt: minus(30) },
    ]);
    const times = rows.map((row) => row.lastAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });
});
