import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { apiKeyEncryptionKey, configuredAuditChainKeys, parseEnv, requireServerSecrets } from "@/server/env.js";

describe("environment validation", () => {
  it("fills in defaults", () => {
    expect(parseEnv({})).toMatchObject({ DATABASE_URL: "file:./data/rewind.db", PORT: 3000 });
  });

  it("names every bad variable and what it expects", () => {
    expect(() => parseEnv({ DATABASE_URL: "mysql://x", PORT: "eighty", ADMIN_EMAIL: "nope" })).toThrow(
      /DATABASE_URL: expected a SQLite URL[\s\S]*PORT: expected a port number[\s\S]*ADMIN_EMAIL: expected an email address/,
    );
  });

  it("checks the PostgreSQL pool size given in DATABASE_URL", () => {
    const url = "postgresql://rewind@db:5432/rewind";
    expect(parseEnv({ DATABASE_URL: `${url}?sslmode=require&connection_limit=20` })).toMatchObject({
      DATABASE_URL: `${url}?sslmode=require&connection_limit=20`,
    });
    for (const limit of ["0", "2.5", "ten", ""]) {
      expect(() => parseEnv({ DATABASE_URL: `${url}?connection_limit=${limit}&schema=x` })).toThrow(
        /DATABASE_URL: connection_limit \(the PostgreSQL pool's size\) must be a whole number of at least 1/,
      );
    }
  });

  it("treats empty values as unset", () => {
    expect(parseEnv({ ADMIN_PASSWORD: "", PORT: "" })).toMatchObject({ PORT: 3000 });
  });

  it("trusts no proxy's X-Forwarded-For unless told how many there are", () => {
    expect(parseEnv({}).TRUSTED_PROXIES).toBe(0);
    expect(parseEnv({ TRUSTED_PROXIES: "1" }).TRUSTED_PROXIES).toBe(1);
    expect(() => parseEnv({ TRUSTED_PROXIES: "yes" })).toThrow(/TRUSTED_PROXIES: expected a number of proxies/);
    expect(() => parseEnv({ TRUSTED_PROXIES: "-1" })).toThrow(/TRUSTED_PROXIES: expected between 0 and 5/);
  });
});

describe("server secrets", () => {
  it("are required by a production server, not by a build or a dev server", () => {
    const values = parseEnv({});
    expect(() => requireServerSecrets(values, "production")).toThrow(/NEXTAUTH_SECRET: required in production/);
    expect(() => requireServerSecrets(values, "development")).not.toThrow();
    expect(() => requireServerSecrets(values, "production")).toThrow(/API_KEY_ENCRYPTION_KEY: required in production/);
    expect(() => requireServerSecrets(values, "production")).toThrow(/AUDIT_CHAIN_KEY: required in production/);
    const withSecrets = parseEnv({
      NEXTAUTH_SECRET: "x".repeat(32),
      API_KEY_ENCRYPTION_KEY: "ab".repeat(32),
      AUDIT_CHAIN_KEY: "cd".repeat(32),
    });
    expect(() => requireServerSecrets(withSecrets, "production")).not.toThrow();
  });

  it("take the API key encryption key as 32 bytes in hex or base64", () => {
    const bytes = randomBytes(32);
    for (const text of [bytes.toString("hex"), bytes.toString("base64"), bytes.toString("base64url")]) {
      expect(apiKeyEncryptionKey(parseEnv({ API_KEY_ENCRYPTION_KEY: text }))).toEqual(bytes);
    }
    expect(() => parseEnv({ API_KEY_ENCRYPTION_KEY: randomBytes(16).toString("hex") })).toThrow(
      /API_KEY_ENCRYPTION_KEY: expected 32 random bytes/,
    );
    expect(() => apiKeyEncryptionKey(parseEnv({}))).toThrow(/API_KEY_ENCRYPTION_KEY is not set/);
  });

  it("take the audit chain key and the previous ones, oldest first, the current one last", () => {
    const [old, older, current] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    expect(configuredAuditChainKeys(parseEnv({}))).toBeNull();
    expect(configuredAuditChainKeys(parseEnv({ AUDIT_CHAIN_KEY: current.toString("base64") }))).toEqual([current]);
    const rotated = parseEnv({
      AUDIT_CHAIN_KEY: current.toString("hex"),
      AUDIT_CHAIN_PREVIOUS_KEYS: `${older.toString("base64")},${old.toString("hex")}`,
    });
    expect(configuredAuditChainKeys(rotated)).toEqual([older, old, current]);
    expect(() =>
      parseEnv({ AUDIT_CHAIN_KEY: "short", AUDIT_CHAIN_PREVIOUS_KEYS: `${old.toString("hex")},nope` }),
    ).toThrow(
      /AUDIT_CHAIN_KEY: expected 32 random bytes[\s\S]*AUDIT_CHAIN_PREVIOUS_KEYS: expected comma-separated keys/,
    );
  });

  it("checkpoint the audit chain hourly or every 100 events by default", () => {
    expect(parseEnv({})).toMatchObject({ AUDIT_CHECKPOINT_INTERVAL_MINUTES: 60, AUDIT_CHECKPOINT_EVENTS: 100 });
    expect(
      parseEnv({ AUDIT_CHECKPOINT_INTERVAL_MINUTES: "15", AUDIT_CHECKPOINT_FILE: "/var/log/rewind.jsonl" }),
    ).toMatchObject({ AUDIT_CHECKPOINT_INTERVAL_MINUTES: 15, AUDIT_CHECKPOINT_FILE: "/var/log/rewind.jsonl" });
    expect(() => parseEnv({ AUDIT_CHECKPOINT_INTERVAL_MINUTES: "0", AUDIT_CHECKPOINT_EVENTS: "x" })).toThrow(
      /AUDIT_CHECKPOINT_INTERVAL_MINUTES: expected between 1 and 10080 minutes[\s\S]*AUDIT_CHECKPOINT_EVENTS: expected a number of events/,
    );
  });

  it("refuses a short secret", () => {
    expect(() => parseEnv({ NEXTAUTH_SECRET: "short" })).toThrow(/NEXTAUTH_SECRET: expected at least 32 characters/);
  });
});

describe("metric settings", () => {
  it("default to 10 s buckets kept 30 days", () => {
    expect(parseEnv({})).toMatchObject({ METRIC_BUCKET_SECONDS: 10, METRIC_RETENTION_DAYS: 30 });
    expect(parseEnv({ METRIC_BUCKET_SECONDS: "60", METRIC_RETENTION_DAYS: "7" })).toMatchObject({
      METRIC_BUCKET_SECONDS: 60,
      METRIC_RETENTION_DAYS: 7,
    });
  });

  it("refuse widths that do not divide a day and retention outside 1–3650 days", () => {
    expect(() => parseEnv({ METRIC_BUCKET_SECONDS: "7", METRIC_RETENTION_DAYS: "0" })).toThrow(
      /METRIC_BUCKET_SECONDS: expected a divisor of 86400[\s\S]*METRIC_RETENTION_DAYS: expected between 1 and 3650 days/,
    );
  });

  it("keep buckets for METRIC_RAW_RETENTION_DAYS when set, never longer than the rollups", () => {
    expect(parseEnv({}).METRIC_RAW_RETENTION_DAYS).toBeUndefined();
    expect(parseEnv({ METRIC_RAW_RETENTION_DAYS: "7" })).toMatchObject({
      METRIC_RAW_RETENTION_DAYS: 7,
      METRIC_RETENTION_DAYS: 30,
    });
    expect(() => parseEnv({ METRIC_RAW_RETENTION_DAYS: "60" })).toThrow(
      /METRIC_RAW_RETENTION_DAYS: expected at most METRIC_RETENTION_DAYS/,
    );
    expect(() => parseEnv({ METRIC_RAW_RETENTION_DAYS: "0" })).toThrow(
      /METRIC_RAW_RETENTION_DAYS: expected between 1 and 3650 days/,
    );
  });
});
