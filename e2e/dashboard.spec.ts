// The incident flows of the dashboard on the built app: data arrives through the signed machine API, the
// monitoring cycle runs through the cron route, and people act from the browser with their own roles.
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { RewindApi } from "./api";
import { SEEDED_USERS } from "./fixtures";
import { signIn } from "./flows";
import { seedPendingRollback } from "./seed";

function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

test("an approver approves a pending rollback, watches it complete, and finds it in history and audit", async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  const api = new RewindApi(request);
  const slug = uniqueSlug("chat");
  const name = `Chat ${slug}`;
  await seedPendingRollback(api, slug, name);
  const rollbackId = (await api.status(slug)).rollback?.id as string;

  await signIn(page, SEEDED_USERS.APPROVER.email, SEEDED_USERS.APPROVER.password);
  await page.goto("/approvals");
  const pending = page.getByRole("article").filter({ hasText: name });
  await expect(pending).toBeVisible();
  await pending.getByRole("button", { name: "Approve" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel(/Comment/).fill("Error rate doubled after v2; v1 was fine");
  await dialog.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByRole("status").filter({ hasText: /approved/i })).toBeVisible();

  await page.goto(`/rollbacks/${rollbackId}`);
  const progress = page.getByRole("progressbar");
  await expect(progress).toHaveAttribute("aria-valuenow", "0");
  // Each cycle starts or advances the rollback once its 10 s step interval has passed; the page, never
  // reloaded, follows on its own (it polls every 5 s).
  await expect
    .poll(
      async () => {
        await api.runCycle();
        return (await api.status(slug)).rollback?.status ?? "ENDED";
      },
      { timeout: 60_000, intervals: [3_000] },
    )
    .toBe("ENDED");
  await expect(page.getByRole("heading", { name: /Completed/ })).toBeVisible({ timeout: 15_000 });
  await expect(progress).toHaveAttribute("aria-valuenow", "100");

  await page.goto("/rollbacks");
  await expect(page.getByRole("row").filter({ hasText: name }).filter({ hasText: "Completed" })).toBeVisible();

  await page.goto("/audit");
  await expect(page.getByRole("region", { name: "Audit chain verification" })).toContainText("verifies");
});

test("a viewer sees the pending rollback without an approve button, and the approve procedure refuses them", async ({
  page,
  request,
}) => {
  test.setTimeout(90_000);
  const api = new RewindApi(request);
  const slug = uniqueSlug("embed");
  const name = `Embeddings ${slug}`;
  await seedPendingRollback(api, slug, name);
  const rollbackId = (await api.status(slug)).rollback?.id as string;

  await signIn(page, SEEDED_USERS.VIEWER.email, SEEDED_USERS.VIEWER.password);
  await page.goto("/approvals");
  const pending = page.getByRole("article").filter({ hasText: name });
  await expect(pending).toBeVisible();
  await expect(pending.getByText("Approving needs the approver role")).toBeVisible();
  await expect(pending.getByRole("button", { name: "Approve" })).toHaveCount(0);

  // The same call the button would make, with the viewer's session cookie, from the console's origin.
  const response = await page.request.post("/api/trpc/rollbacks.approve", {
    data: { json: { rollbackId, comment: "sneaky" } },
    headers: { origin: new URL(page.url()).origin },
  });
  expect(response.status()).toBe(403);
  // Refused by the role check, not by the cross-site guard (which answers `{ error: { code } }`).
  expect(((await response.json()) as { error?: { json?: { data?: { code?: string } } } }).error?.json?.data?.code).toBe(
    "FORBIDDEN",
  );
  expect((await api.status(slug)).rollback?.status).toBe("PENDING_APPROVAL");
});

test("an invalid policy value shows the field error and saves nothing", async ({ page, request }) => {
  const api = new RewindApi(request);
  const slug = uniqueSlug("policy");
  await api.putTarget(slug, { name: `Policy ${slug}` });
  await api.putPolicy(slug, { maxErrorRate: 0.05 });

  await signIn(page, SEEDED_USERS.OPERATOR.email, SEEDED_USERS.OPERATOR.password);
  await page.goto(`/policies?target=${slug}`);
  const maxErrorRate = page.getByLabel("Max error rate", { exact: true });
  await expect(maxErrorRate).toHaveValue("0.05");
  await maxErrorRate.fill("1.5");
  await expect(maxErrorRate).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("Max error rate is a fraction and must be at most 1 (100%)")).toBeVisible();
  await expect(page.getByRole("button", { name: "Review and save…" })).toBeDisabled();

  await page.reload();
  await expect(page.getByLabel("Max error rate", { exact: true })).toHaveValue("0.05");
});

test("the emergency stop turns kill-switch flags off and the banner appears until it is lifted", async ({ page }) => {
  const flagKey = `e2e.kill.${randomBytes(3).toString("hex")}`;
  await signIn(page, SEEDED_USERS.APPROVER.email, SEEDED_USERS.APPROVER.password);
  await page.goto("/flags");
  const form = page.getByRole("region", { name: "New flag" });
  await form.getByLabel("Key", { exact: true }).fill(flagKey);
  await form.getByRole("checkbox", { name: "Kill switch", exact: true }).check();
  await form.getByRole("checkbox", { name: "Turn it on at once" }).check();
  await form.getByRole("button", { name: "Create flag" }).click();
  const flagSwitch = page.getByRole("switch", { name: flagKey });
  await expect(flagSwitch).toHaveAttribute("aria-checked", "true");

  await page.goto("/");
  await page.getByRole("button", { name: "Emergency stop" }).click();
  const dialog = page.getByRole("dialog");
  const activate = dialog.getByRole("button", { name: "Activate emergency stop" });
  await dialog.getByLabel("Reason").fill("Provider outage: stop everything risky");
  await expect(activate).toBeDisabled();
  await dialog.getByLabel(/Type STOP to confirm/).fill("STOP");
  await activate.click();
  await expect(page.getByRole("status").filter({ hasText: /kill switch(es)? turned off/ })).toBeVisible();
  await expect(page.getByRole("alert").filter({ hasText: "Emergency stop is active" })).toBeVisible();

  await page.goto("/flags");
  await expect(page.getByRole("switch", { name: flagKey })).toHaveAttribute("aria-checked", "false");

  // Lifted again, so the other specs run with the system in its normal state.
  await page.goto("/");
  await page.getByRole("button", { name: "Lift emergency stop" }).click();
  await page.getByRole("dialog").getByLabel("Reason").fill("Provider recovered");
  await page.getByRole("dialog").getByRole("button", { name: /Lift/ }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Emergency stop is active" })).toHaveCount(0);
});
