import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { apiKeyEncryptionKey, parseEnv, requireServerSecrets } from "@/server/env.js";

describe("environment validation", () => {
  it("fills in defaults", () => {
    expect(parseEnv({})).toMatchObject({ DATABASE_URL: "file:./data/rewind.db", PORT: 3000 });
  });

  it("names every bad variable and what it expects", () => {
    expect(() => parseEnv({ DATABASE_URL: "mysql://x", PORT: "eighty", ADMIN_EMAIL: "nope" })).toThrow(
      /DATABASE_URL: expected a SQLite URL[\s\S]*PORT: expected a port number[\s\S]*ADMIN_EMAIL: expected an email address/,
    );
  });

  it("treats empty values as unset", () => {
    expect(parseEnv({ ADMIN_PASSWORD: "", PORT: "" })).toMatchObject({ PORT: 3000 });
  });
});

describe("server secrets", () => {
  it("are required by a production server, not by a build or a dev server", () => {
    const values = parseEnv({});
    expect(() => requireServerSecrets(values, "production")).toThrow(/NEXTAUTH_SECRET: required in production/);
    expect(() => requireServerSecrets(values, "development")).not.toThrow();
    expect(() => requireServerSecrets(values, "production")).toThrow(/API_KEY_ENCRYPTION_KEY: required in production/);
    const withSecrets = parseEnv({ NEXTAUTH_SECRET: "x".repeat(32), API_KEY_ENCRYPTION_KEY: "ab".repeat(32) });
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
});
