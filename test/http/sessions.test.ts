// Sign-in and sign-out through next-auth's own endpoints on the production build, as a browser does them:
// sign-out revokes the session token, and throttling tells clients apart behind a trusted proxy.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { resetPassword, setDisabled } from "@/server/services/access/users";
import { commandLineActor, systemActor } from "@/server/services/audit/audit-log";
import { startBuiltApp, type BuiltApp } from "../built-app";
import { makeUser, testDb } from "./helpers";

const db = testDb();
const password = "correct horse battery staple";

/** A browser's cookie jar for one server, and the requests a browser sends to sign in and out. */
class Browser {
  private readonly cookies = new Map<string, string>();

  constructor(
    private readonly baseUrl: string,
    /** The client address the (simulated) reverse proxy appends to X-Forwarded-For. */
    private readonly client?: string,
  ) {}

  get sessionToken(): string | undefined {
    return this.cookies.get("next-auth.session-token");
  }

  /** Another browser holding this one's cookies: a copied (or stolen) session token. */
  copy(): Browser {
    const copy = new Browser(this.baseUrl, this.client);
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    headers.set("origin", this.baseUrl);
    if (this.client) headers.set("x-forwarded-for", this.client);
    const response = await fetch(`${this.baseUrl}${path}`, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const [name = "", value = ""] = pair.split("=", 2).map((part) => part.trim());
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  private async form(path: string, fields: Record<string, string>): Promise<Response> {
    const { csrfToken } = (await (await this.fetch("/api/auth/csrf")).json()) as { csrfToken: string };
    return this.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...fields, csrfToken, json: "true" }),
    });
  }

  /** Null when signed in, else the message the sign-in form would show. */
  async signIn(email: string, secret: string): Promise<string | null> {
    const response = await this.form("/api/auth/callback/credentials", { email, password: secret });
    const { url } = (await response.json()) as { url: string };
    return new URL(url).searchParams.get("error");
  }

  async signOut(): Promise<void> {
    const response = await this.form("/api/auth/signout", {});
    expect(response.status).toBe(200);
  }

  /** users.me: the signed-in user's email, or the HTTP status of the refusal. */
  async me(): Promise<string | number> {
    const response = await this.fetch("/api/trpc/users.me");
    if (!response.ok) return response.status;
    const body = (await response.json()) as { result: { data: { json: { email: string } } } };
    return body.result.data.json.email;
  }
}

describe("sign-out", () => {
  it("revokes the session token: a copy kept from before is refused by tRPC and the console", async () => {
    const user = await makeUser(db, "APPROVER");
    const browser = new Browser(inject("baseUrl"));
    expect(await browser.signIn(user.email, password)).toBeNull();
    expect(browser.sessionToken).toBeDefined();
    const kept = browser.copy();
    const otherDevice = new Browser(inject("baseUrl"));
    expect(await otherDevice.signIn(user.email, password)).toBeNull();
    expect(await kept.me()).toBe(user.email);

    await browser.signOut();
    expect(browser.sessionToken).toBeUndefined();
    // The kept token is valid for hours yet, but its session has ended, on every device.
    expect(await kept.me()).toBe(401);
    expect(await otherDevice.me()).toBe(401);
    const page = await kept.fetch("/");
    expect(page.status).toBe(307);
    expect(page.headers.get("location")).toMatch(/\/login$/);

    // Signing in again works; signing the old token out again does not end the new session.
    expect(await browser.signIn(user.email, password)).toBeNull();
    await kept.signOut();
    expect(await browser.me()).toBe(user.email);
  });

  it("revokes the sessions of a user whose password is reset or who is disabled", async () => {
    const user = await makeUser(db, "OPERATOR");
    const browser = new Browser(inject("baseUrl"));
    expect(await browser.signIn(user.email, password)).toBeNull();
    await resetPassword(
      db,
      { actor: commandLineActor("ops@host"), email: user.email, password: "a brand new passphrase" },
      new Date(),
    );
    expect(await browser.me()).toBe(401);

    expect(await browser.signIn(user.email, "a brand new passphrase")).toBeNull();
    expect(await browser.me()).toBe(user.email);
    await setDisabled(db, { actor: systemActor, userId: user.id, disabled: true }, new Date());
    await setDisabled(db, { actor: systemActor, userId: user.id, disabled: false }, new Date());
    expect(await browser.me()).toBe(401);
  });
});

/**
 * Failed sign-ins recorded as if `count` more guesses from `client` had just failed: the delay they set (32 s
 * after ten failures) outlasts the test's requests however slow the machine, so no assertion depends on timing.
 */
async function failedJustNow(email: string, client: string, count: number) {
  const now = new Date();
  await db.loginFailure.createMany({ data: Array.from({ length: count }, () => ({ email, client, createdAt: now })) });
}

describe("sign-in throttling behind a trusted proxy (TRUSTED_PROXIES=1)", () => {
  let app: BuiltApp;
  beforeAll(async () => {
    app = await startBuiltApp({ databaseUrl: inject("databaseUrl"), env: { TRUSTED_PROXIES: "1" } });
  });
  afterAll(() => app.stop());

  it("does not let an attacker's failures from one client keep the owner out on another", async () => {
    const owner = await makeUser(db, "APPROVER");
    // What the client itself sends in X-Forwarded-For comes before the proxy's entry, and is not believed.
    const attacker = new Browser(app.baseUrl, "10.66.0.1, 203.0.113.66");
    for (let i = 0; i < 5; i++) {
      expect(await attacker.signIn(owner.email, `wrong guess ${i}`)).toBe("Wrong email or password");
    }
    await failedJustNow(owner.email, "203.0.113.66", 5);

    // Under the old rule, five failures locked the email for everyone for 15 minutes.
    const owners = new Browser(app.baseUrl, "10.66.0.1, 198.51.100.20");
    expect(await owners.signIn(owner.email, password)).toBeNull();
    expect(await owners.me()).toBe(owner.email);

    expect(await attacker.signIn(owner.email, "wrong guess 5")).toMatch(/^Too many attempts, try again in \d+ s$/);
    // The attacker has the right password now, but is still told to wait: the password is not checked.
    expect(await attacker.signIn(owner.email, password)).toMatch(/^Too many attempts, try again in \d+ s$/);

    const rows = await db.loginFailure.groupBy({
      by: ["client", "throttled"],
      where: { email: owner.email },
      _count: true,
      orderBy: [{ client: "asc" }, { throttled: "asc" }],
    });
    expect(rows.map((row) => [row.client, row.throttled, row._count])).toEqual([
      ["203.0.113.66", false, 10],
      ["203.0.113.66", true, 2],
    ]);
  });
});

describe("sign-in throttling without a trusted proxy", () => {
  it("does not believe X-Forwarded-For: every client counts as the same one", async () => {
    const owner = await makeUser(db, "VIEWER");
    const attacker = new Browser(inject("baseUrl"), "203.0.113.77");
    for (let i = 0; i < 5; i++)
      expect(await attacker.signIn(owner.email, "wrong guess")).toBe("Wrong email or password");
    await failedJustNow(owner.email, "unknown", 5);
    // A new address in the header is no new client: it would otherwise give every guess fresh attempts.
    const spoofed = new Browser(inject("baseUrl"), "198.51.100.77");
    expect(await spoofed.signIn(owner.email, "wrong guess")).toMatch(/^Too many attempts/);
    const clients = await db.loginFailure.findMany({
      where: { email: owner.email },
      distinct: ["client"],
      select: { client: true },
    });
    expect(clients).toEqual([{ client: "unknown" }]);
  });
});
