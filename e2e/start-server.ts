// Playwright's webServer: serves the production build against a throwaway SQLite database with
// one seeded admin, so every run starts from the same known state and leaves nothing behind.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { serverProcess } from "../scripts/lib/listen-address";
import { buildDir, migrateDeploy, root } from "../scripts/lib/setup";
import { ADMIN, e2eStateFile, SEEDED_USERS, type E2eState } from "./fixtures";

const port = Number(process.env.E2E_PORT ?? 3100);
const baseUrl = `http://127.0.0.1:${port}`;

if (!existsSync(path.join(buildDir, "BUILD_ID"))) {
  console.error(`e2e: no production build in ${buildDir}: run npm run build first`);
  process.exit(1);
}

const tempDir = mkdtempSync(path.join(os.tmpdir(), "rewind-e2e-"));
const stateFile = e2eStateFile(port);
const cronSecret = randomBytes(24).toString("base64url");
let cleaned = false;
function cleanUp(): void {
  if (cleaned) return;
  cleaned = true;
  rmSync(tempDir, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
}
process.on("exit", cleanUp);

// Set before the app's modules load: server/env.js validates process.env at import time.
Object.assign(process.env, {
  DATABASE_URL: `file:${path.join(tempDir, "rewind.db")}`,
  NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
  API_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  AUDIT_CHAIN_KEY: randomBytes(32).toString("base64"),
  NEXTAUTH_URL: baseUrl,
  APP_URL: baseUrl,
  PORT: String(port),
  NODE_ENV: "production",
  CRON_SECRET: cronSecret,
  // The specs drive the monitoring cycle through the cron route, so each step happens when they say.
  MONITOR_SCHEDULER: "off",
  NEXT_TELEMETRY_DISABLED: "1",
});
const databaseUrl = process.env.DATABASE_URL as string;

try {
  migrateDeploy(databaseUrl);
  const { createDb } = await import("../server/db");
  const { createUser } = await import("../server/services/access/users");
  const { systemActor } = await import("../server/services/audit/audit-log");
  const { createApiKey } = await import("../server/services/access/api-keys");
  const { apiKeyEncryptionKey } = await import("../server/env.js");
  const { apiKeyScopes } = await import("../server/domain/api-keys");
  const db = createDb(databaseUrl);
  const now = new Date();
  await createUser(db, { actor: systemActor, ...ADMIN, role: "ADMIN" }, now);
  for (const [role, user] of Object.entries(SEEDED_USERS)) {
    await createUser(db, { actor: systemActor, ...user, role }, now);
  }
  const created = await createApiKey(
    db,
    { actor: systemActor, name: "e2e", scopes: [...apiKeyScopes], targetSlugs: null, signingRequired: true },
    { now, encryptionKey: apiKeyEncryptionKey() },
  );
  const state: E2eState = { baseUrl, apiKey: created.key, signingSecret: created.signingSecret, cronSecret };
  writeFileSync(stateFile, JSON.stringify(state), { mode: 0o600 });
  await db.$disconnect();
} catch (error) {
  console.error("e2e: could not prepare the database:", error);
  cleanUp();
  process.exit(1);
}

console.log(`e2e: serving ${baseUrl} with database ${databaseUrl}`);
const server = serverProcess(String(port), "127.0.0.1");
const next = spawn(server.command, server.args, {
  cwd: root,
  env: { ...process.env, ...server.env },
  stdio: "inherit",
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (next.exitCode === null && next.signalCode === null) next.kill(signal);
    else process.exit(1);
  });
}

next.on("exit", (code, signal) => {
  cleanUp();
  process.exit(code ?? (signal ? 0 : 1));
});
