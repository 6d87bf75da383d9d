// The console's exports in a browser: the Export links download what the routes stream (GET /api/export/*), named by
// the server, with the page's filters; and the overview's search and groups, kept in the address.
import { randomBytes } from "node:crypto";
import { expect, test, type Download } from "@playwright/test";
import { RewindApi } from "./api";
import { SEEDED_USERS } from "./fixtures";
import { signIn } from "./flows";
import { seedPendingRollback } from "./seed";

async function contentOf(download: Download): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of (await download.createReadStream()) as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

test("a viewer downloads the filtered audit log and rollback history from the Export links", async ({
  page,
  request,
}) => {
  const slug = `export-${randomBytes(3).toString("hex")}`;
  await seedPendingRollback(new RewindApi(request), slug, `Export ${slug}`);
  await signIn(page, SEEDED_USERS.VIEWER.email, SEEDED_USERS.VIEWER.password);

  await page.goto("/audit?action=rollback.");
  const group = page.getByRole("group", { name: "Download the events matching these filters:" });
  const [csv] = await Promise.all([
    page.waitForEvent("download"),
    group.getByRole("link", { name: "Export CSV" }).click(),
  ]);
  expect(csv.suggestedFilename()).toMatch(/^rewind-audit-\d{8}T\d{6}Z\.csv$/);
  const lines = (await contentOf(csv)).trim().split("\r\n");
  expect(lines[0]).toMatch(/^sequence,at,actorType,actorId,actorEmail,actorName,action,/);
  expect(lines.length).toBeGreaterThan(1);
  expect(lines.slice(1).every((line) => line.includes(",rollback."))).toBe(true);
  // The page stays where it was: the file downloads beside it.
  await expect(page).toHaveURL(/\/audit\?action=rollback\.$/);

  await page.goto("/rollbacks");
  const history = page.getByRole("group", { name: "Download the filtered list" });
  const [json] = await Promise.all([
    page.waitForEvent("download"),
    history.getByRole("link", { name: "Export JSON" }).click(),
  ]);
  expect(json.suggestedFilename()).toMatch(/^rewind-rollbacks-\d{8}T\d{6}Z\.json$/);
  const items = JSON.parse(await contentOf(json)) as { target: { slug: string }; status: string }[];
  expect(items.find((item) => item.target.slug === slug)).toMatchObject({ status: "PENDING_APPROVAL" });
});

test("the overview groups targets, and its search and group choice stay in the address", async ({ page, request }) => {
  const slug = `group-${randomBytes(3).toString("hex")}`;
  const name = `Grouped ${slug}`;
  await seedPendingRollback(new RewindApi(request), slug, name);
  await signIn(page, SEEDED_USERS.VIEWER.email, SEEDED_USERS.VIEWER.password);

  await page.goto("/");
  await page.getByRole("searchbox", { name: "Search targets" }).fill(slug);
  await expect(page).toHaveURL(new RegExp(`/\\?q=${slug}$`));
  // Breaching with a proposal waiting: the breach is the more urgent, so it heads the breaching group.
  const breaching = page.getByRole("region", { name: "Breaching or violating (1)" });
  await expect(breaching.getByRole("article", { name })).toBeVisible();
  await expect(page.getByRole("article")).toHaveCount(1);

  // Keyboard: the group choices are buttons in the tab order.
  await page.getByRole("button", { name: "Healthy (0)" }).focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/\\?q=${slug}&group=healthy$`));
  await expect(page.getByText(`No target in “Healthy” has “${slug}” in its slug or name.`)).toBeVisible();

  // A shared link opens on the same view.
  await page.goto(`/?q=${slug}&group=breaching`);
  await expect(page.getByRole("button", { name: "Breaching or violating (1)" })).toHaveAttribute(
    "aria-pressed",
    "true",
  );
  await expect(page.getByRole("article", { name })).toBeVisible();
});
