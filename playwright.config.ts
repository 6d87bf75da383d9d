// End-to-end tests: the production build served by e2e/start-server.ts on a fresh database.
import { existsSync } from "node:fs";
import { chromium, defineConfig, devices } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;

/** Playwright's own Chromium where `npx playwright install chromium` ran; else the system one. */
function chromiumExecutable(): string | undefined {
  try {
    if (existsSync(chromium.executablePath())) return undefined;
  } catch {
    // No browser build for this platform: fall through to the system Chromium.
  }
  return process.env.CHROMIUM_PATH || "/usr/bin/chromium";
}

export default defineConfig({
  testDir: "e2e",
  // One worker: the machines are shared (2 cores) and the specs share one server and database.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: process.env.CI ? 1 : 0,
  reporter: [["list"], ["html", { outputFolder: "playwright-report", open: "never" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: chromiumExecutable(),
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
          ],
        },
      },
    },
  ],
  webServer: {
    command: "npx tsx --conditions=react-server e2e/start-server.ts",
    url: `${baseURL}/api/health`,
    env: { E2E_PORT: String(port) },
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    // SIGTERM (not the default SIGKILL) so start-server.ts can stop Next and delete its database.
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
  },
});
