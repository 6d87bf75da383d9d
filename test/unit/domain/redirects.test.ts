import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { authRedirectUrl, sameOriginPath, signInCallbackPath } from "@/server/domain/redirects";

const origin = "http://127.0.0.1:4394";

// Each of these resolved to another host somewhere between the link and the browser's address bar.
const offSite = [
  "/.//localhost:4394/phish",
  "/..//evil.example/phish",
  "/%2e//evil.example",
  "/%2E%2E//evil.example",
  "/%2e%2e/%2fevil.example",
  "/./%2Fevil.example",
  "//evil.example/phish",
  "///evil.example",
  "/\\evil.example",
  "\\\\evil.example",
  "/\\/evil.example",
  "\\/evil.example",
  "/%5Cevil.example",
  "/%5C%5Cevil.example",
  "%2F%2Fevil.example",
  "%252F%252Fevil.example",
  "/%252e//evil.example",
  "/\t/evil.example",
  "/\n/evil.example",
  " //evil.example",
  "https://evil.example/",
  "http://127.0.0.1:4395/",
  "https://127.0.0.1:4394/",
  "//127.0.0.1:4394@evil.example",
  "javascript:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "/%zz",
];

describe("sameOriginPath", () => {
  it.each(offSite)("refuses %j", (value) => {
    expect(sameOriginPath(value, origin)).toBeNull();
  });

  it.each([
    ["/", "/"],
    ["/rollbacks", "/rollbacks"],
    ["/rollbacks?status=FAILED&target=chat#history", "/rollbacks?status=FAILED&target=chat#history"],
    ["/targets/chat/../../flags", "/flags"],
    ["http:evil.example", "/evil.example"],
    ["/targets/a%20b", "/targets/a%20b"],
    ["rollbacks", "/rollbacks"],
    [`${origin}/approvals?x=1`, "/approvals?x=1"],
  ])("keeps %j as %j", (value, path) => {
    expect(sameOriginPath(value, origin)).toBe(path);
  });

  it("never returns something a browser reads as another host", () => {
    const piece = fc.constantFrom(
      "/",
      "\\",
      ".",
      "..",
      "%2e",
      "%2f",
      "%5c",
      "%252f",
      "evil.example",
      "@",
      ":",
      "?",
      "#",
      "\t",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const path = sameOriginPath(pieces.join(""), origin);
        if (path === null) return;
        expect(path.startsWith("/")).toBe(true);
        expect(new URL(path, origin).origin).toBe(origin);
        expect(new URL(decodeURIComponent(path), origin).origin).toBe(origin);
        expect(path).not.toMatch(/^\/[/\\]/);
      }),
    );
  });
});

describe("signInCallbackPath", () => {
  it.each(offSite)("sends %j home", (value) => {
    expect(signInCallbackPath(value)).toBe("/");
  });

  it("keeps same-site paths, takes the first of repeated parameters, and never loops back to sign-in", () => {
    expect(signInCallbackPath("/rollbacks?status=FAILED")).toBe("/rollbacks?status=FAILED");
    expect(signInCallbackPath(["/flags", "//evil.example"])).toBe("/flags");
    expect(signInCallbackPath(undefined)).toBe("/");
    expect(signInCallbackPath("")).toBe("/");
    expect(signInCallbackPath("/login")).toBe("/");
    expect(signInCallbackPath("/login?callbackUrl=%2F%2Fevil.example")).toBe("/");
    expect(signInCallbackPath("/./login")).toBe("/");
    expect(signInCallbackPath("/logins-report")).toBe("/logins-report");
  });
});

describe("authRedirectUrl (next-auth's redirect callback)", () => {
  it.each(offSite)("sends %j to the home page", (value) => {
    expect(authRedirectUrl(value, origin)).toBe(`${origin}/`);
  });

  it("keeps same-origin paths and URLs as absolute URLs on the base", () => {
    expect(authRedirectUrl("/rollbacks?x=1", origin)).toBe(`${origin}/rollbacks?x=1`);
    expect(authRedirectUrl(`${origin}/login`, origin)).toBe(`${origin}/login`);
    expect(authRedirectUrl(origin, origin)).toBe(`${origin}/`);
    expect(authRedirectUrl("/x", "not a url")).toBe("not a url");
  });
});
