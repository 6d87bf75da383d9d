// The 3 a.m. test: a target whose rollback just happened opens zoomed on the incident, the URL carries the zoom
// so a shared link shows the same, and the charts mark the rollback's steps, not just its request.
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { RewindApi } from "./api";
import { SEEDED_USERS } from "./fixtures";
import { signIn } from "./flows";
import { seedPendingRollback } from "./seed";

test("a target with a recent rollback opens zoomed on its incident, with every step of it marked", async ({
  page,
  request,
}) => {
  test.setTimeout(150_000);
  const api = new RewindApi(request);
  const slug = `incident-${randomBytes(3).toString("hex")}`;
  // A gradual rollback of 50% then 100%, waiting for approval.
  await seedPendingRollback(api, slug, `Incident ${slug}`);
  const rollbackId = (await api.status(slug)).rollback?.id as string;

  await signIn(page, SEEDED_USERS.APPROVER.email, SEEDED_USERS.APPROVER.password);
  await page.goto(`/rollbacks/${rollbackId}`);
  await page.getByRole("button", { name: "Approve" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Approve" }).click();
  await expect(page.getByRole("status").filter({ hasText: /approved/i })).toBeVisible();
  await expect
    .poll(
      async () => {
        await api.runCycle();
        return (await api.status(slug)).rollback?.status ?? "ENDED";
      },
      { timeout: 60_000, intervals: [3_000] },
    )
    .toBe("ENDED");

  // Opened from a plain link, the page zooms on the incident and says so in the URL and the window control.
  await page.goto(`/targets/${slug}`);
  await expect(page).toHaveURL(/[?&]from=\d{4}-\d\d-\d\dT/);
  const incident = page.getByRole("radio", { name: /^Incident/ });
  await expect(incident).toBeChecked();
  const note = page.getByRole("note").filter({ hasText: "Zoomed on the" });
  for (const moment of ["Requested", "Approved", "Step 50%", "Step 100%", "Completed"]) {
    await expect(note).toContainText(moment);
  }
  // Each step is marked on the charts: labelled over its line, or numbered there and named in the key below.
  const errorRate = page.getByRole("figure", { name: "Error rate" });
  await expect(errorRate).toBeVisible();
  for (const step of ["Step 50%", "Step 100%"]) {
    await expect(errorRate.getByText(step).first()).toBeVisible();
  }

  // A reload or a shared link keeps the zoom; choosing a window replaces it, and that too survives a reload.
  const zoomed = page.url();
  await page.reload();
  expect(page.url()).toBe(zoomed);
  await expect(incident).toBeChecked();
  await page.getByText("1 h", { exact: true }).click();
  await expect(page).toHaveURL(/[?&]window=1h/);
  expect(new URL(page.url()).searchParams.has("from")).toBe(false);
  await page.reload();
  await expect(page.getByRole("radio", { name: "1 h" })).toBeChecked();
  await expect(page).toHaveURL(/[?&]window=1h/);
});
