import { describe, expect, it } from "vitest";
import { loginRetryAt } from "@/server/domain/login-throttle";

const now = new Date("2026-03-01T12:00:00Z");
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000);

describe("login throttling rule", () => {
  it("allows up to four recent failures", () => {
    expect(loginRetryAt([1, 2, 3, 4].map(minutesAgo), now)).toBeNull();
  });

  it("locks at five failures within 15 minutes until the oldest counted one expires", () => {
    expect(loginRetryAt([14, 1, 10, 3, 2].map(minutesAgo), now)).toEqual(new Date(now.getTime() + 60_000));
  });

  it("ignores failures older than 15 minutes", () => {
    expect(loginRetryAt([20, 16, 15, 3, 2, 1].map(minutesAgo), now)).toBeNull();
  });

  it("uses the fifth most recent failure when there are more", () => {
    expect(loginRetryAt([14, 12, 5, 4, 3, 2, 1].map(minutesAgo), now)).toEqual(new Date(now.getTime() + 10 * 60_000));
  });
});
