// `npm start`: everything a newcomer needs after `npm install` — environment, database, first
// admin, a production build when there is none or the sources changed — then serve with a banner.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { describeDatabase, providerOf } from "../server/db/url";
import { CliError, describeFailure, parseOptions } from "./lib/cli";
import { isLoopback, reachableHost, serverProcess } from "./lib/listen-address";
import { applyPendingMigrations } from "./lib/migrations";
import { claimDatabase } from "./lib/server-record";
import {
  bootstrapFirstAdmin,
  buildDir,
  ensureApiKeyEncryptionKey,
  ensureAuditChainKey,
  ensureAuthSecret,
  generateClients,
  generatedClientExists,
  loadEnvironment,
  rollupHistoryLines,
  root,
} from "./lib/setup";

const usage = `Usage: npm start [-- --no-build]

Loads .env, generates missing secrets into data/, applies pending database migrations, creates the first
admin, builds when the sources changed, and serves Rewind on HOST:PORT (127.0.0.1:3000 by default).
Configuration is environment variables: README.md, "Configuration".

  --no-build    serve the existing build as it is, without checking the sources (e.g. a read-only checkout)
  -h, --help    this help

One server per database: a second \`npm start\` on the same DATABASE_URL refuses to run.`;

const buildInputs = [
  "app",
  "components",
  "server",
  "prisma",
  "proxy.ts",
  "instrumentation.ts",
  "next.config.js",
  "postcss.config.mjs",
  "tsconfig.json",
  "package-lock.json",
];
const stampFile = path.join(buildDir, "rewind-source-hash");

function step(message: string) {
  console.log(`• ${message}`);
}

/** A hash of every build input, so a build is redone exactly when a source changed (git sets mtimes). */
function sourceHash(): string {
  const hash = createHash("sha256");
  const visit = (relative: string) => {
    const full = path.join(root, relative);
    if (!existsSync(full) || relative.includes(`${path.sep}generated`)) return;
    if (statSync(full).isDirectory()) {
      for (const entry of readdirSync(full).sort()) visit(path.join(relative, entry));
    } else {
      hash.update(relative).update(readFileSync(full));
    }
  };
  buildInputs.forEach(visit);
  return hash.digest("hex");
}

function buildIfStale(): void {
  const current = sourceHash();
  const built =
    existsSync(path.join(buildDir, "BUILD_ID")) && existsSync(stampFile) ? readFileSync(stampFile, "utf8") : null;
  if (built === current) return step("Build is up to date");
  step(
    built
      ? "Sources changed since the last build: building (about a minute)…"
      : "No build yet: building (about a minute)…",
  );
  const result = spawnSync(path.join(root, "node_modules", ".bin", "next"), ["build"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (result.status !== 0) throw new Error("next build failed (see above)");
  writeFileSync(stampFile, current);
}

async function waitForHealth(url: string, child: ReturnType<typeof spawn>): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the server did not become healthy within 60 s");
}

/** Whether something already listens on the port, so that the server does not fail with a stack trace. */
function portInUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "EADDRINUSE"));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}

async function main() {
  const options = parseOptions(usage, { "no-build": { type: "boolean", default: false } });
  loadEnvironment();
  ensureAuthSecret();
  ensureApiKeyEncryptionKey();
  ensureAuditChainKey();
  const port = process.env.PORT || "3000";
  const appUrl = (process.env.APP_URL || `http://localhost:${port}`).replace(/\/$/, "");
  process.env.APP_URL = appUrl;
  process.env.NEXTAUTH_URL ||= appUrl;
  // Validate every variable now, with a message naming each bad one.
  const { env } = await import("../server/env.js");

  const databaseUrl = process.env.DATABASE_URL as string;
  // First, so that a second start on this database says so before doing anything else.
  claimDatabase(databaseUrl, { port: env.PORT, host: env.HOST });
  if (await portInUse(env.PORT, env.HOST)) {
    throw new CliError(`Port ${port} is already in use on ${env.HOST}: stop what listens there, or set PORT.`);
  }
  if (!generatedClientExists(providerOf(databaseUrl))) {
    step("Generating the database client…");
    generateClients();
  }
  const applied = await applyPendingMigrations(databaseUrl, step);
  if (applied === 0) step(`Database is up to date (${describeDatabase(databaseUrl)})`);
  const adminLines = await bootstrapFirstAdmin();
  const rollupLines = await rollupHistoryLines();
  if (!options["no-build"]) buildIfStale();
  else if (!existsSync(path.join(buildDir, "BUILD_ID"))) {
    throw new CliError(`--no-build: there is no build in ${buildDir} (run \`npm run build\`, or start without it)`);
  }

  const server = serverProcess(port, env.HOST);
  const child = spawn(server.command, server.args, {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...server.env },
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  child.on("exit", (code) => process.exit(code ?? 0));
  await waitForHealth(`http://${reachableHost(env.HOST)}:${port}`, child);

  const admin = process.env.ADMIN_EMAIL || "admin@rewind.local";
  const lines = [
    "Rewind is running",
    "",
    `URL:       ${appUrl}`,
    `Listening: ${env.HOST}:${port}${isLoopback(env.HOST) ? " (this machine only; set HOST to serve others)" : ""}`,
    `Database:  ${describeDatabase(databaseUrl)}`,
    ...(adminLines.length ? adminLines : [`Sign in:   ${admin} (or any user you created)`]),
    ...(rollupLines.length ? ["", ...rollupLines] : []),
    "",
    "Stop it with Ctrl+C.",
  ];
  const width = Math.max(...lines.map((line) => line.length));
  console.log(`\n┌${"─".repeat(width + 2)}┐`);
  for (const line of lines) console.log(`│ ${line.padEnd(width)} │`);
  console.log(`└${"─".repeat(width + 2)}┘\n`);
}

main().catch((error: unknown) => {
  // Expected refusals (already running, port taken, database unreachable) are one line of their own.
  const message = error instanceof CliError ? error.message : describeFailure(error).split("\n    at ")[0];
  console.error(error instanceof CliError ? message : `\nRewind could not start: ${message}`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
});
