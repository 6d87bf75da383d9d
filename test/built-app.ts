// The production build (NEXT_DIST_DIR or `.next`) served by scripts/serve.ts, as `npm start` serves it, on a free
// port against a given database, with the secrets a production server needs: the http tests' server and the HTTP
// benchmarks'.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { serverProcess } from "../scripts/lib/listen-address";
import { buildDir, root } from "../scripts/lib/setup";
import { TEST_AUDIT_CHAIN_KEY } from "../server/env.js";

export interface BuiltApp {
  baseUrl: string;
  /** The server process, for /proc readings. */
  pid: number;
  /** API_KEY_ENCRYPTION_KEY of the server (base64), so callers can create keys it can read. */
  apiKeyEncryptionKey: string;
  cronSecret: string;
  metricsToken: string;
  /** Everything the server printed so far. */
  output(): string;
  stop(): Promise<void>;
  /** Sends a signal and waits for the process to exit: SIGKILL stands for a crashed instance. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export function freePort(): Promise<number> {
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

/**
 * Starts the server and resolves once its health check answers. `env` is added to (and may override) the
 * defaults: the built-in scheduler is off, so nothing but the caller's requests act.
 */
export async function startBuiltApp(options: {
  databaseUrl: string;
  env?: Record<string, string>;
  /** A file that gets the server's stdout and stderr too, whole lines as they arrive (for tests in workers). */
  logFile?: string;
}): Promise<BuiltApp> {
  if (!existsSync(path.join(buildDir, "BUILD_ID"))) {
    throw new Error(
      `No production build in ${buildDir}: run \`npm run build\` first (or set NEXT_DIST_DIR to the build to serve)`,
    );
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // Instances sharing one database must share the key (the multi-instance benchmark passes one in `env`).
  const apiKeyEncryptionKey = options.env?.API_KEY_ENCRYPTION_KEY ?? randomBytes(32).toString("base64");
  const cronSecret = randomBytes(32).toString("base64url");
  const metricsToken = randomBytes(24).toString("base64url");
  const command = serverProcess(String(port), "127.0.0.1");
  const server = spawn(command.command, command.args, {
    cwd: root,
    env: {
      ...process.env,
      ...command.env,
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: options.databaseUrl,
      NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
      NEXTAUTH_URL: baseUrl,
      APP_URL: baseUrl,
      API_KEY_ENCRYPTION_KEY: apiKeyEncryptionKey,
      // The key this test process appends under too (server/services/audit/audit-chain-key.ts), so both agree.
      AUDIT_CHAIN_KEY: process.env.AUDIT_CHAIN_KEY || TEST_AUDIT_CHAIN_KEY,
      CRON_SECRET: cronSecret,
      METRICS_TOKEN: metricsToken,
      MONITOR_SCHEDULER: "off",
      METRIC_BUCKET_SECONDS: "10",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const keeper = () => {
    let partial = Buffer.alloc(0);
    return (chunk: Buffer) => {
      output.push(chunk.toString());
      if (!options.logFile) return;
      // Whole lines only, so a stdout line and a stderr line never interleave mid-line in the file.
      const bytes = Buffer.concat([partial, chunk]);
      const end = bytes.lastIndexOf(0x0a) + 1;
      partial = bytes.subarray(end);
      if (end > 0) appendFileSync(options.logFile, bytes.subarray(0, end));
    };
  };
  server.stdout.on("data", keeper());
  server.stderr.on("data", keeper());
  const kill = async (signal: NodeJS.Signals) => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill(signal);
      await exited;
    }
  };
  const stop = () => kill("SIGTERM");

  try {
    for (let attempt = 0; ; attempt++) {
      if (server.exitCode !== null) throw new Error(`the server exited with code ${server.exitCode}`);
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
  return {
    baseUrl,
    pid: server.pid as number,
    apiKeyEncryptionKey,
    cronSecret,
    metricsToken,
    output: () => output.join(""),
    stop,
    kill,
  };
}

/** Resident memory of a process in MiB, from /proc/<pid>/status (Linux). */
export function residentMemoryMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`No VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}

/** CPU seconds a process has used (utime + stime of /proc/<pid>/stat, in Linux's fixed 100 ticks a second). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
