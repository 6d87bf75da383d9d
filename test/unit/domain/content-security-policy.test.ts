import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, servedOverHttps } from "@/server/domain/content-security-policy";

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(";").map((part) => {
      const [name = "", ...values] = part.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

describe("contentSecurityPolicy", () => {
  it("runs scripts by nonce only, and lets nothing frame the page", () => {
    const policy = directives(contentSecurityPolicy({ nonce: "abc123==", dev: false, https: false }));
    expect(policy.get("script-src")).toEqual(["'self'", "'nonce-abc123=='", "'strict-dynamic'"]);
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    expect(policy.get("object-src")).toEqual(["'none'"]);
    expect(policy.get("base-uri")).toEqual(["'none'"]);
    expect(policy.get("form-action")).toEqual(["'self'"]);
    expect(policy.has("upgrade-insecure-requests")).toBe(false);
  });

  it("adds eval in development only and the upgrade over HTTPS only", () => {
    expect(directives(contentSecurityPolicy({ nonce: "n", dev: true, https: false })).get("script-src")).toContain(
      "'unsafe-eval'",
    );
    expect(
      directives(contentSecurityPolicy({ nonce: "n", dev: false, https: true })).has("upgrade-insecure-requests"),
    ).toBe(true);
  });
});

describe("servedOverHttps", () => {
  it.each([
    ["https", "http:", true],
    ["HTTPS", "http:", true],
    ["https, http", "http:", true],
    ["http", "https:", false],
    [null, "https:", true],
    [null, "http:", false],
  ] as const)("X-Forwarded-Proto %j on %s → %s", (forwarded, protocol, expected) => {
    expect(servedOverHttps(forwarded, protocol)).toBe(expected);
  });
});
