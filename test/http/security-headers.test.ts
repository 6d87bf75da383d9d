// Security headers on the built app's responses: pages (with a fresh script nonce each), redirects, route
// handlers and static files; HSTS only for visitors who came over HTTPS.
import { beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { testDb } from "./helpers";
import { signIn } from "./session";

const db = testDb();
const baseUrl = inject("baseUrl");
let cookie: string;
beforeAll(async () => {
  cookie = (await signIn(db, "VIEWER")).cookie;
});

function get(path: string, headers: Record<string, string> = {}) {
  return fetch(`${baseUrl}${path}`, { redirect: "manual", headers });
}

function expectEveryResponseHeaders(response: Response) {
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  expect(response.headers.get("referrer-policy")).toBe("same-origin");
  expect(response.headers.get("permissions-policy")).toMatch(/camera=\(\).*geolocation=\(\).*microphone=\(\)/);
  expect(response.headers.get("strict-transport-security")).toBeNull();
}

function directives(response: Response): Map<string, string[]> {
  const policy = response.headers.get("content-security-policy");
  expect(policy, "Content-Security-Policy").not.toBeNull();
  return new Map(
    (policy ?? "").split(";").map((part) => {
      const [name = "", ...values] = part.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

/** The page's script nonce, after checking the policy allows scripts by that nonce alone. */
function scriptNonce(response: Response): string {
  const policy = directives(response);
  const scripts = policy.get("script-src") ?? [];
  expect(scripts).not.toContain("'unsafe-inline'");
  expect(scripts).not.toContain("'unsafe-eval'");
  expect(scripts).toContain("'strict-dynamic'");
  expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
  expect(policy.get("object-src")).toEqual(["'none'"]);
  const nonce = scripts.find((value) => value.startsWith("'nonce-"))?.slice("'nonce-".length, -1);
  expect(nonce).toMatch(/^[A-Za-z0-9+/]{16,}={0,2}$/);
  return nonce as string;
}

/** Every <script> of the page carries `nonce`: none would run otherwise. */
function expectScriptsCarry(html: string, nonce: string) {
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag, tag).toContain(`nonce="${nonce}"`);
}

describe("pages", () => {
  it("the sign-in page has every header, and a fresh nonce on each response that all its scripts carry", async () => {
    const first = await get("/login");
    const second = await get("/login");
    expect(first.status).toBe(200);
    expectEveryResponseHeaders(first);
    const nonce = scriptNonce(first);
    expect(scriptNonce(second)).not.toBe(nonce);
    expectScriptsCarry(await first.text(), nonce);
  });

  it.each(["/", "/rollbacks", "/settings/users", "/no-such-page"])("%s (signed in) too", async (path) => {
    const response = await get(path, { cookie });
    expect([200, 403, 404]).toContain(response.status);
    expectEveryResponseHeaders(response);
    expectScriptsCarry(await response.text(), scriptNonce(response));
  });

  it("the redirect to sign-in has them", async () => {
    const response = await get("/rollbacks");
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toMatch(/\/login\?callbackUrl=%2Frollbacks$/);
    expectEveryResponseHeaders(response);
    expect(directives(response).get("frame-ancestors")).toEqual(["'none'"]);
  });
});

describe("route handlers and static files", () => {
  it.each([
    "/api/health",
    "/api/auth/csrf",
    "/api/trpc/cycle.status",
    "/api/v1/targets/x/status",
    "/ofrep/v1/evaluate/flags",
  ])("%s has every header and a policy that allows nothing to run or frame it", async (path) => {
    const response = await get(path);
    expectEveryResponseHeaders(response);
    const policy = directives(response);
    expect(policy.get("default-src")).toEqual(["'none'"]);
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    expect(policy.has("script-src")).toBe(false);
  });

  it("a script bundle is served with nosniff", async () => {
    const html = await (await get("/login")).text();
    const src = /<script[^>]+src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
    expect(src).toBeDefined();
    const response = await get(src as string);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/javascript/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("HTTPS", () => {
  it("sends Strict-Transport-Security and upgrades subresources when a proxy says the visitor came over HTTPS", async () => {
    for (const path of ["/login", "/api/health"]) {
      const response = await get(path, { "x-forwarded-proto": "https" });
      expect(response.headers.get("strict-transport-security")).toBe("max-age=31536000");
    }
    const page = await get("/login", { "x-forwarded-proto": "https" });
    expect(directives(page).has("upgrade-insecure-requests")).toBe(true);
    expect(directives(await get("/login")).has("upgrade-insecure-requests")).toBe(false);
  });
});
