// The http project's server: the production build (`.next`) served by `next start` on a free port against
// a fresh database (test/test-database.ts), with the secrets a production server needs. Tests reach it over
// real HTTP and set up data through the services on the same database.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { buildDir, root } from "../../scripts/lib/setup";
import { createTestDatabase } from "../test-database";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    baseUrl: string;
    /** API_KEY_ENCRYPTION_KEY of the server, so tests can create keys it can read. */
    apiKeyEncryptionKey: string;
    /** CRON_SECRET of the server, for the cron route's tests. */
    cronSecret: string;
    /** METRICS_TOKEN of the server, for GET /api/metrics. */
    metricsToken: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export default async function setup(project: TestProject) {
  if (!existsSync(path.join(buildDir, "BUILD_ID"))) {
    throw new Error(`http tests need a production build in ${buildDir}: run \`npm run build\` first`);
  }
  const database = await createTestDatabase();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const apiKeyEncryptionKey = randomBytes(32).toString("base64");
  const cronSecret = randomBytes(32).toString("base64url");
  const metricsToken = randomBytes(24).toString("base64url");
  const server = spawn(
    path.join(root, "node_modules", ".bin", "next"),
    ["start", "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        DATABASE_URL: database.url,
        NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
        NEXTAUTH_URL: baseUrl,
        APP_URL: baseUrl,
        API_KEY_ENCRYPTION_KEY: apiKeyEncryptionKey,
        CRON_SECRET: cronSecret,
        METRICS_TOKEN: metricsToken,
        // Nothing but the tests' requests may act: no built-in cycle between them.
        MONITOR_SCHEDULER: "off",
        METRIC_BUCKET_SECONDS: "10",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const output: string[] = [];
  const keep = (chunk: Buffer) => output.push(chunk.toString());
  server.stdout.on("data", keep);
  server.stderr.on("data", keep);
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
    await database.drop();
  };

  try {
    for (let attempt = 0; ; attempt++) {
      if (server.exitCode !== null) throw new Error(`next start exited with code ${server.exitCode}`);
      if (attempt >= 600) throw new Error("the server did not become healthy within 60 s");
      const healthy = await fetch(`${baseUrl}/api/health`).then(
        (response) => response.ok,
        () => false,
      );
      if (healthy) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${output.join("")}`);
  }

  project.provide("databaseUrl", database.url);
  project.provide("baseUrl", baseUrl);
  project.provide("apiKeyEncryptionKey", apiKeyEncryptionKey);
  project.provide("cronSecret", cronSecret);
  project.provide("metricsToken", metricsToken);
  return async () => {
    // The server's own log is shown only when something went wrong on its side.
    const log = output.join("");
    if (/\[api\].*failed|Error:/.test(log)) console.error(`next start output:\n${log}`);
    await stop();
  };
}
