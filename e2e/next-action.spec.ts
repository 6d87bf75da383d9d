// The next action where the engineer looks (issue #13, "the 3 a.m. test"): approving a proposal from the target
// page, the count of pending approvals in the nav and the tab's title as proposals come and go, and a nav that
// offers each role only the pages it may open. Data arrives through the machine API; people act in the browser.
import { randomBytes } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { RewindApi } from "./api";
import { SEEDED_USERS } from "./fixtures";
import { signIn, signInAsAdmin } from "./flows";
import { seedPendingRollback } from "./seed";

function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** The nav's Approvals link: "Approvals", or "Approvals, 2 waiting" while rollbacks wait. */
function approvalsLink(page: Page) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /^Approvals/ });
}

/** What the nav's count is read from, asked with the page's session. */
async function pendingCount(page: Page): Promise<number> {
  const response = await page.request.get("/api/trpc/rollbacks.pendingCount");
  expect(response.status()).toBe(200);
  return ((await response.json()) as { result: { data: { json: number } } }).result.data.json;
}

/** The nav and the title polled every 5 s: a change shows within a couple of polls. */
async function expectPending(page: Page, count: number): Promise<void> {
  await expect(approvalsLink(page)).toHaveAccessibleName(count === 0 ? "Approvals" : `Approvals, ${count} waiting`, {
    timeout: 15_000,
  });
  if (count === 0) await expect(page).not.toHaveTitle(/^\(\d+\) /);
  else await expect(page).toHaveTitle(new RegExp(`^\\(${count}\\) `));
}

test("an approver approves a proposal from the target page, where Approve is the primary action", async ({
  page,
  request,
}) => {
  test.setTimeout(90_000);
  const api = new RewindApi(request);
  const slug = uniqueSlug("chat");
  const name = `Chat ${slug}`;
  await seedPendingRollback(api, slug, name);
  const rollbackId = (await api.status(slug)).rollback?.id as string;

  await signIn(page, SEEDED_USERS.APPROVER.email, SEEDED_USERS.APPROVER.password);
  await page.goto(`/targets/${slug}`);
  const proposal = page.getByRole("region", { name: /Proposed rollback after an SLO breach/ });
  await expect(proposal).toContainText("Awaiting approval: no traffic moves until it is approved");
  await expect(proposal).toContainText("Needs 1 approval");
  // Approve first; Reject and Cancel are there, never as the call to action.
  await expect(proposal.getByRole("button")).toHaveText(["Approve", "Reject", "Cancel rollback"]);
  await expect(proposal.getByRole("button", { name: "Approve" })).toHaveClass(/bg-indigo-600/);
  await expect(proposal.getByRole("button", { name: "Cancel rollback" })).not.toHaveClass(/bg-red-600/);

  await proposal.getByRole("button", { name: "Approve" }).click();
  const dialog = page.getByRole("dialog", { name: `Approve the rollback of ${slug}?` });
  await dialog.getByLabel(/Comment/).fill("Error rate doubled after v2");
  await dialog.getByRole("button", { name: "Approve" }).click();

  // The card stays and says what comes next; the toast leads to the rollback.
  const toast = page.getByRole("status").filter({ hasText: `Approved the rollback of ${slug}` });
  await expect(toast).toBeVisible();
  await expect(page.getByRole("region", { name: /Rollback after an SLO breach/ })).toContainText(
    "Approved: traffic starts moving to v1 at the next cycle.",
  );
  expect((await api.status(slug)).rollback?.status).toBe("APPROVED");
  await toast.getByRole("link", { name: "Open the rollback" }).click();
  await expect(page).toHaveURL(new RegExp(`/rollbacks/${rollbackId}$`));
  await expect(page.getByRole("heading", { name: /Not started/ })).toBeVisible();
});

test("the nav and the tab's title count the rollbacks waiting for approval, up and down", async ({ page, request }) => {
  test.setTimeout(90_000);
  const api = new RewindApi(request);
  await signIn(page, SEEDED_USERS.APPROVER.email, SEEDED_USERS.APPROVER.password);
  await page.goto("/");
  // Other specs may have left proposals waiting: count from there.
  const before = await pendingCount(page);
  await expectPending(page, before);

  const slug = uniqueSlug("embed");
  const name = `Embeddings ${slug}`;
  await seedPendingRollback(api, slug, name);
  await expectPending(page, before + 1);

  // The overview says what the proposal is, and takes the decision on the card.
  const card = page.getByRole("article", { name });
  await expect(card).toContainText("Awaiting approval: no traffic moves until it is approved");
  await card.getByRole("button", { name: "Reject" }).click();
  const dialog = page.getByRole("dialog", { name: `Reject the rollback of ${slug}?` });
  await dialog.getByLabel("Comment").fill("The provider recovered on its own");
  await dialog.getByRole("button", { name: "Reject" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Rejected the rollback of ${slug}` })).toBeVisible();
  await expectPending(page, before);
  expect((await api.status(slug)).rollback).toBeNull();
});

test("a viewer is offered no Settings link; an admin is, and the icon is served", async ({ page, browser }) => {
  await signIn(page, SEEDED_USERS.VIEWER.email, SEEDED_USERS.VIEWER.password);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Audit" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Settings" })).toHaveCount(0);

  const favicon = await page.request.get("/favicon.ico");
  expect(favicon.status()).toBe(200);
  expect(favicon.headers()["content-type"]).toMatch(/image\//);

  const context = await browser.newContext();
  try {
    const adminPage = await context.newPage();
    await signInAsAdmin(adminPage);
    await expect(
      adminPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }),
    ).toBeVisible();
  } finally {
    await context.close();
  }
});
