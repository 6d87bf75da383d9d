// The postmortem's first draft: a rollback that ended has an incident report, opened from its page, with the
// headline durations and who approved it, and a Markdown export that says the same.
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { RewindApi } from "./api";
import { SEEDED_USERS } from "./fixtures";
import { signIn } from "./flows";
import { IncidentReportPage } from "./pages";
import { runRollbackToEnd, seedPendingRollback } from "./seed";

test("an ended rollback's incident report shows its durations and approver, and downloads as Markdown", async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(150_000);
  const api = new RewindApi(request);
  const slug = `report-${randomBytes(3).toString("hex")}`;
  const name = `Chat | <b>report</b> ${slug}`;
  // v2 breaches its error-rate SLO: a gradual rollback (50% then 100%) to v1 waits for approval.
  await seedPendingRollback(api, slug, name);
  const rollbackId = (await api.status(slug)).rollback?.id as string;

  await signIn(page, SEEDED_USERS.APPROVER.email, SEEDED_USERS.APPROVER.password);
  await page.goto(`/rollbacks/${rollbackId}`);
  // No report while the rollback runs.
  await expect(page.getByRole("link", { name: "Incident report" })).toHaveCount(0);
  await page.getByRole("button", { name: "Approve" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Approve" }).click();
  await expect(page.getByRole("status").filter({ hasText: /approved/i })).toBeVisible();
  await runRollbackToEnd(api, slug);

  const report = new IncidentReportPage(page);
  await report.openFromRollback(rollbackId);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Incident report: ${name}`);
  await expect(report.durations.getByRole("heading")).toHaveText("Time from the first violation");
  for (const point of ["Rollback requested", "Approved", "Rollback completed"]) {
    // A measured duration ("12 s", "1 min 3 s"), not a missing one.
    await expect(report.duration(point)).toHaveAccessibleName(new RegExp(`^${point}: \\d+ (s|min)`));
  }
  await expect(report.duration("Recovered")).toBeVisible();
  const approval = report.decisions.getByRole("row").filter({ hasText: "Approved" });
  await expect(approval).toContainText(SEEDED_USERS.APPROVER.name);
  await expect(approval).toContainText(SEEDED_USERS.APPROVER.email);
  await expect(page.getByRole("table", { name: "Verdicts that triggered the rollback" })).toContainText("Error rate");
  await expect(page.getByRole("figure", { name: "Error rate" })).toBeVisible();
  await expect(page.getByRole("figure", { name: "Error rate" }).getByText("Completed").first()).toBeVisible();

  const file = await report.downloadMarkdown();
  expect(file.name).toBe(`incident-${slug}-${rollbackId}.md`);
  expect(file.content).toContain(`# Incident report: Chat \\| &lt;b&gt;report&lt;/b&gt; ${slug} (${slug})`);
  expect(file.content).not.toContain("<b>");
  expect(file.content).toMatch(/\| Rollback requested \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \| \d+ (s|min)/);
  expect(file.content).toMatch(/\| Rollback completed \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \| \d+ (s|min)/);
  expect(file.content).toContain(`| Approved | ${SEEDED_USERS.APPROVER.name} (${SEEDED_USERS.APPROVER.email}) |`);
  expect(file.content).toMatch(/\| Breach \(critical\) \| over 30 s \| Error rate \| [\d.]+% \| 5% \|/);
  expect(file.content).toContain("## Series around the incident");

  // For the reviewer's eyes (test artifacts, never committed).
  await page.screenshot({ path: testInfo.outputPath("incident-report.png"), fullPage: true });
});
