// Steps shared by `npm start`, `npm run dev`, the CLIs and the test harness: environment, Prisma
// client generation, migrations and the first admin.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { providerOf, sqliteFilePath, type DatabaseProvider } from "../../server/db/url";

export const root = path.resolve(import.meta.dirname, "../..");
/** Where `next build` writes; next.config.js reads the same variable. */
export const buildDir = path.join(root, process.env.NEXT_DIST_DIR || ".next");
const prismaBin = path.join(root, "node_modules", ".bin", "prisma");

/** Loads .env (if any) without overriding variables already set, and fills in defaults. */
export function loadEnvironment(): void {
  const file = path.join(root, ".env");
  if (existsSync(file)) process.loadEnvFile(file);
  process.env.DATABASE_URL ||= "file:./data/rewind.db";
}

/**
 * Sessions need a secret. Without NEXTAUTH_SECRET, one is generated once into data/auth-secret
 * (readable by this user only) so sessions survive restarts.
 */
export function ensureAuthSecret(): void {
  if (process.env.NEXTAUTH_SECRET) return;
  const file = path.join(root, "data", "auth-secret");
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  process.env.NEXTAUTH_SECRET = readFileSync(file, "utf8").trim();
}

/**
 * API keys' signing secrets are encrypted at rest. Without API_KEY_ENCRYPTION_KEY, a key is generated
 * once into data/api-key-encryption-key (readable by this user only); losing it makes existing signing
 * secrets unreadable, so back it up with the database.
 */
export function ensureApiKeyEncryptionKey(): void {
  ensureLocalKey("API_KEY_ENCRYPTION_KEY", "api-key-encryption-key");
}

/**
 * The audit chain is keyed outside the database. Without AUDIT_CHAIN_KEY, a key is generated once into
 * data/audit-chain-key (readable by this user only), the file that development servers and the CLIs read
 * too (server/services/audit/audit-chain-key.ts); losing it leaves the chain unverifiable, so back it up
 * apart from the database (kept with it, it protects nothing against whoever holds both).
 */
export function ensureAuditChainKey(): void {
  ensureLocalKey("AUDIT_CHAIN_KEY", "audit-chain-key");
}

/** 32 random bytes as base64, generated once into data/<file> unless the variable is set. */
function ensureLocalKey(variable: string, fileName: string): void {
  if (process.env[variable]) return;
  const file = path.join(root, "data", fileName);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  process.env[variable] = readFileSync(file, "utf8").trim();
}

export function generatedClientExists(provider: DatabaseProvider): boolean {
  return existsSync(path.join(root, "server", "db", "generated", provider, "client.ts"));
}

/** Generates both providers' clients; DATABASE_URL picks one at runtime (server/db/index.ts). */
export function generateClients(): void {
  const placeholders: Record<DatabaseProvider, string> = {
    sqlite: "file:./data/placeholder.db",
    postgresql: "postgresql://localhost:5432/placeholder",
  };
  for (const provider of ["sqlite", "postgresql"] as const) {
    runPrisma(["generate", "--schema", `prisma/${provider}`], placeholders[provider]);
  }
}

/** Applies pending migrations of the provider that the URL selects. */
export function migrateDeploy(databaseUrl: string): void {
  runPrisma(["migrate", "deploy"], databaseUrl);
  if (providerOf(databaseUrl) === "sqlite") enableWal(databaseUrl);
}

export function runPrisma(args: string[], databaseUrl: string, stdio: "inherit" | "pipe" = "pipe"): void {
  try {
    execFileSync(prismaBin, args, {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio,
    });
  } catch (error) {
    const output = error as { stdout?: Buffer; stderr?: Buffer };
    const details = `${output.stdout?.toString() ?? ""}${output.stderr?.toString() ?? ""}`.trim();
    throw new Error(`prisma ${args.join(" ")} failed${details ? `:\n${details}` : ""}`);
  }
}

/** WAL lets readers (dashboard) and the writer (ingestion, cycle) work at once; it is persistent. */
function enableWal(databaseUrl: string): void {
  const file = sqliteFilePath(databaseUrl);
  execFileSync(
    process.execPath,
    [
      "-e",
      `const db = new (require("better-sqlite3"))(${JSON.stringify(file)}); db.pragma("journal_mode = WAL"); db.close();`,
    ],
    { cwd: root },
  );
}

/** Creates the first admin if there are no users; returns a line for the banner. */
/** While metrics stored before rollups existed have none, the banner says how to fill them in (docs/METRICS.md). */
export async function rollupHistoryLines(): Promise<string[]> {
  const { getDb } = await import("../../server/db");
  const { rollupsCompleteFrom } = await import("../../server/services/metrics/rollups");
  const from = await rollupsCompleteFrom(getDb());
  if (from === -Infinity) return [];
  const before = new Date(from).toISOString().slice(0, 16).replace("T", " ");
  return [
    `Charts read metrics before ${before} UTC from 10 s buckets (slower):`,
    "run `npm run rollups:rebuild` beside the server to fill in their rollups.",
  ];
}

export async function bootstrapFirstAdmin(): Promise<string[]> {
  const { getDb } = await import("../../server/db");
  const { ensureFirstAdmin } = await import("../../server/services/access/users");
  const email = process.env.ADMIN_EMAIL || "admin@rewind.local";
  const result = await ensureFirstAdmin(
    getDb(),
    { email, password: process.env.ADMIN_PASSWORD || undefined },
    new Date(),
  );
  if (!result.created) return [];
  if (result.generatedPassword) {
    return [`First admin created: ${result.email}`, `Password (shown only this once): ${result.generatedPassword}`];
  }
  return [`First admin created: ${result.email} (password from ADMIN_PASSWORD)`];
}
