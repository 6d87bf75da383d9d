// Which keys the audit chain is under. AUDIT_CHAIN_KEY (with AUDIT_CHAIN_PREVIOUS_KEYS after a rotation) when
// set, and always in production (the server refuses to start without it). Otherwise a development process
// (`next dev`, the CLIs) uses data/audit-chain-key, the file `npm start` generates and serves with, so they all
// append under the same key; a Vitest run uses the public TEST_AUDIT_CHAIN_KEY, as do the servers it starts.
import "server-only";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { configuredAuditChainKeys, decodeEncryptionKey, env, TEST_AUDIT_CHAIN_KEY } from "../../env.js";

export type AuditKeySource = "AUDIT_CHAIN_KEY" | "data/audit-chain-key" | "test key";

export interface AuditChainKeyring {
  /** Oldest first; the last one signs new events and checkpoints. */
  keys: readonly Buffer[];
  current: Buffer;
  source: AuditKeySource;
}

let cached: AuditChainKeyring | null = null;

export function auditChainKeyring(): AuditChainKeyring {
  cached ??= resolveKeyring(process.env.NODE_ENV);
  return cached;
}

/** A keyring from explicit keys (oldest first), for tests and tools. */
export function keyringOf(keys: readonly Buffer[], source: AuditKeySource = "AUDIT_CHAIN_KEY"): AuditChainKeyring {
  const current = keys.at(-1);
  if (!current) throw new Error("A keyring needs at least one key");
  return { keys, current, source };
}

function resolveKeyring(nodeEnv: string | undefined): AuditChainKeyring {
  const configured = configuredAuditChainKeys(env);
  if (configured) return keyringOf(configured);
  if (nodeEnv === "production") {
    throw new Error(
      "AUDIT_CHAIN_KEY is not set: the audit chain needs a key kept outside the database " +
        "(npm start generates one into data/audit-chain-key; else: openssl rand -base64 32)",
    );
  }
  if (nodeEnv === "test") return keyringOf([Buffer.from(TEST_AUDIT_CHAIN_KEY, "hex")], "test key");
  return keyringOf([localKey(path.join(process.cwd(), "data", "audit-chain-key"))], "data/audit-chain-key");
}

/** Reads the local key, creating it (readable by this user only) the first time; `wx` lets one racing process win. */
function localKey(file: string): Buffer {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const key = decodeEncryptionKey(readFileSync(file, "utf8"));
  if (!key) throw new Error(`${file} does not hold a 32-byte key (base64 or 64 hex digits)`);
  return key;
}
