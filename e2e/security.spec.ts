// The browser's side of the web-boundary hardening: every page arrives with the security headers and runs
// without a single Content-Security-Policy violation; a crafted sign-in link cannot send anyone to another
// host; a page on another origin of the same site cannot make the signed-in browser change anything.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page, type Response } from "@playwright/test";
import { SEEDED_USERS } from "./fixtures";
import { RewindApi } from "./api";
import { consolePages } from "./console-pages";
import { signIn, signInAsAdmin } from "./flows";
import { ConsoleShell, LoginPage } from "./pages";

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

/** Collects what the browser refused under the policy: the DOM event and the console's account of it. */
async function watchPolicy(page: Page): Promise<() => Promise<string[]>> {
  const consoleReports: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to (load|execute|apply|frame|connect)/i.test(message.text())) {
      consoleReports.push(message.text());
    }
  });
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__cspViolations?.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`);
    });
  });
  return async () => [...(await page.evaluate(() => window.__cspViolations ?? [])), ...consoleReports];
}

function expectSecurityHeaders(response: Response | null, url: string) {
  expect(response, url).not.toBeNull();
  const headers = response?.headers() ?? {};
  const policy = headers["content-security-policy"] ?? "";
  const scripts = /(?:^|;)\s*script-src ([^;]*)/.exec(policy)?.[1] ?? "";
  expect(scripts, `${url} script-src`).toMatch(/'nonce-[A-Za-z0-9+/=]+'/);
  expect(scripts, `${url} script-src`).not.toContain("'unsafe-inline'");
  expect(policy, url).toMatch(/(?:^|;)\s*frame-ancestors 'none'/);
  expect(headers["x-frame-options"], url).toBe("DENY");
  expect(headers["x-content-type-options"], url).toBe("nosniff");
  expect(headers["referrer-policy"], url).toBe("same-origin");
  expect(headers["permissions-policy"], url).toContain("camera=()");
}

async function settle(page: Page): Promise<void> {
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.locator('[role="status"][aria-label^="Loading"], [aria-busy="true"]')).toHaveCount(0, {
    timeout: 15_000,
  });
}

test("every page carries the security headers and runs without a CSP violation", async ({ page, request }) => {
  test.setTimeout(180_000);
  const pages = await consolePages(new RewindApi(request), "csp");
  const violations = await watchPolicy(page);

  const login = await page.goto("/login");
  expectSecurityHeaders(login, "/login");
  await signInAsAdmin(page);
  expect(await violations(), "/login").toEqual([]);

  for (const [name, url] of [...pages, ["not found", "/no-such-page"] as const]) {
    await test.step(name, async () => {
      const response = await page.goto(url);
      expectSecurityHeaders(response, url);
      await settle(page);
      // Charts draw on the client after hydration: wait for one where the page has any.
      if (name === "target") await expect(page.locator(".recharts-surface").first()).toBeVisible();
      expect(await violations(), url).toEqual([]);
    });
  }

  // A dialog (Radix adds a <style> element when it opens) and client-side navigation, still no violation.
  await page.goto("/");
  await settle(page);
  await page
    .getByRole("button", { name: /emergency stop/i })
    .first()
    .click();
  await expect(page.getByRole("dialog")).toBeVisible();
  await page.keyboard.press("Escape");
  await new ConsoleShell(page).open("Rollbacks");
  expect(await violations(), "dialog and navigation").toEqual([]);
});

test("the violation watch sees what the policy blocks: injected markup runs no script", async ({ page }) => {
  const violations = await watchPolicy(page);
  await page.goto("/login");
  await page.evaluate(() => {
    document.body.insertAdjacentHTML("beforeend", '<img src="/no-such-image" onerror="window.__injected = true">');
  });
  await expect.poll(violations).toEqual(expect.arrayContaining([expect.stringMatching(/^script-src/)]));
  expect(await page.evaluate(() => (window as Window & { __injected?: boolean }).__injected)).toBeUndefined();
});

const crafted = [
  "/.//localhost:4394/phish",
  "/..//localhost:4394/phish",
  "/%2e//localhost:4394/phish",
  "/.\\/localhost:4394/phish",
  "/\\localhost:4394/phish",
];
for (const callbackUrl of crafted) {
  test(`signing in from a link with callbackUrl ${callbackUrl} stays on Rewind`, async ({ page, baseURL }) => {
    await page.goto(`/login?callbackUrl=${encodeURIComponent(callbackUrl)}`);
    await new LoginPage(page).login(SEEDED_USERS.VIEWER.email, SEEDED_USERS.VIEWER.password);
    await expect(new ConsoleShell(page).nav).toBeVisible();
    expect(new URL(page.url()).origin).toBe(baseURL);
    expect(new URL(page.url()).pathname).toBe("/");
  });
}

test.describe("a page on another origin of the same site", () => {
  let attacker: Server;
  let attackerUrl: string;
  test.beforeAll(async ({ baseURL }) => {
    // Another port on the console's host: same site for cookies (so the session cookie goes along), another origin.
    attacker = createServer((_, response) => {
      response.setHeader("content-type", "text/html");
      response.end(`<!doctype html><title>Win a prize</title>
        <form id="f" method="POST" enctype="multipart/form-data" action="${baseURL}/api/trpc/cycle.run">
          <input name="x" value="1"></form>
        <script>document.getElementById("f").submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
  });
  test.afterAll(() => new Promise<void>((resolve) => attacker.close(() => resolve())));

  test("cannot run the monitoring cycle with an operator's session by an auto-submitted form", async ({ page }) => {
    await signIn(page, SEEDED_USERS.OPERATOR.email, SEEDED_USERS.OPERATOR.password);
    const runs = async () => {
      const response = await page.request.get("/api/trpc/cycle.status");
      const body = (await response.json()) as { result: { data: { json: { runs: { trigger: string }[] } } } };
      return body.result.data.json.runs.filter((run) => run.trigger === "manual").length;
    };
    const before = await runs();

    const [answer] = await Promise.all([
      page.waitForResponse((response) => response.url().endsWith("/api/trpc/cycle.run")),
      page.goto(attackerUrl),
    ]);
    expect(answer.status()).toBe(403);
    await expect(page.getByText(/Cross-site request refused/)).toBeVisible();
    expect(await runs()).toBe(before);
  });
});
