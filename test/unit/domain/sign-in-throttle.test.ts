import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  delayAfter,
  SIGN_IN_FAILURE_WINDOW_MS,
  SIGN_IN_LIMITS,
  signInClient,
  signInRefusal,
  UNKNOWN_CLIENT,
  type CountedFailure,
} from "@/server/domain/sign-in-throttle";

const now = new Date("2026-03-01T12:00:00Z");
const secondsAgo = (seconds: number) => new Date(now.getTime() - seconds * 1000);
const OWNER = "owner@example.test";
const ATTACKER = "203.0.113.9";
const OFFICE = "198.51.100.7";

/** `count` failures for `email` from `client`, one a second, the latest `endSecondsAgo` before now. */
function failures(count: number, email: string, client: string, endSecondsAgo = 0): CountedFailure[] {
  return Array.from({ length: count }, (_, i) => ({ email, client, at: secondsAgo(endSecondsAgo + i) }));
}

describe("delayAfter", () => {
  it("is free up to the free failures, then doubles from the first delay up to the cap", () => {
    const schedule = SIGN_IN_LIMITS.accountFromClient;
    const delays = Array.from({ length: 18 }, (_, n) => delayAfter(schedule, n) / 1000);
    expect(delays).toEqual([0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
  });

  it("stays at the cap for any number of failures", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e7 }), (n) => {
        const delay = delayAfter(SIGN_IN_LIMITS.account, n);
        expect(Number.isFinite(delay)).toBe(true);
        expect(delay).toBeLessThanOrEqual(SIGN_IN_LIMITS.account.maxDelayMs);
      }),
    );
  });

  it("keeps the account-wide limit much gentler than the per-client ones", () => {
    const { account, accountFromClient, client } = SIGN_IN_LIMITS;
    expect(account.free).toBeGreaterThanOrEqual(2 * client.free);
    expect(client.free).toBeGreaterThan(accountFromClient.free);
    expect(account.maxDelayMs * 10).toBeLessThanOrEqual(accountFromClient.maxDelayMs);
  });
});

describe("signInRefusal", () => {
  const attempt = (client: string, email = OWNER) => ({ email, client, now });

  it("lets an account's first free failures from a client through, then says when to retry", () => {
    expect(signInRefusal(attempt(ATTACKER), failures(4, OWNER, ATTACKER))).toBeNull();
    expect(signInRefusal(attempt(ATTACKER), failures(5, OWNER, ATTACKER, 0.25))).toEqual({
      retryAt: new Date(now.getTime() + 750),
      retryAfterSeconds: 1,
      limit: "accountFromClient",
    });
  });

  it("grows the delay with each further failure and measures it from the latest one", () => {
    const twelve = failures(12, OWNER, ATTACKER, 10);
    expect(signInRefusal(attempt(ATTACKER), twelve)).toMatchObject({
      retryAt: new Date(now.getTime() - 10_000 + 128_000),
      retryAfterSeconds: 118,
    });
    // Never a lock: once the delay after the latest failure has passed, the next attempt goes through.
    expect(signInRefusal(attempt(ATTACKER), failures(12, OWNER, ATTACKER, 128))).toBeNull();
  });

  it("does not hold the owner back for an attacker's failures from another client", () => {
    const attacks = failures(40, OWNER, ATTACKER);
    expect(signInRefusal(attempt(ATTACKER), attacks)?.limit).toBe("accountFromClient");
    expect(signInRefusal(attempt(OFFICE), attacks)).toBeNull();
  });

  it("applies the account-wide ceiling to every client, with its one-minute cap", () => {
    const fromMany = Array.from({ length: 80 }, (_, i) => ({
      email: OWNER,
      client: `192.0.2.${i}`,
      at: secondsAgo(i),
    }));
    expect(signInRefusal(attempt(OFFICE), fromMany)).toEqual({
      retryAt: new Date(now.getTime() + 60_000),
      retryAfterSeconds: 60,
      limit: "account",
    });
  });

  it("limits one client across accounts (password spraying), but not other clients", () => {
    const sprayed = Array.from({ length: 20 }, (_, i) => ({
      email: `user${i}@example.test`,
      client: ATTACKER,
      at: now,
    }));
    expect(signInRefusal(attempt(ATTACKER, "fresh@example.test"), sprayed)?.limit).toBe("client");
    expect(signInRefusal(attempt(OFFICE, "fresh@example.test"), sprayed)).toBeNull();
  });

  it("treats unknown clients as one account-bound client: the cross-account limit would hold everyone", () => {
    const sprayed = Array.from({ length: 30 }, (_, i) => ({
      email: `u${i}@example.test`,
      client: UNKNOWN_CLIENT,
      at: now,
    }));
    expect(signInRefusal(attempt(UNKNOWN_CLIENT, "fresh@example.test"), sprayed)).toBeNull();
    expect(signInRefusal(attempt(UNKNOWN_CLIENT), failures(5, OWNER, UNKNOWN_CLIENT))?.limit).toBe("accountFromClient");
  });

  it("forgets failures older than the window", () => {
    const old = failures(40, OWNER, ATTACKER, SIGN_IN_FAILURE_WINDOW_MS / 1000);
    expect(signInRefusal(attempt(ATTACKER), old)).toBeNull();
  });

  const failureArbitrary = fc.record({
    email: fc.constantFrom(OWNER, "other@example.test"),
    client: fc.constantFrom(ATTACKER, OFFICE, UNKNOWN_CLIENT, "192.0.2.1", "192.0.2.2"),
    at: fc.integer({ min: 0, max: SIGN_IN_FAILURE_WINDOW_MS + 60_000 }).map((ms) => new Date(now.getTime() - ms)),
  });

  it("never makes anyone wait past the longest cap, and a client without failures past the account cap", () => {
    fc.assert(
      fc.property(fc.array(failureArbitrary, { maxLength: 200 }), fc.constantFrom(ATTACKER, OFFICE), (all, client) => {
        const refusal = signInRefusal(attempt(client), all);
        if (!refusal) return;
        expect(refusal.retryAt.getTime() - now.getTime()).toBeLessThanOrEqual(15 * 60_000);
        const own = all.filter((failure) => failure.client === client);
        if (own.length === 0) expect(refusal.retryAt.getTime() - now.getTime()).toBeLessThanOrEqual(60_000);
      }),
    );
  });

  it("never shortens the wait when a failure is added", () => {
    fc.assert(
      fc.property(fc.array(failureArbitrary, { maxLength: 120 }), failureArbitrary, (all, extra) => {
        const before = signInRefusal(attempt(ATTACKER), all)?.retryAt.getTime() ?? 0;
        const after = signInRefusal(attempt(ATTACKER), [...all, extra])?.retryAt.getTime() ?? 0;
        expect(after).toBeGreaterThanOrEqual(before);
      }),
    );
  });
});

describe("signInClient", () => {
  it("cannot tell clients apart without a trusted proxy: the header is the client's own word", () => {
    expect(signInClient("203.0.113.9", 0)).toBe(UNKNOWN_CLIENT);
    expect(signInClient(null, 1)).toBe(UNKNOWN_CLIENT);
  });

  it("takes the address the outermost trusted proxy appended, never what the client sent before it", () => {
    expect(signInClient("203.0.113.9", 1)).toBe("203.0.113.9");
    expect(signInClient("10.9.9.9, 203.0.113.9", 1)).toBe("203.0.113.9");
    expect(signInClient("1.1.1.1, 203.0.113.9, 10.0.0.2", 2)).toBe("203.0.113.9");
    // Fewer entries than proxies: the request did not come through all of them.
    expect(signInClient("203.0.113.9", 2)).toBe(UNKNOWN_CLIENT);
  });

  it("normalizes addresses: ports dropped, IPv4-mapped IPv6 as IPv4, IPv6 by its /64", () => {
    expect(signInClient("203.0.113.9:51234", 1)).toBe("203.0.113.9");
    expect(signInClient("::ffff:203.0.113.9", 1)).toBe("203.0.113.9");
    expect(signInClient("[2001:db8:a:b:1:2:3:4]:443", 1)).toBe("2001:db8:a:b::/64");
    expect(signInClient("2001:DB8:a:b::99", 1)).toBe("2001:db8:a:b::/64");
    expect(signInClient("2001:db8::1", 1)).toBe("2001:db8:0:0::/64");
    expect(signInClient("::1", 1)).toBe("0:0:0:0::/64");
  });

  it("refuses anything that is not an address", () => {
    for (const value of ["unknown", "", "evil.example", "1.2.3.999", "1:2:3:4:5:6:7:8:9", "a::b::c", "x".repeat(100)]) {
      expect(signInClient(value, 1)).toBe(UNKNOWN_CLIENT);
    }
  });
});
