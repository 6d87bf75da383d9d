// Which `npm start` serves a database: data/servers/<database hash>.json holds its pid and port from the moment
// it starts until it exits. A second `npm start` on that database refuses to run, and a CLI that finds
// migrations pending does not race the server's hold on the database (scripts/lib/migrations.ts). A record
// whose process is gone (a crash, a reboot) is stale and ignored. Only `npm start` writes one: a server started
// with `next start` directly is not seen here.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { providerOf, sqliteFilePath } from "../../server/db/url";
import { CliError } from "./cli";
import { root } from "./setup";

export interface ServerRecord {
  pid: number;
  port: number;
  host: string;
  /** The machine's name: a pid means nothing on another one (a shared volume, a container's new name). */
  hostname: string;
  startedAt: string;
}

/** The same database whatever the spelling of its URL: a SQLite file's absolute path, PostgreSQL without credentials. */
function databaseKey(databaseUrl: string): string {
  if (providerOf(databaseUrl) === "sqlite") return `sqlite:${sqliteFilePath(databaseUrl)}`;
  const url = new URL(databaseUrl);
  return `postgresql://${url.hostname}:${url.port || "5432"}${url.pathname}?schema=${url.searchParams.get("schema") ?? "public"}`;
}

/** A short name for the database, for files kept per database in data/. */
export function databaseId(databaseUrl: string): string {
  return createHash("sha256").update(databaseKey(databaseUrl)).digest("hex").slice(0, 16);
}

function recordFile(databaseUrl: string): string {
  return path.join(root, "data", "servers", `${databaseId(databaseUrl)}.json`);
}

function isAlive(record: ServerRecord): boolean {
  if (record.hostname !== hostname()) return false;
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    // A reused pid: on Linux, check the process is still a start script.
    return readFileSync(`/proc/${record.pid}/cmdline`, "utf8").includes("start.ts");
  } catch {
    return true;
  }
}

function readRecord(file: string): ServerRecord | null {
  try {
    const record = JSON.parse(readFileSync(file, "utf8")) as ServerRecord;
    return typeof record.pid === "number" && typeof record.port === "number" ? record : null;
  } catch {
    return null;
  }
}

/** The live `npm start` serving this database, if any, other than this process. */
export function runningServer(databaseUrl: string): ServerRecord | null {
  const record = readRecord(recordFile(databaseUrl));
  return record && record.pid !== process.pid && isAlive(record) ? record : null;
}

export function alreadyRunning(record: ServerRecord): string {
  return `Rewind is already running on this database (pid ${record.pid}, port ${record.port})`;
}

/**
 * Claims the database for this process, or throws naming the server that has it. The file is created
 * exclusively, so of two starts at once one wins; `release` (also run on exit) removes it.
 */
export function claimDatabase(databaseUrl: string, server: { port: number; host: string }): { release: () => void } {
  const file = recordFile(databaseUrl);
  mkdirSync(path.dirname(file), { recursive: true });
  const record: ServerRecord = {
    pid: process.pid,
    port: server.port,
    host: server.host,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(record), { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = readRecord(file);
      if (holder && isAlive(holder)) {
        throw new CliError(`${alreadyRunning(holder)}: stop it first, or set DATABASE_URL to another database.`);
      }
      // A stale record is replaced once. Finding one again, or one still being written, means another start
      // is claiming the database right now.
      const beingWritten = !holder && Date.now() - statSync(file).mtimeMs < 5_000;
      if (attempt > 0 || beingWritten) {
        throw new CliError("Another Rewind is starting on this database: try again in a moment.");
      }
      unlinkSync(file);
    }
  }
  const release = () => {
    if (readRecord(file)?.pid !== process.pid) return;
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  process.on("exit", release);
  return { release };
}
