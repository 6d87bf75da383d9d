// Every page of the console, with data: no serious axe violations, no sideways scrolling at 768 px, and a
// screenshot of each (test artifacts, or the folder `E2E_SCREENSHOTS_DIR` names; the README's come from a simulator run).
import { mkdirSync } from "node:fs";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { RewindApi } from "./api";
import { consolePages } from "./console-pages";
import { signInAsAdmin } from "./flows";

async function settle(page: Page): Promise<void> {
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  // Skeletons announce themselves as busy statuses; wait for the data they stand for.
  await expect(page.locator('[role="status"][aria-label^="Loading"], [aria-busy="true"]')).toHaveCount(0, {
    timeout: 15_000,
  });
}

test("every page passes axe, fits 768 px and is captured", async ({ page, request }, testInfo) => {
  test.setTimeout(180_000);
  const api = new RewindApi(request);
  const pages = await consolePages(api, "tour");
  const screenshotDir = process.env.E2E_SCREENSHOTS_DIR;
  if (screenshotDir) mkdirSync(screenshotDir, { recursive: true });

  await signInAsAdmin(page);
  for (const [name, url] of pages) {
    await test.step(name, async () => {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(url);
      await settle(page);
      const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21aa"]).analyze();
      const serious = results.violations
        .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
        .map(
          (violation) =>
            `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`,
        );
      expect(serious, `${url}`).toEqual([]);
      const shot = await page.screenshot({ fullPage: true });
      await testInfo.attach(`${name}-1280`, { body: shot, contentType: "image/png" });
      if (screenshotDir) await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });

      await page.setViewportSize({ width: 768, height: 1000 });
      await settle(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${url} scrolls sideways at 768 px`).toBeLessThanOrEqual(0);
      await testInfo.attach(`${name}-768`, {
        body: await page.screenshot({ fullPage: true }),
        contentType: "image/png",
      });
    });
  }
});
