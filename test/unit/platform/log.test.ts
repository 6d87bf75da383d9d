// The server log: line format (JSON and pretty), levels, request context, lines held until a transaction
// commits, and redaction of secrets wherever they appear in a line.
import { afterEach, describe, expect, it } from "vitest";
import {
  addLogContext,
  defaultLogOutput,
  formatLine,
  holdLinesUntilCommit,
  isSecretName,
  log,
  logOnCommit,
  redact,
  redactText,
  REDACTED,
  setLogOutput,
  withLogContext,
  withRequestLog,
} from "@/server/services/platform/log";
import { captureLog, type CapturedLog } from "../../capture-log";

const at = new Date("2025-03-01T12:00:00.000Z");
let captured: CapturedLog | null = null;

function capture(level: Parameters<typeof captureLog>[0] = "debug"): CapturedLog {
  captured = captureLog(level);
  setLogOutput({ now: () => at });
  return captured;
}

afterEach(() => {
  captured?.restore();
  captured = null;
});

describe("lines", () => {
  it("are one JSON object each: time, level and msg first, then the fields", () => {
    const output = capture();
    log.info("rollback.completed", { target: "chat", rollbackId: "r1", trafficPercent: 100 });
    expect(output.raw()).toEqual([
      '{"time":"2025-03-01T12:00:00.000Z","level":"info","msg":"rollback.completed","target":"chat","rollbackId":"r1","trafficPercent":100}',
    ]);
  });

  it("never let a field replace time, level or msg", () => {
    const output = capture();
    log.warn("lease.renewal_failed", { time: "x", level: "debug", msg: "other", lease: "cycle" });
    expect(output.lines()).toEqual([
      { time: at.toISOString(), level: "warn", msg: "lease.renewal_failed", lease: "cycle" },
    ]);
  });

  it("write errors as name, message, stack and cause; dates as ISO; bigints as text; cycles once", () => {
    const output = capture();
    const cause = new Error("socket hang up");
    const error = Object.assign(new TypeError("fetch failed", { cause }), { code: "ECONNRESET" });
    const loop: Record<string, unknown> = { name: "loop" };
    loop.self = loop;
    log.error("cycle.failed", { error, when: at, big: 12n, loop });
    const [line] = output.lines();
    expect(line).toMatchObject({
      error: {
        name: "TypeError",
        message: "fetch failed",
        code: "ECONNRESET",
        stack: expect.stringContaining("TypeError: fetch failed") as unknown,
        cause: { name: "Error", message: "socket hang up" },
      },
      when: at.toISOString(),
      big: "12",
      loop: { name: "loop", self: "[…]" },
    });
  });

  it("read as one human line in the pretty form", () => {
    const line = formatLine(
      {
        time: at,
        level: "warn",
        msg: "verdict.changed",
        fields: { target: "chat", from: "HEALTHY", note: "two words" },
      },
      "pretty",
    );
    expect(line).toBe('12:00:00.000 WARN  verdict.changed target=chat from=HEALTHY note="two words"');
  });

  it("keep a multi-line error on one pretty line", () => {
    const line = formatLine({ time: at, level: "error", msg: "x", fields: { text: "a\nb" } }, "pretty");
    expect(line.split("\n")).toHaveLength(1);
  });
});

describe("levels", () => {
  it("pass at and above the threshold only", () => {
    const output = capture("warn");
    log.debug("a");
    log.info("b");
    log.warn("c");
    log.error("d");
    log.at("info", "e");
    log.at("error", "f");
    expect(output.lines().map((line) => [line.level, line.msg])).toEqual([
      ["warn", "c"],
      ["error", "d"],
      ["error", "f"],
    ]);
  });

  it("silent writes nothing", () => {
    const output = capture("silent");
    log.error("a");
    expect(output.raw()).toEqual([]);
  });

  it("default to info in JSON in the server, warn in the CLIs, silent under Vitest, pretty under next dev, and follow LOG_LEVEL and LOG_FORMAT", () => {
    expect(defaultLogOutput({}, "production", true)).toMatchObject({ level: "info", format: "json" });
    expect(defaultLogOutput({}, "production", false)).toMatchObject({ level: "warn", format: "json" });
    expect(defaultLogOutput({}, "test", true)).toMatchObject({ level: "silent", format: "json" });
    expect(defaultLogOutput({}, "development", true)).toMatchObject({ level: "info", format: "pretty" });
    expect(defaultLogOutput({ LOG_LEVEL: "debug", LOG_FORMAT: "json" }, "development")).toMatchObject({
      level: "debug",
      format: "json",
    });
    expect(defaultLogOutput({ LOG_LEVEL: "warn" }, "test").level).toBe("warn");
  });
});

describe("context", () => {
  it("adds a request's id, path and caller to every line logged while handling it, and nothing after", async () => {
    const output = capture();
    await withRequestLog(new Request("http://localhost/api/v1/ingest?x=1", { method: "POST" }), async () => {
      log.debug("first");
      addLogContext({ caller: "api_key:k1" });
      await Promise.resolve();
      log.info("second", { requestId: "own" });
    });
    log.info("outside");
    const [first, second, outside] = output.lines();
    expect(first).toMatchObject({ request: "POST /api/v1/ingest", requestId: expect.any(String) as unknown });
    expect(first?.caller).toBeUndefined();
    // A line's own field wins over the context's.
    expect(second).toMatchObject({ requestId: "own", caller: "api_key:k1" });
    expect(outside?.requestId).toBeUndefined();
  });

  it("nests: inner fields add to the outer ones", () => {
    const output = capture();
    withLogContext({ requestId: "r1" }, () => withLogContext({ job: "cycle" }, () => log.info("x")));
    expect(output.lines()[0]).toMatchObject({ requestId: "r1", job: "cycle" });
  });
});

describe("lines held until commit", () => {
  it("are written when the attempt succeeds, after the attempt's own lines", async () => {
    const output = capture();
    await holdLinesUntilCommit(async () => {
      logOnCommit("info", "rollback.created", { rollbackId: "r1" });
      log.debug("during");
      await Promise.resolve();
    });
    expect(output.lines().map((line) => line.msg)).toEqual(["during", "rollback.created"]);
  });

  it("are dropped when the attempt fails (a rolled-back or retried transaction)", async () => {
    const output = capture();
    await expect(
      holdLinesUntilCommit(async () => {
        logOnCommit("info", "rollback.completed", { rollbackId: "r1" });
        await Promise.resolve();
        throw new Error("write conflict");
      }),
    ).rejects.toThrow("write conflict");
    expect(output.raw()).toEqual([]);
  });

  it("of an inner attempt wait for the outer one", async () => {
    const output = capture();
    await expect(
      holdLinesUntilCommit(async () => {
        await holdLinesUntilCommit(() => Promise.resolve(logOnCommit("info", "inner", {})));
        throw new Error("outer rolled back");
      }),
    ).rejects.toThrow();
    expect(output.raw()).toEqual([]);
  });

  it("are written at once outside an attempt, with the context of when they were made", async () => {
    const output = capture();
    await withLogContext({ requestId: "r9" }, () =>
      holdLinesUntilCommit(() => Promise.resolve(logOnCommit("warn", "a", {}))),
    );
    logOnCommit("info", "b", {});
    expect(output.lines().map((line) => [line.msg, line.requestId])).toEqual([
      ["a", "r9"],
      ["b", undefined],
    ]);
  });
});

describe("redaction", () => {
  const apiKey = "rwd_3q2P0y5f0kQZk5oH9c1Yx8mWf4bE7Jr2aLs6dNu0TvI";
  const signingSecret = "rws_Zb4n8Q1c5vR9m2X7k3P6w0Y4t8L1j5H9g2D6s0F3a7E";
  const jwe = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..nonce123.cipherTEXT_abc-def.tag456";

  it("replaces the values of secret field names, at any depth, whatever their type", () => {
    expect(
      redact({
        password: "correct horse",
        user: { passwordHash: "scrypt$...", name: "Ana" },
        headers: { Authorization: "Bearer abc", cookie: "a=b", "x-rewind-signature": "t=1,v1=ff" },
        signingSecret: { nested: true },
        cronSecret: 12345,
        metricsToken: "t",
        apiKey: "anything",
        integrationKey: "0123456789abcdef0123456789abcdef",
        slackWebhookUrl: "https://hooks.slack.com/services/T0/B0/X",
        inputTokens: 42,
        key: "not a rewind key",
      }),
    ).toEqual({
      password: REDACTED,
      user: { passwordHash: REDACTED, name: "Ana" },
      headers: { Authorization: REDACTED, cookie: REDACTED, "x-rewind-signature": REDACTED },
      signingSecret: REDACTED,
      cronSecret: REDACTED,
      metricsToken: REDACTED,
      apiKey: REDACTED,
      integrationKey: REDACTED,
      slackWebhookUrl: REDACTED,
      inputTokens: 42,
      key: "not a rewind key",
    });
  });

  it("names secrets by suffix, ignoring case, dashes and underscores", () => {
    for (const name of ["password", "NEXTAUTH_SECRET", "session-token", "set-cookie", "api_key", "routingKey"]) {
      expect(isSecretName(name), name).toBe(true);
    }
    for (const name of ["tokens", "outputTokens", "keyId", "idempotencyKey", "secretary", "passwords"]) {
      expect(isSecretName(name), name).toBe(false);
    }
  });

  it("finds Rewind keys and signing secrets, Slack tokens, bearer credentials and JWTs inside any text", () => {
    const text = redactText(
      `key ${apiKey} secret ${signingSecret} slack xoxb-1234567890-abcdefghij ` +
        `Authorization: Bearer abcdefgh12345678 cookie next-auth.session-token=${jwe}`,
    );
    for (const secret of [apiKey, signingSecret, "xoxb-1234567890", "abcdefgh12345678", jwe, "cipherTEXT"]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain(`rwd_${REDACTED}`);
    expect(text).toContain(`rws_${REDACTED}`);
  });

  it("finds name=value and JSON pairs of secret names in text (a header or a query quoted in a message)", () => {
    const text = redactText(
      'password=hunter2hunter2 {"signingSecret":"abc123def","name":"k"} x-rewind-signature: t=1700000000,v1=deadbeef',
    );
    expect(text).not.toMatch(/hunter2|abc123def|1700000000|deadbeef/);
    expect(text).toContain('"name":"k"');
    expect(redactText("password: hunter2hunter2 apiKey = abc123 actor api_key:cm1abc")).toBe(
      `password: ${REDACTED} apiKey = ${REDACTED} actor api_key:cm1abc`,
    );
  });

  it("drops URLs' paths and queries (a Slack webhook's path is its secret) and their user info", () => {
    const text = redactText(
      "POST https://hooks.slack.com/services/T000/B000/XXXXSECRET failed; " +
        "db postgresql://rewind:pa55word@db.internal:5432/rewind unreachable; see https://example.com",
    );
    expect(text).not.toMatch(/XXXXSECRET|T000|pa55word/);
    expect(text).toContain(`https://hooks.slack.com/${REDACTED}`);
    expect(text).toContain(`postgresql://${REDACTED}@db.internal:5432`);
    expect(text).toContain("https://example.com");
  });

  it("applies to error messages and stacks in a line", () => {
    const output = capture();
    log.error("request.failed", { error: new Error(`bad key ${apiKey}`) });
    expect(output.raw()[0]).not.toContain(apiKey);
    expect(output.lines()[0]?.error).toMatchObject({ message: `bad key rwd_${REDACTED}` });
  });

  it("leaves ordinary text, ids and numbers alone", () => {
    const fields = { target: "chat", rollbackId: "cm1abc", message: "HTTP 404 from the webhook", durationMs: 12 };
    expect(redact(fields)).toEqual(fields);
  });
});
