import { describe, expect, it } from "vitest";
import {
  appOrigins,
  checkRequestOrigin,
  hasSessionCookie,
  isJsonContentType,
  type RequestFacts,
} from "@/server/domain/request-origin";

const app = "http://127.0.0.1:4394";
const session = "next-auth.csrf-token=abc; next-auth.session-token=eyJ";
const post = (facts: Partial<RequestFacts>): RequestFacts => ({
  method: "POST",
  origin: null,
  secFetchSite: null,
  cookie: null,
  ...facts,
});

describe("checkRequestOrigin", () => {
  it("lets safe methods through whatever their origin", () => {
    for (const method of ["GET", "HEAD", "OPTIONS", "get"]) {
      expect(checkRequestOrigin(post({ method, origin: "https://evil.example", cookie: session }), [app])).toEqual({
        ok: true,
      });
    }
  });

  it("lets the console's own pages through", () => {
    expect(checkRequestOrigin(post({ secFetchSite: "same-origin", cookie: session }), [app]).ok).toBe(true);
    expect(checkRequestOrigin(post({ origin: app, cookie: session }), [app]).ok).toBe(true);
    expect(checkRequestOrigin(post({ origin: app, secFetchSite: "same-origin", cookie: session }), [app]).ok).toBe(
      true,
    );
  });

  it.each<[string, Partial<RequestFacts>]>([
    ["a same-site page's form (the reported attack)", { secFetchSite: "same-site", origin: "http://localhost:4394" }],
    ["a cross-site page", { secFetchSite: "cross-site", origin: "https://evil.example" }],
    ["a navigation from outside any page", { secFetchSite: "none" }],
    ["a same-site page in a browser without fetch metadata", { origin: "http://localhost:4394" }],
    ["another port of the same host", { origin: "http://127.0.0.1:4395" }],
    ["https on the app's host and port", { origin: "https://127.0.0.1:4394" }],
    ["a sandboxed frame", { origin: "null" }],
    ["a browser hiding where it came from", {}],
    ["a same-origin Origin contradicted by fetch metadata", { origin: app, secFetchSite: "cross-site" }],
  ])("refuses %s with the session cookie", (_, facts) => {
    const verdict = checkRequestOrigin(post({ cookie: session, ...facts }), [app]);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.message).toMatch(/^Cross-site request refused: .+\. Changes must be made/);
  });

  it("refuses cross-site sign-in attempts even without a session (login CSRF)", () => {
    expect(checkRequestOrigin(post({ secFetchSite: "cross-site" }), [app]).ok).toBe(false);
    expect(checkRequestOrigin(post({ origin: "https://evil.example" }), [app]).ok).toBe(false);
  });

  it("lets programs without the session cookie through (they have nothing to ride on)", () => {
    expect(checkRequestOrigin(post({ cookie: "next-auth.csrf-token=abc" }), [app]).ok).toBe(true);
    expect(checkRequestOrigin(post({}), [app]).ok).toBe(true);
  });

  it("names the offending origin and the expected one", () => {
    const verdict = checkRequestOrigin(post({ origin: "https://evil.example", cookie: session }), [app]);
    expect(verdict).toEqual({
      ok: false,
      message:
        'Cross-site request refused: its Origin "https://evil.example" is not http://127.0.0.1:4394. Changes must be made from Rewind\'s own pages.',
    });
  });
});

describe("appOrigins", () => {
  it("takes the configured URLs and the Host under the request's and the proxy's scheme", () => {
    expect(
      appOrigins({
        configured: ["https://rewind.example.com/", undefined, "https://rewind.example.com"],
        host: "10.0.0.5:3000",
        protocol: "http:",
        forwardedProto: "https, http",
      }),
    ).toEqual(["https://rewind.example.com", "http://10.0.0.5:3000", "https://10.0.0.5:3000"]);
  });

  it("normalises default ports and ignores what is not an origin", () => {
    expect(
      appOrigins({
        configured: ["not a url"],
        host: "Rewind.Example.com:443",
        protocol: "https:",
        forwardedProto: "gopher",
      }),
    ).toEqual(["https://rewind.example.com"]);
    expect(appOrigins({ configured: [], host: null, protocol: "http:", forwardedProto: null })).toEqual([]);
  });
});

describe("hasSessionCookie", () => {
  it.each([
    ["next-auth.session-token=x", true],
    ["a=1; __Secure-next-auth.session-token=x", true],
    ["a=1;next-auth.session-token.0=x", true],
    ["next-auth.csrf-token=x; next-auth.callback-url=y", false],
    ["my-next-auth.session-token=x", false],
    ["", false],
  ])("%j → %s", (cookie, expected) => {
    expect(hasSessionCookie(cookie)).toBe(expected);
  });
  it("is false without a Cookie header", () => expect(hasSessionCookie(null)).toBe(false));
});

describe("isJsonContentType", () => {
  it.each([
    ["application/json", true],
    ["application/json; charset=utf-8", true],
    ["Application/JSON", true],
    ["multipart/form-data; boundary=x", false],
    ["application/x-www-form-urlencoded", false],
    ["text/plain", false],
    ["application/jsonp", false],
    ["application/json-seq", false],
  ])("%j → %s", (value, expected) => {
    expect(isJsonContentType(value)).toBe(expected);
  });
  it("is false without a Content-Type", () => expect(isJsonContentType(null)).toBe(false));
});
