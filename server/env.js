// The one place environment variables are read and validated. Plain JS (checked by tsc) so that
// next.config.js can import it and a bad value fails the build as well as the start.
import { z } from "zod";

const databaseUrl = z
  .string()
  .refine((value) => /^(file:|postgres(ql)?:\/\/)/.test(value), {
    message: "expected a SQLite URL starting with file: or a PostgreSQL URL starting with postgresql://",
  })
  .refine((value) => !/[?&]connection_limit=(?![1-9]\d*(&|$))/.test(value), {
    message: "connection_limit (the PostgreSQL pool's size) must be a whole number of at least 1",
  });

/**
 * A 256-bit key given as 64 hex digits or as base64/base64url; null when it is neither.
 * @param {string} value
 * @returns {Buffer | null}
 */
export function decodeEncryptionKey(value) {
  const text = value.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(text)
    ? Buffer.from(text, "hex")
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(text)
      ? Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64")
      : null;
  return bytes && bytes.length === 32 ? bytes : null;
}

/**
 * `*`, or an origin exactly as browsers send it in `Origin`: scheme, host and port, no path or trailing slash.
 * @param {string} value
 */
function isCorsOrigin(value) {
  if (value === "*") return true;
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value;
  } catch {
    return false;
  }
}

const schema = z
  .object({
    DATABASE_URL: databaseUrl.default("file:./data/rewind.db"),
    // Optional here so that a build needs no secrets; a production server refuses to start without it
    // (requireServerSecrets, called from instrumentation.ts).
    NEXTAUTH_SECRET: z
      .string()
      .min(32, { message: "expected at least 32 characters (generate one with: openssl rand -base64 32)" })
      .optional(),
    // Encrypts API keys' signing secrets at rest (AES-256-GCM). Optional for a build; required by a
    // production server (requireServerSecrets). Changing it makes existing signing secrets unreadable.
    API_KEY_ENCRYPTION_KEY: z
      .string()
      .refine((value) => decodeEncryptionKey(value) !== null, {
        message: "expected 32 random bytes as 64 hex digits or base64 (generate one with: openssl rand -base64 32)",
      })
      .optional(),
    // Keys the audit chain (HMAC-SHA256 of every new event) and signs its checkpoints; it lives outside the
    // database so that a database writer cannot recompute the chain. Optional for a build; required by a
    // production server. Rotate by moving the old key to AUDIT_CHAIN_PREVIOUS_KEYS (docs/ROLLBACKS.md).
    AUDIT_CHAIN_KEY: z
      .string()
      .refine((value) => decodeEncryptionKey(value) !== null, {
        message: "expected 32 random bytes as 64 hex digits or base64 (generate one with: openssl rand -base64 32)",
      })
      .optional(),
    // Earlier chain keys, oldest first, comma-separated: events and checkpoints made under them still verify.
    AUDIT_CHAIN_PREVIOUS_KEYS: z
      .string()
      .refine((value) => value.split(",").every((key) => decodeEncryptionKey(key) !== null), {
        message: "expected comma-separated keys, each 32 bytes as 64 hex digits or base64",
      })
      .optional(),
    // A file each audit checkpoint is appended to as one JSON line (keep it off the database's host or ship it).
    AUDIT_CHECKPOINT_FILE: z.string().trim().min(1).optional(),
    // The monitoring cycle checkpoints the audit chain when it moved and the last checkpoint is this old…
    AUDIT_CHECKPOINT_INTERVAL_MINUTES: z.coerce
      .number({ message: "expected a number of minutes" })
      .int({ message: "expected a whole number of minutes" })
      .min(1, { message: "expected between 1 and 10080 minutes" })
      .max(10080, { message: "expected between 1 and 10080 minutes" })
      .default(60),
    // … or this many events were appended since.
    AUDIT_CHECKPOINT_EVENTS: z.coerce
      .number({ message: "expected a number of events" })
      .int({ message: "expected a whole number of events" })
      .min(1, { message: "expected between 1 and 1000000 events" })
      .max(1_000_000, { message: "expected between 1 and 1000000 events" })
      .default(100),
    // Bearer token of GET/POST /api/cron/monitor; without it the cron route answers 503.
    CRON_SECRET: z.string().min(16, { message: "expected at least 16 characters" }).optional(),
    MONITOR_INTERVAL_SECONDS: z.coerce
      .number({ message: "expected a number of seconds" })
      .int({ message: "expected a whole number of seconds" })
      .min(1, { message: "expected at least 1 second" })
      .max(3600, { message: "expected at most 3600 seconds" })
      .default(10),
    // Bearer token that Prometheus must send to scrape GET /api/metrics; a production server answers 503
    // without it unless METRICS_PUBLIC is true.
    METRICS_TOKEN: z.string().min(16, { message: "expected at least 16 characters" }).optional(),
    // "true" serves GET /api/metrics without a token (still without the lease holder's host and pid).
    METRICS_PUBLIC: z.stringbool({ error: 'expected "true" or "false"' }).default(false),
    // "off" sends the machine intake through Next.js's route handlers too (the same handlers, slower): for
    // comparing the two, or ruling the fast path out (scripts/serve.ts).
    INTAKE_FAST_PATH: z.enum(["on", "off"], { message: 'expected "on" or "off"' }).default("on"),
    // "off" when an external cron drives the cycle through /api/cron/monitor.
    MONITOR_SCHEDULER: z.enum(["on", "off"], { message: 'expected "on" or "off"' }).default("on"),
    // Slack incoming webhook for notifications; a URL saved in Settings takes precedence.
    SLACK_WEBHOOK_URL: z
      .url({ message: "expected a Slack incoming webhook URL (https://hooks.slack.com/…)" })
      .optional(),
    // Approvals from Slack (docs/INTEGRATIONS.md): the Slack app's signing secret, which its button clicks are
    // verified with, and its optional bot token (xoxb-…), which finds a clicking user by verified email. Values
    // saved in Settings → Notifications take precedence.
    SLACK_SIGNING_SECRET: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9]{16,128}$/, { message: "expected the Slack app's signing secret (letters and digits)" })
      .optional(),
    SLACK_BOT_TOKEN: z
      .string()
      .trim()
      .regex(/^xoxb-[A-Za-z0-9-]{10,250}$/, { message: "expected a Slack bot token (xoxb-…)" })
      .optional(),
    // Slack's Web API (users.info); a local stand-in in tests.
    SLACK_API_URL: z
      .url({ message: "expected an absolute URL such as https://slack.com/api" })
      .default("https://slack.com/api"),
    APP_URL: z.url({ message: "expected an absolute URL such as https://rewind.example.com" }).optional(),
    // Hosts whose SNS signing certificates and SubscribeURLs Rewind fetches (docs/INTEGRATIONS.md): DNS labels with
    // * for one whole label; a loopback host:port named exactly is also fetched over http (local tests only).
    SNS_CERTIFICATE_HOSTS: z
      .string()
      .trim()
      .regex(
        /^(?:\[::1\]|[a-z0-9*-]+(?:\.[a-z0-9*-]+)*)(?::\d{1,5})?(?:\s*,\s*(?:\[::1\]|[a-z0-9*-]+(?:\.[a-z0-9*-]+)*)(?::\d{1,5})?)*$/i,
        {
          message: "expected comma-separated host patterns such as sns.*.amazonaws.com,sns.*.amazonaws.com.cn",
        },
      )
      .optional(),
    // Origins of browser apps that may call the OpenFeature endpoints (/ofrep/v1, docs/API.md), comma-separated
    // (https://app.example.com,https://admin.example.com), or * for any; unset, browsers may not (server SDKs
    // need no CORS).
    OFREP_CORS_ORIGINS: z
      .string()
      .refine((value) => value.split(",").every((origin) => isCorsOrigin(origin.trim())), {
        message: "expected * or comma-separated origins such as https://app.example.com (scheme, host and port only)",
      })
      .optional(),
    // next-auth's own URL (it reads the variable itself); npm start defaults it to APP_URL. Validated here
    // because the cross-site request check also accepts its origin.
    NEXTAUTH_URL: z.url({ message: "expected an absolute URL such as https://rewind.example.com" }).optional(),
    // Address `npm start` listens on: this machine only by default; 0.0.0.0 (or ::) behind a reverse proxy
    // on another host or in a container.
    HOST: z
      .union([z.ipv4(), z.ipv6(), z.hostname()], {
        error: "expected an address to listen on, such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)",
      })
      .default("127.0.0.1"),
    PORT: z.coerce
      .number({ message: "expected a port number" })
      .int({ message: "expected a whole port number" })
      .min(1, { message: "expected a port between 1 and 65535" })
      .max(65535, { message: "expected a port between 1 and 65535" })
      .default(3000),
    // Reverse proxies in front of Rewind that append the client's address to X-Forwarded-For. Sign-in throttling
    // tells clients apart by the address the outermost of them saw; with 0 it cannot (server/domain/sign-in-throttle.ts).
    TRUSTED_PROXIES: z.coerce
      .number({ message: "expected a number of proxies" })
      .int({ message: "expected a whole number of proxies" })
      .min(0, { message: "expected between 0 and 5 proxies" })
      .max(5, { message: "expected between 0 and 5 proxies" })
      .default(0),
    ADMIN_EMAIL: z.email({ message: "expected an email address" }).default("admin@rewind.local"),
    ADMIN_PASSWORD: z.string().min(12, { message: "expected at least 12 characters" }).optional(),
    METRIC_BUCKET_SECONDS: z.coerce
      .number({ message: "expected a number of seconds" })
      .int({ message: "expected a whole number of seconds" })
      .min(1, { message: "expected between 1 and 3600 seconds" })
      .max(3600, { message: "expected between 1 and 3600 seconds" })
      .refine((seconds) => 86_400 % seconds === 0, {
        message: "expected a divisor of 86400 (such as 10, 30, 60 or 300) so buckets line up with minutes and days",
      })
      .default(10),
    METRIC_RETENTION_DAYS: z.coerce
      .number({ message: "expected a number of days" })
      .int({ message: "expected a whole number of days" })
      .min(1, { message: "expected between 1 and 3650 days" })
      .max(3650, { message: "expected between 1 and 3650 days" })
      .default(30),
    // Days of 10 s buckets kept, when fewer than METRIC_RETENTION_DAYS: charts and backtests read older windows from
    // the 1- and 10-minute rollups, which keep METRIC_RETENTION_DAYS (docs/METRICS.md, "Rollups").
    METRIC_RAW_RETENTION_DAYS: z.coerce
      .number({ message: "expected a number of days" })
      .int({ message: "expected a whole number of days" })
      .min(1, { message: "expected between 1 and 3650 days" })
      .max(3650, { message: "expected between 1 and 3650 days" })
      .optional(),
    // The server log's threshold (server/services/platform/log.ts); unset: info, silent under Vitest.
    LOG_LEVEL: z
      .enum(["debug", "info", "warn", "error", "silent"], { message: "expected debug, info, warn, error or silent" })
      .optional(),
    // json (one object a line, the default) or pretty (one readable line, the default under `next dev`).
    LOG_FORMAT: z.enum(["json", "pretty"], { message: 'expected "json" or "pretty"' }).optional(),
  })
  .refine((values) => (values.METRIC_RAW_RETENTION_DAYS ?? 0) <= values.METRIC_RETENTION_DAYS, {
    message: "expected at most METRIC_RETENTION_DAYS: rollups are made from buckets, and keep as long",
    path: ["METRIC_RAW_RETENTION_DAYS"],
  });

/** @typedef {z.infer<typeof schema>} Env */

/**
 * Validates an environment; throws one error naming every bad variable and what it expects.
 * @param {Record<string, string | undefined>} source
 * @returns {Env}
 */
export function parseEnv(source) {
  // An empty string means "unset" (as in `.env` files with `KEY=`).
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid environment variables:\n${lines.join("\n")}\nSee .env.example for every variable.`);
  }
  return result.data;
}

export const env = parseEnv(process.env);

/**
 * A production server must not sign sessions with a guessable secret.
 * @param {Env} values
 * @param {string | undefined} nodeEnv
 */
export function requireServerSecrets(values, nodeEnv) {
  if (nodeEnv !== "production") return;
  const missing = [];
  if (!values.NEXTAUTH_SECRET) {
    missing.push("  NEXTAUTH_SECRET: required in production: a random string of at least 32 characters");
  }
  if (!values.API_KEY_ENCRYPTION_KEY) {
    missing.push("  API_KEY_ENCRYPTION_KEY: required in production: 32 random bytes (openssl rand -base64 32)");
  }
  if (!values.AUDIT_CHAIN_KEY) {
    missing.push("  AUDIT_CHAIN_KEY: required in production: 32 random bytes (openssl rand -base64 32)");
  }
  if (missing.length > 0) {
    throw new Error(
      `Invalid environment variables:\n${missing.join("\n")}\n` +
        "(npm start generates them; with next start set them yourself)\nSee .env.example for every variable.",
    );
  }
}

/**
 * The key that encrypts API keys' signing secrets.
 * @param {Env} values
 * @returns {Buffer}
 */
export function apiKeyEncryptionKey(values = env) {
  const key = values.API_KEY_ENCRYPTION_KEY && decodeEncryptionKey(values.API_KEY_ENCRYPTION_KEY);
  if (!key) {
    throw new Error(
      "API_KEY_ENCRYPTION_KEY is not set: API keys need it to keep their signing secrets encrypted " +
        "(npm start generates one into data/api-key-encryption-key; else: openssl rand -base64 32)",
    );
  }
  return key;
}

/**
 * Vitest runs (NODE_ENV=test) without AUDIT_CHAIN_KEY key the chain with this public key, and so do the
 * servers they start, so test processes and servers agree. Never a production key: anyone can read it here.
 */
export const TEST_AUDIT_CHAIN_KEY = "7465737420617564697420636861696e206b6579206e6f74207365637265742e";

/**
 * The configured audit chain keys, oldest first, the current one last; null when AUDIT_CHAIN_KEY is unset
 * (server/services/audit/audit-chain-key.ts decides what a development or test process uses then).
 * @param {Env} values
 * @returns {Buffer[] | null}
 */
export function configuredAuditChainKeys(values = env) {
  const current = values.AUDIT_CHAIN_KEY && decodeEncryptionKey(values.AUDIT_CHAIN_KEY);
  if (!current) return null;
  const previous = (values.AUDIT_CHAIN_PREVIOUS_KEYS ?? "")
    .split(",")
    .filter((key) => key.trim() !== "")
    .map((key) => decodeEncryptionKey(key));
  return [...previous.filter((key) => key !== null), current];
}

/**
 * The origins OFREP_CORS_ORIGINS lets call the OpenFeature endpoints from a browser (`*`: any); empty when unset.
 * @param {Env} values
 * @returns {string[]}
 */
export function ofrepCorsOrigins(values = env) {
  return (values.OFREP_CORS_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
}
