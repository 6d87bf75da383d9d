// Cross-site request forgery against the built app: a page on another origin (a same-site one included)
// cannot make a signed-in browser change anything, while the console's own pages and the machine APIs work.
import { beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { testPassword } from "../integration/helpers";
import { api, makeKey, makeTarget, makeUser, recentEvents, testDb } from "./helpers";
import { csrf, postCredentials, signIn, type BrowserSession } from "./session";

const db = testDb();
const baseUrl = inject("baseUrl");
/** Another port on the same host: the same site for cookies (the session goes along), another origin. */
const sameSiteOrigin = `http://127.0.0.1:${Number(new URL(baseUrl).port) + 1}`;

let operator: BrowserSession;
beforeAll(async () => {
  operator = await signIn(db, "OPERATOR");
});

function manualRuns(): Promise<number> {
  return db.cycleRun.count({ where: { trigger: "manual" } });
}

/** The body an auto-submitted `<form enctype="multipart/form-data">` sends. */
function multipartForm(): { body: string; contentType: string } {
  const boundary = "----formdata-evil-1234";
  return {
    body: `--${boundary}\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--${boundary}--\r\n`,
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

function runCycle(headers: Record<string, string>, body = JSON.stringify({})) {
  return fetch(`${baseUrl}/api/trpc/cycle.run`, { method: "POST", headers, body });
}

describe("tRPC mutations", () => {
  it("refuses the reported attack: a same-site page's auto-submitted multipart form running cycle.run", async () => {
    const before = await manualRuns();
    const form = multipartForm();
    const response = await runCycle(
      {
        cookie: operator.cookie,
        origin: sameSiteOrigin,
        "sec-fetch-site": "same-site",
        "content-type": form.contentType,
      },
      form.body,
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: {
        code: "FORBIDDEN",
        message:
          "Cross-site request refused: the browser reports it came from a same-site page. Changes must be made from Rewind's own pages.",
      },
    });
    expect(await manualRuns()).toBe(before);
  });

  it.each<[string, Record<string, string>]>([
    ["a same-site Origin from a browser without fetch metadata", { origin: sameSiteOrigin }],
    ["a cross-site page", { origin: "https://evil.example", "sec-fetch-site": "cross-site" }],
    ["a sandboxed frame (Origin: null)", { origin: "null" }],
    ["the session cookie without any Origin or Sec-Fetch-Site", {}],
  ])("refuses %s with 403, even as JSON", async (_, headers) => {
    const before = await manualRuns();
    const response = await runCycle({ cookie: operator.cookie, "content-type": "application/json", ...headers });
    expect(response.status).toBe(403);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("FORBIDDEN");
    expect(body.error.message).toMatch(/^Cross-site request refused: /);
    expect(await manualRuns()).toBe(before);
  });

  it.each(["multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "text/plain", ""])(
    "refuses a same-origin mutation sent as %j with 415",
    async (contentType) => {
      const before = await manualRuns();
      const response = await runCycle(
        { cookie: operator.cookie, origin: baseUrl, "sec-fetch-site": "same-origin", "content-type": contentType },
        contentType.startsWith("multipart") ? multipartForm().body.replace(/----formdata-evil-1234/g, "x") : "{}",
      );
      expect(response.status).toBe(415);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
      expect(await manualRuns()).toBe(before);
    },
  );

  it("runs the console's own JSON mutation (Origin or Sec-Fetch-Site: same-origin)", async () => {
    for (const headers of [{ origin: baseUrl }, { "sec-fetch-site": "same-origin" }] as Record<string, string>[]) {
      await db.lease.deleteMany({});
      const response = await runCycle({
        cookie: operator.cookie,
        "content-type": "application/json; charset=utf-8",
        ...headers,
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { result: { data: { json: { status: string } } } };
      expect(["ran", "busy"]).toContain(body.result.data.json.status);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
  });

  it("leaves reads alone: a query with a foreign Origin is answered (CORS keeps its answer from that page)", async () => {
    const response = await fetch(`${baseUrl}/api/trpc/cycle.status`, {
      headers: { cookie: operator.cookie, origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("next-auth", () => {
  it("refuses a sign-in posted from another origin, and sets no session", async () => {
    const user = await makeUser(db, "VIEWER");
    const { csrfToken, cookies } = await csrf();
    const response = await postCredentials(
      { csrfToken, email: user.email, password: testPassword },
      { cookies, headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" } },
    );
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    expect(response.headers.getSetCookie().some((line) => line.includes("session-token"))).toBe(false);
  });

  it("refuses a sign-out posted from a same-site page: the session stays", async () => {
    const session = await signIn(db, "VIEWER");
    const response = await fetch(`${baseUrl}/api/auth/signout`, {
      method: "POST",
      redirect: "manual",
      headers: {
        cookie: session.cookie,
        origin: sameSiteOrigin,
        "sec-fetch-site": "same-site",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ csrfToken: session.csrfToken, json: "true" }),
    });
    expect(response.status).toBe(403);
    const after = await fetch(`${baseUrl}/api/auth/session`, { headers: { cookie: session.cookie } });
    expect(((await after.json()) as { user?: { id: string } }).user?.id).toBe(session.userId);
  });

  it("signs out from the console's own origin", async () => {
    const session = await signIn(db, "VIEWER");
    const response = await fetch(`${baseUrl}/api/auth/signout`, {
      method: "POST",
      redirect: "manual",
      headers: {
        cookie: session.cookie,
        origin: baseUrl,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ csrfToken: session.csrfToken, json: "true" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie().some((line) => /session-token=;/.test(line))).toBe(true);
  });
});

describe("machine APIs", () => {
  it("stay reachable with their own credentials whatever Origin a caller sends", async () => {
    const cron = await fetch(`${baseUrl}/api/cron/monitor`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${inject("cronSecret")}`,
        origin: "https://ci.example",
        cookie: operator.cookie,
      },
    });
    expect([200, 409]).toContain(cron.status);

    const target = await makeTarget(db);
    const key = await makeKey(db, { scopes: ["ingest"] });
    const ingest = await api("POST", "/api/v1/ingest", {
      key,
      body: { target: target.slug, events: recentEvents(3) },
      headers: { origin: "https://ci.example", "sec-fetch-site": "cross-site", cookie: operator.cookie },
    });
    expect(ingest.status).toBe(202);
  });
});
