// The destination after sign-in, on the built app: the sign-in page hands its form a same-site path only,
// and next-auth answers only URLs on this server, for every spelling of another host.
import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { makeUser, testDb } from "./helpers";
import { csrf, postCredentials } from "./session";
import { testPassword } from "../integration/helpers";

const db = testDb();
const baseUrl = inject("baseUrl");

const offSite = [
  "/.//localhost:4394/phish",
  "/..//evil.example/x",
  "/%2e//evil.example/x",
  "/%2e%2e//evil.example/x",
  "/\\evil.example/x",
  "/.\\/evil.example/x",
  "%2F%2Fevil.example/x",
  "/%5C%5Cevil.example/x",
  "https://evil.example/x",
];

/** The callbackUrl prop the sign-in page rendered into its form (in the page's RSC payload). */
async function renderedCallback(callbackUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/login?callbackUrl=${encodeURIComponent(callbackUrl)}`);
  expect(response.status).toBe(200);
  const html = await response.text();
  // The payload is a JSON string inside a script, so its own quotes arrive escaped: \"callbackUrl\":\"…\"
  const match = /\\"callbackUrl\\":\\"((?:[^"\\]|\\\\.)*)\\"/.exec(html);
  expect(match, "callbackUrl in the page").not.toBeNull();
  const once = JSON.parse(`"${match?.[1] ?? ""}"`) as string;
  return JSON.parse(`"${once}"`) as string;
}

describe("the sign-in page", () => {
  it.each(offSite)("sends %j home after sign-in", async (callbackUrl) => {
    expect(await renderedCallback(callbackUrl)).toBe("/");
  });

  it("keeps a same-site destination", async () => {
    expect(await renderedCallback("/rollbacks?status=FAILED")).toBe("/rollbacks?status=FAILED");
  });
});

describe("next-auth's sign-in answer", () => {
  it.each(offSite)("names only this server for %j", async (callbackUrl) => {
    const user = await makeUser(db, "VIEWER");
    const { csrfToken, cookies } = await csrf();
    const response = await postCredentials(
      { csrfToken, email: user.email, password: testPassword, callbackUrl },
      { cookies },
    );
    expect(response.status).toBe(200);
    const { url } = (await response.json()) as { url: string };
    expect(url).toBe(`${baseUrl}/`);
  });

  it("keeps a same-site destination", async () => {
    const user = await makeUser(db, "VIEWER");
    const { csrfToken, cookies } = await csrf();
    const response = await postCredentials(
      { csrfToken, email: user.email, password: testPassword, callbackUrl: `${baseUrl}/rollbacks?x=1` },
      { cookies },
    );
    expect(((await response.json()) as { url: string }).url).toBe(`${baseUrl}/rollbacks?x=1`);
  });
});
