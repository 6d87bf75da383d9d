// The one place environment variables are read and validated. Plain JS (checked by tsc) so that
// next.config.js can import it and a bad value fails the build as well as the start.
import { z } from "zod";

const databaseUrl = z.string().refine((value) => /^(file:|postgres(ql)?:\/\/)/.test(value), {
  message: "expected a SQLite URL starting with file: or a PostgreSQL URL starting with postgresql://",
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

const schema = z.object({
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
  // Bearer token of GET/POST /api/cron/monitor; without it the cron route answers 503.
  CRON_SECRET: z.string().min(16, { message: "expected at least 16 characters" }).optional(),
  MONITOR_INTERVAL_SECONDS: z.coerce
    .number({ message: "expected a number of seconds" })
    .int({ message: "expected a whole number of seconds" })
    .min(1, { message: "expected at least 1 second" })
    .max(3600, { message: "expected at most 3600 seconds" })
    .default(10),
  // Optional bearer token that Prometheus must send to scrape GET /api/metrics.
  METRICS_TOKEN: z.string().min(16, { message: "expected at least 16 characters" }).optional(),
  // "off" when an external cron drives the cycle through /api/cron/monitor.
  MONITOR_SCHEDULER: z.enum(["on", "off"], { message: 'expected "on" or "off"' }).default("on"),
  // Slack incoming webhook for notifications; a URL saved in Settings takes precedence.
  SLACK_WEBHOOK_URL: z.url({ message: "expected a Slack incoming webhook URL (https://hooks.slack.com/…)" }).optional(),
  APP_URL: z.url({ message: "expected an absolute URL such as https://rewind.example.com" }).optional(),
  PORT: z.coerce
    .number({ message: "expected a port number" })
    .int({ message: "expected a whole port number" })
    .min(1, { message: "expected a port between 1 and 65535" })
    .max(65535, { message: "expected a port between 1 and 65535" })
    .default(3000),
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
  if (missing.length > 0) {
    throw new Error(
      `Invalid environment variables:\n${missing.join("\n")}\n` +
        "(npm start generates both; with next start set them yourself)\nSee .env.example for every variable.",
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
