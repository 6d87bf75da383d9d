// The command-line scripts as a user runs them, beside a live server (issue #13, "the 3 a.m. test"): user:create
// and apikey:create on the database this project's server holds, the expected failures as one line, --help and
// unknown options on every script, and a second `npm start` on a database that `npm start` serves.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../built-app";
import { createTestDatabase } from "../test-database";
import { simulatorKeyFile } from "@/scripts/lib/local-api-key";
import { migrationNames } from "@/scripts/lib/migrations";
import { root } from "@/scripts/lib/setup";
import { SIMULATOR_SCOPES } from "@/scripts/lib/simulator";
import { createDb } from "@/server/db";
import { TEST_AUDIT_CHAIN_KEY } from "@/server/env.js";
import { revokeApiKey } from "@/server/services/access/api-keys";
import { verifyAuditChain } from "@/server/services/audit/audit-chain";
import { systemActor } from "@/server/services/audit/audit-log";
import { uniqueEmail } from "../integration/helpers";
import { makeUser, testDb } from "./helpers";

const db = testDb();
const baseUrl = inject("baseUrl");
/** What the server was given, so that the scripts' keys and audit events are the server's. */
const serverEnv = {
  DATABASE_URL: inject("databaseUrl"),
  API_KEY_ENCRYPTION_KEY: inject("apiKeyEncryptionKey"),
  AUDIT_CHAIN_KEY: process.env.AUDIT_CHAIN_KEY || TEST_AUDIT_CHAIN_KEY,
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: Record<string, string>;
  input?: string;
}

/** `npx tsx --conditions=react-server scripts/<script>.ts …`, as package.json runs it. */
function script(name: string, args: string[], options: RunOptions = {}) {
  return tsx([`scripts/${name}.ts`, ...args], options);
}

function tsx(args: string[], options: RunOptions = {}) {
  const child = spawn(path.join(root, "node_modules", ".bin", "tsx"), ["--conditions=react-server", ...args], {
    cwd: root,
    env: { ...process.env, ...serverEnv, ...options.env },
    detached: true,
  });
  child.stdin.end(options.input ?? "");
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Run>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return { child, done, output: () => stdout + stderr };
}

const run = (name: string, args: string[], options?: RunOptions) => script(name, args, options).done;

/** One line, without a stack trace. */
function expectOneLine(text: string): string {
  const lines = text.trim().split("\n");
  expect(lines, text).toHaveLength(1);
  expect(text).not.toMatch(/^\s+at /m);
  return lines[0] ?? "";
}

describe("user:create and apikey:create beside the running server", () => {
  it("creates a user, recorded as made on the command line, without touching the migrations", async () => {
    const email = uniqueEmail("cli");
    const result = await run("user-create", ["--email", email, "--role", "operator", "--password-stdin"], {
      input: "a-long-enough-password\n",
    });
    expect(result, result.stderr).toMatchObject({ code: 0 });
    expect(result.stdout).toContain(`Created ${email} (operator)`);
    expect(result.stdout).not.toMatch(/migration/i);

    const user = await db.user.findUniqueOrThrow({ where: { email }, select: { id: true, role: true } });
    expect(user.role).toBe("OPERATOR");
    const event = await db.auditEvent.findFirstOrThrow({
      where: { action: "user.created", entityId: user.id },
      select: { actorType: true, actorId: true },
    });
    expect(event.actorType).toBe("SYSTEM");
    expect(event.actorId).toMatch(/^cli:.+@.+/);
    expect((await verifyAuditChain(db, {}, { now: new Date(), full: true })).ok).toBe(true);
  });

  it("creates an API key that the running server accepts, recorded as the admin named with --as", async () => {
    const admin = await makeUser(db, "ADMIN");
    const name = `cli ${randomBytes(3).toString("hex")}`;
    const result = await run("apikey-create", ["--name", name, "--scopes", "config:read", "--as", admin.email]);
    expect(result, result.stderr).toMatchObject({ code: 0 });
    const key = /API key:\s+(rwd_\S+)/.exec(result.stdout)?.[1];
    expect(key).toBeDefined();

    const row = await db.apiKey.findFirstOrThrow({ where: { name }, select: { id: true, scopes: true } });
    expect(row.scopes).toBe("config:read");
    const event = await db.auditEvent.findFirstOrThrow({
      where: { action: "api_key.created", entityId: row.id },
      select: { actorType: true, actorId: true },
    });
    expect(event).toEqual({ actorType: "USER", actorId: admin.id });
    // Authenticated (a 404 for a target that does not exist), not refused as an unknown key.
    const response = await fetch(`${baseUrl}/api/v1/targets/no-such-target/status`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(404);
  });

  it("answers the expected failures in one line", async () => {
    const existing = await makeUser(db, "VIEWER");
    const [duplicate, weak, unknown, notAdmin] = await Promise.all([
      run("user-create", ["--email", existing.email, "--password-stdin"], { input: "a-long-enough-password" }),
      run("user-create", ["--email", uniqueEmail("weak"), "--password-stdin"], { input: "short" }),
      run("user-reset-password", ["--email", uniqueEmail("nobody"), "--password-stdin"], {
        input: "a-long-enough-password",
      }),
      run("apikey-create", ["--name", "x", "--scopes", "ingest", "--as", existing.email]),
    ]);
    expect(duplicate.code).toBe(1);
    expect(expectOneLine(duplicate.stderr)).toBe("A user with this email already exists");
    expect(weak.code).toBe(1);
    expect(expectOneLine(weak.stderr)).toMatch(/at least 12 characters/);
    expect(unknown.code).toBe(1);
    expect(expectOneLine(unknown.stderr)).toMatch(/^No user with the email /);
    expect(notAdmin.code).toBe(1);
    expect(expectOneLine(notAdmin.stderr)).toMatch(/no active admin/);

    const unreachable = await run("user-create", ["--email", uniqueEmail("x")], {
      env: { DATABASE_URL: "postgresql://rewind@127.0.0.1:1/none" },
    });
    expect(unreachable.code).toBe(1);
    expect(expectOneLine(unreachable.stderr)).toMatch(/^Cannot reach the database \(PostgreSQL .*\): .*ECONNREFUSED/);
  });
});

describe("the simulator's own key", () => {
  const keyFile = simulatorKeyFile(serverEnv.DATABASE_URL);
  afterAll(() => rmSync(keyFile, { force: true }));

  /** What `npm run simulate` without --key uses, from a process of its own as the simulator has. */
  async function simulatorKey(): Promise<{ id: string; key: string; scopes: string[]; reused: boolean }> {
    const code =
      'const { SIMULATOR_SCOPES } = await import("./scripts/lib/simulator.ts");' +
      'const { simulatorApiKey } = await import("./scripts/lib/local-api-key.ts");' +
      "console.log(JSON.stringify(await simulatorApiKey(SIMULATOR_SCOPES))); process.exit(0);";
    const result = await tsx(["--input-type=module", "-e", code]).done;
    expect(result, result.stderr).toMatchObject({ code: 0 });
    return JSON.parse(result.stdout) as { id: string; key: string; scopes: string[]; reused: boolean };
  }

  it("is made once, reused by the next runs, and replaced once revoked", { timeout: 60_000 }, async () => {
    const first = await simulatorKey();
    expect(first).toMatchObject({ reused: false, scopes: [...SIMULATOR_SCOPES] });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const second = await simulatorKey();
    expect(second).toMatchObject({ reused: true, id: first.id, key: first.key });

    await revokeApiKey(db, { actor: systemActor, id: first.id }, new Date());
    const third = await simulatorKey();
    expect(third.reused).toBe(false);
    expect(third.id).not.toBe(first.id);
    expect(await db.apiKey.count({ where: { name: "simulator", revokedAt: null } })).toBe(1);
  });
});

describe("options", () => {
  const scripts = [
    "user-create",
    "user-reset-password",
    "apikey-create",
    "simulate",
    "prepare-db",
    "db-migrate",
    "start",
  ];

  // Fourteen short-lived processes on a small machine.
  it("prints the usage on --help and -h, and exits 0", { timeout: 90_000 }, async () => {
    const results = await Promise.all(scripts.map((name) => run(name, ["--help"])));
    for (const [index, result] of results.entries()) {
      expect(result, scripts[index]).toMatchObject({ code: 0, stderr: "" });
      expect(result.stdout, scripts[index]).toMatch(/^Usage: npm (run [a-z:-]+|start)/);
    }
    const short = await run("apikey-create", ["-h"]);
    expect(short.code).toBe(0);
    expect(short.stdout).toContain("--scopes LIST");
  });

  it("refuses an unknown option in one line and the usage, with exit 2", { timeout: 90_000 }, async () => {
    const results = await Promise.all(scripts.map((name) => run(name, ["--frobnicate"])));
    for (const [index, result] of results.entries()) {
      expect(result.code, scripts[index]).toBe(2);
      const [first, blank, usage] = result.stderr.split("\n");
      expect([first, blank], scripts[index]).toEqual(["Unknown option --frobnicate", ""]);
      expect(usage, scripts[index]).toMatch(/^Usage: /);
    }
  });
});

describe("npm start on a database that npm start serves", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let first: ReturnType<typeof script>;
  let firstPort: number;
  const startEnv = () => ({
    DATABASE_URL: database.url,
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    // The scheduler on: the issue saw the failure with it on and off (the http server has it off).
    MONITOR_SCHEDULER: "on",
    ADMIN_EMAIL: "admin@example.com",
    ADMIN_PASSWORD: "correct-horse-battery",
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    firstPort = await freePort();
    first = script("start", ["--no-build"], { env: { ...startEnv(), PORT: String(firstPort) } });
    for (let attempt = 0; ; attempt++) {
      if (first.child.exitCode !== null) throw new Error(`npm start exited:\n${first.output()}`);
      if (attempt > 500) throw new Error(`npm start did not become healthy within 50 s:\n${first.output()}`);
      const healthy = await fetch(`http://127.0.0.1:${firstPort}/api/health`).then(
        (response) => response.ok,
        () => false,
      );
      if (healthy) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  afterAll(async () => {
    if (first.child.exitCode === null && first.child.pid) process.kill(-first.child.pid, "SIGTERM");
    await first.done;
    await database.drop();
  });

  it("refuses a second start in one line naming the first", async () => {
    const second = await run("start", ["--no-build"], { env: { ...startEnv(), PORT: String(await freePort()) } });
    expect(second.code).toBe(1);
    expect(second.stdout).toBe("");
    expect(expectOneLine(second.stderr)).toMatch(
      new RegExp(`^Rewind is already running on this database \\(pid \\d+, port ${firstPort}\\)`),
    );
  });

  it("lets user:create run beside it", async () => {
    const email = uniqueEmail("beside-start");
    const result = await run("user-create", ["--email", email, "--password-stdin"], {
      env: { DATABASE_URL: database.url },
      input: "a-long-enough-password",
    });
    expect(result, result.stderr).toMatchObject({ code: 0 });
    expect(result.stdout).toContain(`Created ${email} (viewer)`);
  });

  it("leaves pending migrations to the next start, in one line, rather than racing the server", async () => {
    const last = migrationNames(database.url).at(-1) as string;
    const other = createDb(database.url);
    try {
      await other.$executeRaw`DELETE FROM _prisma_migrations WHERE migration_name = ${last}`;
    } finally {
      await other.$disconnect();
    }
    const result = await run("user-create", ["--email", uniqueEmail("pending")], {
      env: { DATABASE_URL: database.url },
    });
    expect(result.code).toBe(1);
    expect(expectOneLine(result.stderr)).toMatch(
      new RegExp(
        `^Rewind is already running on this database \\(pid \\d+, port ${firstPort}\\) and 1 database migration is pending: stop it`,
      ),
    );
  });
});
