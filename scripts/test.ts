// `npm test`: typecheck, lint, the production build, Vitest on a temporary SQLite database (unit,
// integration, and http against the built app), the same database-bound projects on PostgreSQL when
// TEST_POSTGRES_URL is set, then Playwright e2e. Stops at the first failing stage and exits non-zero.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { parseOptions } from "./lib/cli";
import { root } from "./lib/setup";

// No options: a stray one (`npm test -- --watch`) must not start a run of several minutes.
parseOptions(
  `Usage: npm test

Typecheck, lint, the production build, Vitest (unit, integration, components, http) on SQLite, the
database-bound projects again on PostgreSQL when TEST_POSTGRES_URL is set, then Playwright. One part alone:
npm run typecheck | lint | test:unit | test:integration | test:http | test:e2e.`,
  {},
);

const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

type Stage = { name: string; command: string; args: string[]; env?: Record<string, string> };

const stages: Stage[] = [
  { name: "Typecheck", command: bin("tsc"), args: ["--noEmit"] },
  { name: "Lint", command: bin("eslint"), args: ["--max-warnings=0", "."] },
  // Before the tests: the http project serves this build.
  { name: "Production build", command: bin("next"), args: ["build"], env: { NODE_ENV: "production" } },
  { name: "Unit, integration and HTTP tests (SQLite)", command: bin("vitest"), args: ["run"] },
];
if (process.env.TEST_POSTGRES_URL) {
  stages.push({
    name: "Integration and HTTP tests (PostgreSQL)",
    command: bin("vitest"),
    args: ["run", "--project", "integration", "--project", "components", "--project", "http"],
    env: { TEST_DATABASE: "postgresql" },
  });
} else {
  console.log("TEST_POSTGRES_URL is not set: the PostgreSQL run of the database-bound tests is skipped.");
}
stages.push({ name: "End-to-end tests (Chromium)", command: bin("playwright"), args: ["test"] });

const timings: string[] = [];
for (const stage of stages) {
  console.log(`\n━━ ${stage.name} ━━`);
  const started = Date.now();
  const result = spawnSync(stage.command, stage.args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...stage.env },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  timings.push(`${stage.name}: ${seconds} s`);
  if (result.status !== 0) {
    console.error(`\n✗ ${stage.name} failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status || 1);
  }
}
console.log(`\n✓ All stages passed\n  ${timings.join("\n  ")}`);
