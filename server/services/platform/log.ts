// The server's structured log: one JSON line per decision and action on stdout (errors on stderr), at the level
// LOG_LEVEL sets, with known secrets redacted wherever they appear in a line. Format and fields: docs/OPERATIONS.md.
import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { env } from "../../env.js";

export const logLevels = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof logLevels)[number];
export type LogThreshold = LogLevel | "silent";
export type LogFormat = "json" | "pretty";
export type LogFields = Record<string, unknown>;

const rank: Record<LogThreshold, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 50 };

/** Where lines go and which pass: the process's (LOG_LEVEL, LOG_FORMAT, stdout/stderr), or a test's. */
export interface LogOutput {
  level: LogThreshold;
  format: LogFormat;
  /** One finished line, without its newline. */
  write(line: string, level: LogLevel): void;
  now(): Date;
}

/**
 * Info in the server (Next sets NEXT_RUNTIME there), warnings only in the command-line tools (their own output
 * says what they did, and a JSON line between a CLI's sentences reads as noise), silent under Vitest
 * (NODE_ENV=test) unless LOG_LEVEL says otherwise; pretty under `next dev`.
 */
export function defaultLogOutput(
  values: { LOG_LEVEL?: LogThreshold; LOG_FORMAT?: LogFormat } = env,
  nodeEnv = process.env.NODE_ENV,
  inServer = Boolean(process.env.NEXT_RUNTIME),
): LogOutput {
  return {
    level: values.LOG_LEVEL ?? (nodeEnv === "test" ? "silent" : inServer ? "info" : "warn"),
    format: values.LOG_FORMAT ?? (nodeEnv === "development" ? "pretty" : "json"),
    write: (line, level) => (level === "error" ? process.stderr : process.stdout).write(`${line}\n`),
    now: () => new Date(),
  };
}

let output: LogOutput = defaultLogOutput();

/** Replaces parts of the process's output (tests: a level and a sink); returns what puts the previous back. */
export function setLogOutput(change: Partial<LogOutput>): () => void {
  const previous = output;
  output = { ...output, ...change };
  return () => {
    output = previous;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Redaction. Call sites never pass secrets; this catches what slips through (an error message quoting a header,
// a connection string in a driver's error, a Slack webhook URL in a fetch failure).

export const REDACTED = "[redacted]";

/** Field names whose values are secrets, compared lowercased without `-` and `_`, by suffix (`signingSecret`). */
const secretNameSuffixes = [
  "password",
  "passwordhash",
  "secret",
  "token",
  "authorization",
  "cookie",
  "signature",
  "apikey",
  "keyhash",
  "integrationkey",
  "routingkey",
  "encryptionkey",
  "privatekey",
  "webhookurl",
];

export function isSecretName(name: string): boolean {
  const normalized = name.toLowerCase().replace(/[-_]/g, "");
  return secretNameSuffixes.some((suffix) => normalized.endsWith(suffix));
}

const secretPatterns: [RegExp, string][] = [
  // Rewind's API keys and signing secrets (server/services/access/api-keys.ts).
  [/\b(rwd|rws)_[A-Za-z0-9_-]{8,}/g, `$1_${REDACTED}`],
  // Slack tokens (a bot token, xoxb-…).
  [/\bxox[a-z]-[A-Za-z0-9-]{8,}/g, `xox-${REDACTED}`],
  // Credentials of an Authorization header quoted in a message.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // JWTs and JWEs (next-auth's session cookie).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9._-]*/g, REDACTED],
  // `password=…`, `"signingSecret": "…"`, `x-rewind-signature: t=…,v1=…` inside a text; not `api_key:<id>`, the
  // form of an actor in these lines (a colon counts after a quote or before a space only).
  [
    /\b([\w-]*(?:password|passwordhash|secret|token|signature|authorization|cookie|api[-_]?key))(\s*=\s*["']?|["']\s*:\s*["']?|:\s+["']?)([^\s"';&}]+)/gi,
    `$1$2${REDACTED}`,
  ],
  // A URL's user and password (a database URL).
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi, `$1${REDACTED}@`],
  // A URL's path and query: a Slack webhook URL's path is its secret, and so may others' be.
  [/\b(https?:\/\/[^\s/?#"'<>]+)[/?#][^\s"'<>]*/gi, `$1/${REDACTED}`],
];

export function redactText(text: string): string {
  return secretPatterns.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), text);
}

const MAX_DEPTH = 6;

/** A JSON-ready copy of `value` with secrets redacted: errors as name, message, stack and cause. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return redactText(value);
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") {
    return typeof value === "function" || typeof value === "symbol" ? String(value) : value;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (seen.has(value) || depth >= MAX_DEPTH) return "[…]";
  seen.add(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return redact(
      {
        name: value.name,
        message: value.message,
        ...(typeof code === "string" && { code }),
        stack: value.stack,
        ...(value.cause !== undefined && { cause: value.cause }),
      },
      depth + 1,
      seen,
    );
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, seen));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, isSecretName(key) ? REDACTED : redact(item, depth + 1, seen)]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Lines.

/** Fields every line of one request (or job) carries: its request id, who acts. */
const requestContext = new AsyncLocalStorage<LogFields>();

/** Runs `work` with `fields` on every line it logs (nested calls add to the outer fields). */
export function withLogContext<T>(fields: LogFields, work: () => T): T {
  return requestContext.run({ ...requestContext.getStore(), ...fields }, work);
}

/** Runs a route handler with a new request id and the request's method and path on every line it logs. */
export function withRequestLog<T>(request: { method: string; url: string }, work: () => Promise<T>): Promise<T> {
  const { pathname } = new URL(request.url);
  return withLogContext({ requestId: randomUUID(), request: `${request.method} ${pathname}` }, work);
}

/** Adds fields to the current context, once they are known (the actor after authentication); none outside one. */
export function addLogContext(fields: LogFields): void {
  const store = requestContext.getStore();
  if (store) Object.assign(store, fields);
}

/** The current context's request id, if any. */
export function currentRequestId(): string | undefined {
  const id = requestContext.getStore()?.requestId;
  return typeof id === "string" ? id : undefined;
}

interface LogRecord {
  time: Date;
  level: LogLevel;
  msg: string;
  fields: LogFields;
}

export function isLogged(level: LogLevel): boolean {
  return rank[level] >= rank[output.level];
}

function record(level: LogLevel, msg: string, fields: LogFields): LogRecord {
  return { time: output.now(), level, msg, fields: { ...requestContext.getStore(), ...fields } };
}

/** The line of a record: JSON, or `12:00:00.000 INFO  rollback.completed target=chat …` in the pretty form. */
export function formatLine(entry: LogRecord, format: LogFormat): string {
  const fields = redact(entry.fields) as LogFields;
  // A field never overwrites the line's own three.
  const { time: _time, level: _level, msg: _msg, ...rest } = fields;
  if (format === "json") {
    return JSON.stringify({ time: entry.time.toISOString(), level: entry.level, msg: entry.msg, ...rest });
  }
  const pairs = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === "string" && !/\s/.test(value) ? value : JSON.stringify(value)}`);
  const head = `${entry.time.toISOString().slice(11, 23)} ${entry.level.toUpperCase().padEnd(5)} ${entry.msg}`;
  return [head, ...pairs].join(" ").replace(/\n/g, "\\n");
}

function write(entry: LogRecord): void {
  if (!isLogged(entry.level)) return;
  try {
    output.write(formatLine(entry, output.format), entry.level);
  } catch {
    // A log line that cannot be written (a closed pipe) never fails what it describes.
  }
}

type LogMethod = (msg: string, fields?: LogFields) => void;

export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  /** At a level chosen by the call site: `log.at(dead ? "error" : "warn", …)`. */
  at: (level: LogLevel, msg: string, fields?: LogFields) => void;
}

/**
 * `log.info("rollback.completed", { target, rollbackId })`: `msg` names what happened (`<entity>.<event>`, as
 * audit actions do); fields carry ids and counts, never secrets or free-form request data.
 */
export const log: Logger = {
  debug: (msg, fields = {}) => write(record("debug", msg, fields)),
  info: (msg, fields = {}) => write(record("info", msg, fields)),
  warn: (msg, fields = {}) => write(record("warn", msg, fields)),
  error: (msg, fields = {}) => write(record("error", msg, fields)),
  at: (level, msg, fields = {}) => write(record(level, msg, fields)),
};

// ---------------------------------------------------------------------------------------------------------------
// Lines of what a transaction does, written once it committed.

const heldLines = new AsyncLocalStorage<LogRecord[]>();

/**
 * Runs one attempt of a transaction (platform/retry.ts), holding the lines `logOnCommit` makes inside it: they
 * are written when the attempt succeeds (handed to an enclosing attempt, if any) and dropped when it fails, so a
 * rolled-back or retried transaction logs nothing it did not do.
 */
export async function holdLinesUntilCommit<T>(attempt: () => Promise<T>): Promise<T> {
  const lines: LogRecord[] = [];
  const result = await heldLines.run(lines, attempt);
  const outer = heldLines.getStore();
  if (outer) outer.push(...lines);
  else lines.forEach(write);
  return result;
}

/** A line about a change made in a transaction: held until it commits (written now outside a held attempt). */
export function logOnCommit(level: LogLevel, msg: string, fields: LogFields): void {
  if (!isLogged(level)) return;
  const entry = record(level, msg, fields);
  const held = heldLines.getStore();
  if (held) held.push(entry);
  else write(entry);
}
